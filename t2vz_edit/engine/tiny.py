"""Tiny random Stable Diffusion 1.5-family components, built from the real classes.

Tests and the offline demo run on these: the same diffusers / transformers classes, the same
on-disk formats (diffusers folders, safetensors) and so the same loading path as real weights,
just with a few hundred thousand random parameters. :func:`sd15_configs` gives the real SD1.5
architecture (random weights) for GPU benchmarks.

>>> parts = build_tiny("sd", seed=0)
>>> parts["unet"].config.in_channels, parts["unet"].config.cross_attention_dim
(4, 32)
>>> parts["tokenizer"]("a horse").input_ids[0] == parts["tokenizer"].bos_token_id
True
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import torch

KINDS = ("sd", "instruct")
LATENT_CHANNELS = 4
TOKEN_LENGTH = 77  # CLIP's context length; pipelines pad to tokenizer.model_max_length

# -- configs ------------------------------------------------------------------------------------

TINY_UNET = dict(
    sample_size=8, in_channels=4, out_channels=4, layers_per_block=1,
    block_out_channels=(32, 64), down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=32,
    attention_head_dim=8, norm_num_groups=32,
)
TINY_VAE = dict(
    # three blocks: 4 pixels per latent pixel, so a 64-px test frame is a 16×16 latent
    in_channels=3, out_channels=3, latent_channels=LATENT_CHANNELS, block_out_channels=(32, 32, 64),
    down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3,
    layers_per_block=1, norm_num_groups=32, sample_size=64,
)
TINY_CONTROLNET = dict(
    in_channels=4, layers_per_block=1, block_out_channels=(32, 64),
    down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), cross_attention_dim=32,
    attention_head_dim=8, norm_num_groups=32, conditioning_embedding_out_channels=(16, 16, 32),  # ÷4 like the VAE
)
TINY_CLIP = dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                 max_position_embeddings=TOKEN_LENGTH, projection_dim=32)
# TAESD shaped like TINY_VAE: 4 latent channels, three levels (4 pixels per latent pixel)
TINY_TAESD = dict(encoder_block_out_channels=(16, 16, 16), decoder_block_out_channels=(16, 16, 16),
                  num_encoder_blocks=(1, 1, 1), num_decoder_blocks=(1, 1, 1), latent_channels=LATENT_CHANNELS)
# Stable Diffusion v1 schedule (scaled_linear 0.00085..0.012, 1000 steps, epsilon).
SCHEDULER = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012,
                 beta_schedule="scaled_linear", clip_sample=False, set_alpha_to_one=False,
                 steps_offset=1, prediction_type="epsilon")


def sd15_configs() -> dict[str, dict[str, Any]]:
    """Real SD1.5 sizes (860 M UNet, 123 M text encoder, 84 M VAE) for random-weight benchmarks."""
    unet = dict(sample_size=64, in_channels=4, out_channels=4, layers_per_block=2,
                block_out_channels=(320, 640, 1280, 1280),
                down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
                up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
                cross_attention_dim=768, attention_head_dim=8, norm_num_groups=32)
    vae = dict(in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(128, 256, 512, 512),
               down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
               layers_per_block=2, norm_num_groups=32, sample_size=512)
    controlnet = {k: v for k, v in unet.items() if k not in ("out_channels", "up_block_types", "sample_size")}
    controlnet["conditioning_embedding_out_channels"] = (16, 32, 96, 256)
    clip = dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                max_position_embeddings=TOKEN_LENGTH, projection_dim=768)
    taesd: dict[str, Any] = {}  # AutoencoderTiny's defaults are TAESD for SD1.5 (madebyollin/taesd)
    return {"unet": unet, "vae": vae, "controlnet": controlnet, "clip": clip, "taesd": taesd}


def tiny_configs() -> dict[str, dict[str, Any]]:
    return {"unet": dict(TINY_UNET), "vae": dict(TINY_VAE), "controlnet": dict(TINY_CONTROLNET),
            "clip": dict(TINY_CLIP), "taesd": dict(TINY_TAESD)}


# -- tokenizer ----------------------------------------------------------------------------------

def _byte_alphabet() -> list[str]:
    """GPT-2/CLIP's printable stand-ins for the 256 byte values (facts of the BPE format)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    codes, extra = list(keep), 0
    for b in range(256):
        if b not in keep:
            codes.append(256 + extra)
            extra += 1
    return [chr(c) for c in codes]


