"""Check a single-file SD1.5-family checkpoint's tensor shapes against its architecture, without loading it.

``models import`` copies gigabytes onto a render node; a file with one wrong-shaped tensor (a
damaged export, a merge of two architectures) must be refused there, not on the first render.
The expected shapes come from the same configs loading uses (the ``<stem>.config/`` folder
beside the file, else the shipped SD1.5 ones), built on the ``meta`` device (no memory, no
random init) and named as the LDM file names them (:mod:`.ldm_keys`). For ``.safetensors`` only
the header is read.

>>> _same_shape((320, 320, 1, 1), (320, 320)), _same_shape((32, 128), (128, 32))
(True, False)
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from t2vz_edit.engine.models.checkpoint import _shapes, detect_architecture
from t2vz_edit.engine.models.configs_sd15 import component_configs, sibling_config_dir
from t2vz_edit.engine.models.ldm_keys import CLIP_PREFIX, unet_key, vae_key
from t2vz_edit.spec.errors import ModelError


def expected_shapes(cfg: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """LDM name → shape of every UNet, VAE and CLIP text-encoder weight the configs ``cfg`` describe."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    with torch.device("meta"):
        unet = UNet2DConditionModel.from_config(cfg["unet"])
        vae = AutoencoderKL.from_config(cfg["vae"])
        text = {k: v for k, v in cfg["text_encoder"].items() if k not in ("architectures", "model_type")}
        text_encoder = CLIPTextModel(CLIPTextConfig(**text))
    up_attn = ["CrossAttn" in t for t in unet.config.up_block_types]
    out = {unet_key(k, layers_per_block=int(unet.config.layers_per_block), up_has_attention=up_attn): tuple(v.shape)
           for k, v in unet.state_dict().items()}
    n_vae = len(vae.config.block_out_channels)
    out.update({vae_key(k, num_blocks=n_vae): tuple(v.shape) for k, v in vae.state_dict().items()})
    out.update({CLIP_PREFIX + "text_model." + k.removeprefix("text_model."): tuple(v.shape)
                for k, v in text_encoder.state_dict().items() if not k.endswith("position_ids")})
    return out


def _same_shape(found: tuple[int, ...], wanted: tuple[int, ...]) -> bool:
    """Equal, allowing LDM's 1x1-conv form (C, C, 1, 1) of a linear (C, C) weight and the reverse."""
    def squeeze(shape):
        shape = list(shape)
        while len(shape) > 2 and shape[-1] == 1:
            shape.pop()
        return tuple(shape)
    return squeeze(found) == squeeze(wanted)


def check_checkpoint_shapes(path: Path, config_dir: Path | None = None) -> str:
    """The architecture of the checkpoint at ``path`` ('sd', 'instruct', 'controlnet'), or one-line
    :class:`ModelError` naming the first tensor whose shape does not fit it.

    ControlNet files are only detected (their LDM names are not mapped here; loading checks them).
    """
    path = Path(path)
    shapes = _shapes(path)
    arch = detect_architecture(shapes, path=path)
    if arch == "controlnet":
        return arch
    config_dir = config_dir or sibling_config_dir(path)
    wanted = expected_shapes(component_configs(arch, config_dir))
    wrong = [(key, shapes[key], shape) for key, shape in wanted.items()
             if key in shapes and not _same_shape(shapes[key], shape)]
    if wrong:
        key, found, shape = wrong[0]
        origin = f"its config folder {config_dir}" if config_dir else "SD1.5"
        more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
        raise ModelError(f"tensor {key} has shape {found} but {origin} needs {shape}{more}; the file is damaged or "
                         "for another architecture — export it again (or put its <name>.config/ folder beside it)",
                         path=path)
    return arch


__all__ = ["check_checkpoint_shapes", "expected_shapes"]
