"""Single-file checkpoints of the SD1.5 family (original LDM layout): configs and loading.

Reading and detection live in :mod:`.checkpoint`, writing in :mod:`.export`.

Configs never come from the network. In order:

1. an explicit ``config_dir`` (a diffusers pipeline-layout folder: ``unet/config.json``,
   ``vae/config.json``, ``text_encoder/config.json``, ``scheduler/scheduler_config.json``,
   ``tokenizer/``; for a ControlNet file a folder with ``config.json``);
2. a sibling folder ``<stem>.config/`` next to ``<stem>.safetensors`` (what
   :func:`save_single_file` writes with ``with_config=True``; how tiny test models travel);
3. the SD1.5 configs shipped in ``configs/sd15/`` (4-channel, 8-channel Instruct-Pix2Pix,
   ControlNet), picked from tensor shapes; the CLIP tokenizer then comes from the model store.

Weights are converted with diffusers' own LDM converters (``convert_ldm_unet_checkpoint`` …)
and loaded strictly, so a checkpoint that does not match the architecture is an error, not a
silently half-random model.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from t2vz_edit.engine.models.checkpoint import detect_architecture, has_tokenizer_files, read_checkpoint
from t2vz_edit.engine.models.configs_sd15 import _json, component_configs, shipped_config, sibling_config_dir
from t2vz_edit.engine.models.sources import parse_source
from t2vz_edit.engine.models.store import resolve_hub
from t2vz_edit.spec.errors import ModelError

TOKENIZER_SOURCES = ("openai/clip-vit-large-patch14", "stable-diffusion-v1-5/stable-diffusion-v1-5")


# -- building modules ---------------------------------------------------------------------------

def _strict_load(module: torch.nn.Module, state: dict[str, torch.Tensor], what: str, path: Path) -> None:
    result = module.load_state_dict(state, strict=False, assign=True)
    missing, unexpected = list(result.missing_keys), list(result.unexpected_keys)
    leftover_meta = [n for n, t in [*module.named_parameters(), *module.named_buffers()] if t.is_meta]
    if missing or unexpected or leftover_meta:
        example = (missing or unexpected or leftover_meta)[0]
        raise ModelError(f"{what} weights do not match the architecture ({len(missing)} missing, {len(unexpected)} "
                         f"unexpected, e.g. {example}); pass the matching config folder or use a diffusers folder",
                         path=path)


def _diffusers_module(cls, config: dict[str, Any], state, what: str, path: Path):
    with torch.device("meta"):  # no random init of ~1 GB of SD1.5 weights we overwrite anyway
        module = cls.from_config(config)
    _strict_load(module, state, what, path)
    return module.eval()


def build_text_encoder(config: dict[str, Any], checkpoint: dict[str, torch.Tensor], path: Path):
    from diffusers.loaders.single_file_utils import convert_ldm_clip_checkpoint
    from transformers import CLIPTextConfig, CLIPTextModel

    cfg = {k: v for k, v in config.items() if k not in ("architectures", "model_type")}
    model = CLIPTextModel(CLIPTextConfig(**cfg))
    # LDM files name CLIP weights "text_model.embeddings…"; transformers 5 modules drop "text_model."
    nested = any(k.startswith("text_model.") for k in model.state_dict())
    state = {}
    for key, value in convert_ldm_clip_checkpoint(checkpoint).items():
        if key.endswith("position_ids"):
            continue  # a buffer, not a weight; some checkpoints carry a stale copy
        bare = key.removeprefix("text_model.")
        state["text_model." + bare if nested else bare] = value
    _strict_load(model, state, "text encoder", path)
    return model.eval()


def load_single_file(path: Path, *, config_dir: Path | None = None) -> dict[str, Any]:
    """Components of an SD1.5-family checkpoint: unet, vae, text_encoder, tokenizer, scheduler_config."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from diffusers.loaders.single_file_utils import convert_ldm_unet_checkpoint, convert_ldm_vae_checkpoint

    path = Path(path)
    config_dir = config_dir or sibling_config_dir(path)
    checkpoint = read_checkpoint(path)
    arch = detect_architecture({k: tuple(v.shape) for k, v in checkpoint.items()}, path=path)
    if arch == "controlnet":
        raise ModelError("this is a ControlNet checkpoint; give it as the model of a control "
                         "(model = \"...\" in a preset's [[controls]] table), not as the base model (--model)", path=path)
    cfg = component_configs(arch, config_dir)
    expected = int(cfg["unet"]["in_channels"])
    if expected != (8 if arch == "instruct" else 4):
        raise ModelError(f"config says in_channels={expected} but the checkpoint is {arch}; fix the config folder",
                         path=path)
    has_ema = sum(k.startswith("model_ema.") for k in checkpoint) > 100
    origin = f"the config folder {config_dir}" if config_dir else "the shipped SD1.5 configs"
    try:
        unet_state = convert_ldm_unet_checkpoint(checkpoint, cfg["unet"], extract_ema=has_ema)
        unet = _diffusers_module(UNet2DConditionModel, cfg["unet"], unet_state, "UNet", path)
        vae_state = convert_ldm_vae_checkpoint(checkpoint, cfg["vae"])
        vae = _diffusers_module(AutoencoderKL, cfg["vae"], vae_state, "VAE", path)
        text_encoder = build_text_encoder(cfg["text_encoder"], checkpoint, path)
    except (KeyError, IndexError, RuntimeError, ValueError) as exc:  # converter or size mismatch
        raise ModelError(f"weights do not fit {origin} ({type(exc).__name__}: {' '.join(str(exc).split())[:160]}); "
                         f"for non-SD1.5 sizes put a <name>.config/ folder next to the file", path=path) from None
    tokenizer = load_tokenizer(config_dir / "tokenizer" if config_dir else None, path)
    return {"unet": unet, "vae": vae, "text_encoder": text_encoder, "tokenizer": tokenizer,
            "scheduler_config": cfg["scheduler"]}


