"""Diffusers → original Stable Diffusion (LDM / CompVis) parameter names, for writing single files.

diffusers ships only the other direction (``single_file_utils.convert_ldm_*``), which is what
loading uses; this module writes checkpoints that those converters (and A1111/ComfyUI) read.
Naming facts (CompVis ``ldm/modules/diffusionmodules/openaimodel.py`` and ``model.py``):

- UNet under ``model.diffusion_model.``: ``input_blocks.0.0`` = conv_in; down block ``i``,
  layer ``j`` = ``input_blocks.{1 + i(L+1) + j}.{0 resnet | 1 attention}``; its downsampler =
  ``input_blocks.{(i+1)(L+1)}.0.op``; ``middle_block.{0,1,2}`` = resnet, attention, resnet; up
  block ``i``, layer ``j`` (L+1 layers) = ``output_blocks.{i(L+1) + j}``, upsampler in the last
  layer at index 2 (after an attention) or 1; resnets use ``in_layers.{0,2}``, ``emb_layers.1``,
  ``out_layers.{0,3}``, ``skip_connection``.
- VAE under ``first_stage_model.``: ``encoder.down.{i}.block.{j}``, ``.downsample.conv``,
  ``mid.block_{1,2}``, ``mid.attn_1.{norm,q,k,v,proj_out}`` as 1×1 convs, ``norm_out``; decoder
  ``up`` blocks are numbered in reverse (``decoder.up.{n-1-i}``); shortcuts are ``nin_shortcut``.
- CLIP text encoder under ``cond_stage_model.transformer.`` with transformers' own names.

>>> unet_key("down_blocks.0.resnets.1.norm1.weight", layers_per_block=2, up_has_attention=[False])
'model.diffusion_model.input_blocks.2.0.in_layers.0.weight'
"""
from __future__ import annotations

import re
from typing import Sequence

import torch

UNET_PREFIX = "model.diffusion_model."
VAE_PREFIX = "first_stage_model."
CLIP_PREFIX = "cond_stage_model.transformer."

_UNET_TOP = {"time_embedding.linear_1": "time_embed.0", "time_embedding.linear_2": "time_embed.2",
             "conv_in": "input_blocks.0.0", "conv_norm_out": "out.0", "conv_out": "out.2"}
_UNET_RESNET = {"norm1": "in_layers.0", "conv1": "in_layers.2", "time_emb_proj": "emb_layers.1",
                "norm2": "out_layers.0", "conv2": "out_layers.3", "conv_shortcut": "skip_connection"}
_VAE_ATTN = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "proj_out"}


def _resnet(rest: str, table: dict[str, str]) -> str:
    layer, _, leaf = rest.rpartition(".")  # "norm1.weight" -> ("norm1", "weight")
    return f"{table.get(layer, layer)}.{leaf}"


def unet_key(key: str, *, layers_per_block: int, up_has_attention: Sequence[bool]) -> str:
    """LDM name of one diffusers UNet parameter (also used for ControlNet-free SD1.x UNets)."""
    span = layers_per_block + 1
    for old, new in _UNET_TOP.items():
        if key.startswith(old + "."):
            return UNET_PREFIX + new + key[len(old):]
    if m := re.match(r"down_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.+)", key):
        i, part, j, rest = int(m[1]), m[2], int(m[3]), m[4]
        slot = 1 + i * span + j
        if part == "resnets":
            return f"{UNET_PREFIX}input_blocks.{slot}.0.{_resnet(rest, _UNET_RESNET)}"
        return f"{UNET_PREFIX}input_blocks.{slot}.1.{rest}"
    if m := re.match(r"down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.+)", key):
        return f"{UNET_PREFIX}input_blocks.{(int(m[1]) + 1) * span}.0.op.{m[2]}"
    if m := re.match(r"mid_block\.resnets\.(\d+)\.(.+)", key):
        return f"{UNET_PREFIX}middle_block.{2 * int(m[1])}.{_resnet(m[2], _UNET_RESNET)}"
    if m := re.match(r"mid_block\.attentions\.0\.(.+)", key):
        return f"{UNET_PREFIX}middle_block.1.{m[1]}"
    if m := re.match(r"up_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.+)", key):
        i, part, j, rest = int(m[1]), m[2], int(m[3]), m[4]
        slot = i * span + j
        if part == "resnets":
            return f"{UNET_PREFIX}output_blocks.{slot}.0.{_resnet(rest, _UNET_RESNET)}"
        return f"{UNET_PREFIX}output_blocks.{slot}.1.{rest}"
    if m := re.match(r"up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.+)", key):
        i = int(m[1])
        index = 2 if up_has_attention[i] else 1
        return f"{UNET_PREFIX}output_blocks.{i * span + layers_per_block}.{index}.conv.{m[2]}"
    raise KeyError(f"no LDM name for UNet parameter {key!r} (SD1.x UNets only)")