def write_tokenizer_files(folder: str | Path) -> Path:
    """Write a CLIP BPE vocabulary (bytes, bytes+``</w>``, a few merges) and tokenizer config."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    chars = _byte_alphabet()
    merges = [("h", "o"), ("r", "s"), ("ho", "rs")]  # enough to exercise BPE merging
    tokens = chars + [c + "</w>" for c in chars] + ["".join(m) for m in merges]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}, ensure_ascii=False))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges))
    config = {"model_max_length": TOKEN_LENGTH, "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
              "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "tokenizer_class": "CLIPTokenizer"}
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return folder


def build_tokenizer():
    """A real ``CLIPTokenizer`` over the generated vocabulary (pads with ``<|endoftext|>``)."""
    from transformers import CLIPTokenizer

    with tempfile.TemporaryDirectory() as tmp:
        write_tokenizer_files(tmp)
        tok = CLIPTokenizer.from_pretrained(write_tokenizer_files(tmp))
    return tok


# -- components ---------------------------------------------------------------------------------

def build_text_encoder(tokenizer, clip: dict[str, Any] | None = None):
    from transformers import CLIPTextConfig, CLIPTextModel

    cfg = CLIPTextConfig(vocab_size=len(tokenizer), bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                         **(clip or TINY_CLIP))
    return CLIPTextModel(cfg).eval()


def build_scheduler():
    from diffusers import DDIMScheduler

    return DDIMScheduler(**SCHEDULER)


def build_controlnet(seed: int = 0, config: dict[str, Any] | None = None):
    """A ControlNet shaped like the UNet's down path (random, but with non-zero zero-convs so
    the control actually changes the output in tests)."""
    from diffusers import ControlNetModel

    torch.manual_seed(seed + 7)
    net = ControlNetModel(**(config or TINY_CONTROLNET)).eval()
    with torch.no_grad():  # zero-initialised outputs would make every control a no-op
        for module in list(net.controlnet_down_blocks) + [net.controlnet_mid_block]:
            torch.nn.init.normal_(module.weight, std=0.02)
    return net


def build_tiny(kind: str = "sd", seed: int = 0, *, arch: str = "tiny") -> dict[str, Any]:
    """Random components keyed like a diffusers pipeline folder (unet, vae, text_encoder,
    tokenizer, scheduler). ``kind="instruct"`` gives the 8-channel Instruct-Pix2Pix UNet;
    ``arch="sd15"`` the real SD1.5 sizes."""
    from diffusers import AutoencoderKL, UNet2DConditionModel

    if kind not in KINDS:
        raise ValueError(f"kind {kind!r}: use one of {', '.join(KINDS)}")
    cfgs = sd15_configs() if arch == "sd15" else tiny_configs()
    unet_cfg = dict(cfgs["unet"], in_channels=8 if kind == "instruct" else 4)
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(**unet_cfg).eval()
    torch.manual_seed(seed + 1)
    vae = AutoencoderKL(**cfgs["vae"]).eval()
    tokenizer = build_tokenizer()
    torch.manual_seed(seed + 2)
    text_encoder = build_text_encoder(tokenizer, cfgs["clip"])
    return {"unet": unet, "vae": vae, "text_encoder": text_encoder, "tokenizer": tokenizer,
            "scheduler": build_scheduler()}


def build_taesd(seed: int = 0, *, arch: str = "tiny"):
    """A random TAESD (diffusers ``AutoencoderTiny``) matching :func:`build_tiny`'s VAE levels."""
    from diffusers import AutoencoderTiny

    torch.manual_seed(seed + 11)
    cfgs = sd15_configs() if arch == "sd15" else tiny_configs()
    return AutoencoderTiny(**cfgs["taesd"]).eval()


def lora_tensors(unet, rank: int = 4, seed: int = 0, std: float = 0.02) -> dict[str, torch.Tensor]:
    """A random kohya-format LoRA over every Linear / Conv2d of ``unet`` (as LCM-LoRA touches them).

    Keys ``lora_unet_<module_with_underscores>.lora_down.weight`` / ``.lora_up.weight`` / ``.alpha``,
    down (r, in[, k, k]) and up (out, r[, 1, 1]), the layout of latent-consistency/lcm-lora-sdv1-5."""
    gen = torch.Generator().manual_seed(seed + 13)
    out: dict[str, torch.Tensor] = {}
    for name, module in unet.named_modules():
        if not isinstance(module, (torch.nn.Linear, torch.nn.Conv2d)):
            continue
        r = min(rank, module.weight.shape[0], module.weight.shape[1])
        tail = tuple(module.weight.shape[2:])
        key = "lora_unet_" + name.replace(".", "_")
        out[f"{key}.lora_down.weight"] = torch.randn((r, module.weight.shape[1], *tail), generator=gen) * std
        out[f"{key}.lora_up.weight"] = torch.randn((module.weight.shape[0], r, *([1] * len(tail))), generator=gen) * std
        out[f"{key}.alpha"] = torch.tensor(float(r))
    return out


# -- on disk ------------------------------------------------------------------------------------

def save_tiny_pipeline(folder: str | Path, kind: str = "sd", seed: int = 0) -> Path:
    """Save a real diffusers pipeline folder (model_index.json + subfolders, safetensors)."""
    from diffusers import StableDiffusionInstructPix2PixPipeline, StableDiffusionPipeline

    parts = build_tiny(kind, seed)
    cls = StableDiffusionInstructPix2PixPipeline if kind == "instruct" else StableDiffusionPipeline
    pipe = cls(**parts, safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.save_pretrained(str(folder), safe_serialization=True)
    return Path(folder)


def save_tiny_controlnet(folder: str | Path, seed: int = 0) -> Path:
    """Save a tiny ControlNet as a diffusers model folder (config.json + safetensors)."""
    build_controlnet(seed).save_pretrained(str(folder), safe_serialization=True)
    return Path(folder)


def save_tiny_lora(path: str | Path, kind: str = "sd", seed: int = 0, rank: int = 4) -> Path:
    """Save a random LoRA for :func:`build_tiny`'s UNet as a kohya ``.safetensors`` file."""
    from safetensors.torch import save_file

    unet = build_tiny(kind, seed)["unet"]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in lora_tensors(unet, rank, seed).items()}, str(path))
    return path


def save_tiny_taesd(folder: str | Path, seed: int = 0) -> Path:
    """Save a tiny TAESD as a diffusers model folder (config.json + safetensors), like madebyollin/taesd."""
    build_taesd(seed).save_pretrained(str(folder), safe_serialization=True)
    return Path(folder)


__all__ = ["build_tiny", "build_taesd", "lora_tensors", "save_tiny_lora", "save_tiny_taesd", "build_controlnet", "build_tokenizer", "build_text_encoder", "build_scheduler",
           "save_tiny_pipeline", "save_tiny_controlnet", "sd15_configs", "tiny_configs",
           "write_tokenizer_files", "KINDS"]