def load_controlnet_file(path: Path, *, config_dir: Path | None = None):
    """A ControlNet from an original-layout single file (``control_model.*`` keys)."""
    from diffusers import ControlNetModel
    from diffusers.loaders.single_file_utils import convert_controlnet_checkpoint

    path = Path(path)
    config_dir = config_dir or sibling_config_dir(path)
    checkpoint = read_checkpoint(path)
    if detect_architecture({k: tuple(v.shape) for k, v in checkpoint.items()}, path=path) != "controlnet":
        raise ModelError("not a ControlNet checkpoint (no input_hint_block weights)", path=path)
    config = _json(config_dir / "config.json") if config_dir else shipped_config("controlnet")
    try:
        state = convert_controlnet_checkpoint(checkpoint, config)
        return _diffusers_module(ControlNetModel, config, state, "ControlNet", path)
    except (KeyError, IndexError, RuntimeError, ValueError) as exc:
        raise ModelError(f"ControlNet weights do not fit its config ({type(exc).__name__}: "
                         f"{' '.join(str(exc).split())[:160]}); put a <name>.config/ folder next to the file", path=path) from None


def tokenizer_dir(folder: Path | None) -> Path | None:
    """Where a single-file checkpoint's CLIP tokenizer comes from: its config folder, else the model
    store / HF cache (:data:`TOKENIZER_SOURCES`); None when neither holds one."""
    candidates = [folder] if folder is not None else []
    for hub_id in TOKENIZER_SOURCES:
        try:
            root = resolve_hub(parse_source(hub_id))
        except ModelError:
            continue
        candidates += [root, root / "tokenizer"]
    return next((c for c in candidates if c.is_dir() and has_tokenizer_files(c)), None)


def load_tokenizer(folder: Path | None, checkpoint: Path):
    """The CLIP tokenizer: from the config folder, else from the model store / HF cache."""
    from transformers import CLIPTokenizer

    found = tokenizer_dir(folder)
    if found is not None:
        return CLIPTokenizer.from_pretrained(str(found), local_files_only=True)
    raise ModelError(f"no CLIP tokenizer for this single-file checkpoint (none in its config folder or the model store); "
                     f"run `t2vz-edit models pull {TOKENIZER_SOURCES[0]} --only '*.json' --only '*.txt'`",
                     path=checkpoint)


__all__ = ["load_single_file", "load_controlnet_file", "load_tokenizer", "tokenizer_dir", "shipped_config", "component_configs",
           "sibling_config_dir"]