def vae_key(key: str, *, num_blocks: int) -> str:
    """LDM name of one diffusers AutoencoderKL parameter."""
    if m := re.match(r"(encoder|decoder)\.mid_block\.resnets\.(\d+)\.(.+)", key):
        return f"{VAE_PREFIX}{m[1]}.mid.block_{int(m[2]) + 1}.{_resnet(m[3], {'conv_shortcut': 'nin_shortcut'})}"
    if m := re.match(r"(encoder|decoder)\.mid_block\.attentions\.0\.(.+)\.(weight|bias)$", key):
        return f"{VAE_PREFIX}{m[1]}.mid.attn_1.{_VAE_ATTN[m[2]]}.{m[3]}"
    if m := re.match(r"encoder\.down_blocks\.(\d+)\.resnets\.(\d+)\.(.+)", key):
        return f"{VAE_PREFIX}encoder.down.{m[1]}.block.{m[2]}.{_resnet(m[3], {'conv_shortcut': 'nin_shortcut'})}"
    if m := re.match(r"encoder\.down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.+)", key):
        return f"{VAE_PREFIX}encoder.down.{m[1]}.downsample.conv.{m[2]}"
    if m := re.match(r"decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.(.+)", key):
        block = num_blocks - 1 - int(m[1])
        return f"{VAE_PREFIX}decoder.up.{block}.block.{m[2]}.{_resnet(m[3], {'conv_shortcut': 'nin_shortcut'})}"
    if m := re.match(r"decoder\.up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.+)", key):
        return f"{VAE_PREFIX}decoder.up.{num_blocks - 1 - int(m[1])}.upsample.conv.{m[2]}"
    renamed = key.replace("conv_norm_out", "norm_out")
    if re.match(r"(encoder|decoder)\.(conv_in|conv_out|norm_out)\.|(post_)?quant_conv\.", renamed):
        return VAE_PREFIX + renamed
    raise KeyError(f"no LDM name for VAE parameter {key!r}")


def to_ldm_state_dict(unet, vae, text_encoder) -> dict[str, torch.Tensor]:
    """One flat LDM-layout state dict of UNet + VAE + CLIP text encoder (tensors contiguous, CPU)."""
    ucfg = unet.config
    up_attn = ["CrossAttn" in t for t in ucfg.up_block_types]
    out: dict[str, torch.Tensor] = {}
    for key, value in unet.state_dict().items():
        out[unet_key(key, layers_per_block=int(ucfg.layers_per_block), up_has_attention=up_attn)] = value
    n_vae = len(vae.config.block_out_channels)
    for key, value in vae.state_dict().items():
        name = vae_key(key, num_blocks=n_vae)
        if ".mid.attn_1." in name and value.ndim == 2:
            value = value[:, :, None, None]  # LDM's attention projections are 1x1 convs: (C, C, 1, 1)
        out[name] = value
    for key, value in text_encoder.state_dict().items():
        if key.endswith("position_ids"):
            continue  # a buffer (0..76), not a weight
        out[CLIP_PREFIX + "text_model." + key.removeprefix("text_model.")] = value  # SD1.x files keep "text_model."
    return {k: v.detach().to("cpu").contiguous() for k, v in out.items()}


__all__ = ["to_ldm_state_dict", "unet_key", "vae_key", "UNET_PREFIX", "VAE_PREFIX", "CLIP_PREFIX"]
