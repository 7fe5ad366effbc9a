"""``load_parts``: base model + ControlNets + LoRAs → :class:`EngineParts` on a device, offline.

Every source goes through :func:`resolve_path` (hub id → store / HF cache, folder, single file);
nothing is downloaded, no remote code runs (``trust_remote_code`` is never passed), and folders
load ``.safetensors`` weights only. Example (with a tiny model folder from ``engine.tiny``)::

    parts = load_parts(EditSpec(mode="text2video", prompt="a horse", model="tiny-sd/"), device="cpu")
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import torch

from t2vz_edit.engine.draft import apply_draft
from t2vz_edit.engine.models.checkpoint import read_json
from t2vz_edit.engine.models.device import auto_cpu_dtype, resolve_device_dtype, vae_dtype
from t2vz_edit.engine.models.lora import apply_loras, read_loras
from t2vz_edit.engine.models.single_file import load_controlnet_file, load_single_file
from t2vz_edit.engine.models.store import resolve_path
from t2vz_edit.engine.parts import EngineParts
from t2vz_edit.engine.sampler import make_scheduler
from t2vz_edit.spec.edit_spec import EditSpec
from t2vz_edit.spec.errors import ModelError



def _load_error(path: Path, what: str, exc: Exception) -> ModelError:
    detail = " ".join(str(exc).split())[:240]
    return ModelError(f"cannot load the {what} ({type(exc).__name__}: {detail}); the folder needs diffusers configs and "
                      ".safetensors weights — re-pull or re-import it", path=path)


def load_folder_components(folder: Path) -> dict[str, Any]:
    """unet, vae, text_encoder, tokenizer, scheduler (as saved) from a diffusers pipeline folder."""
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from safetensors import SafetensorError
    from transformers import CLIPTextModel, CLIPTokenizer

    folder = Path(folder)
    if not (folder / "model_index.json").is_file():
        hint = "it is a single model (ControlNet?), not a pipeline" if (folder / "config.json").is_file() else \
            "expected model_index.json with unet/, vae/, text_encoder/, tokenizer/, scheduler/"
        raise ModelError(f"not a diffusers pipeline folder: {hint}", path=folder)
    safe = dict(use_safetensors=True, local_files_only=True)
    steps = (("UNet", lambda: UNet2DConditionModel.from_pretrained(str(folder), subfolder="unet", **safe)),
             ("VAE", lambda: AutoencoderKL.from_pretrained(str(folder), subfolder="vae", **safe)),
             ("text encoder", lambda: CLIPTextModel.from_pretrained(str(folder / "text_encoder"), **safe)),
             ("tokenizer", lambda: CLIPTokenizer.from_pretrained(str(folder / "tokenizer"), local_files_only=True)))
    loaded = []
    for what, load in steps:
        try:
            loaded.append(load())
        except (OSError, ValueError, RuntimeError, KeyError, SafetensorError) as exc:
            raise _load_error(folder, what, exc) from None
    unet, vae, text_encoder, tokenizer = loaded
    scheduler_cfg = read_json(folder / "scheduler" / "scheduler_config.json")
    return {"unet": unet.eval(), "vae": vae.eval(), "text_encoder": text_encoder.eval(), "tokenizer": tokenizer,
            "scheduler": DDIMScheduler.from_config(scheduler_cfg), "scheduler_config": scheduler_cfg}


def load_base(source_text: str, *, config_dir: Path | None = None) -> dict[str, Any]:
    """Components of the base model from any source kind; ``scheduler_config`` is a dict."""
    path = resolve_path(source_text)
    if path.is_file():
        return load_single_file(path, config_dir=config_dir)
    return load_folder_components(path)


def load_controlnet(source_text: str):
    """A ControlNet from a hub id, a diffusers model folder or an original-layout single file."""
    from diffusers import ControlNetModel
    from safetensors import SafetensorError

    path = resolve_path(source_text)
    if path.is_file():
        return load_controlnet_file(path)
    config = read_json(path / "config.json") if (path / "config.json").is_file() else {}
    if config.get("_class_name") != "ControlNetModel":
        raise ModelError("not a ControlNet folder (config.json with _class_name ControlNetModel expected)", path=path)
    try:
        return ControlNetModel.from_pretrained(str(path), use_safetensors=True, local_files_only=True).eval()
    except (OSError, ValueError, RuntimeError, KeyError, SafetensorError) as exc:
        raise _load_error(path, "ControlNet", exc) from None


def load_parts(spec: EditSpec | str, *, device: str | None = None, dtype: str | None = None,
               controls: Mapping[str, str] | None = None, loras=(), scheduler: str | None = None,
               config_dir: Path | None = None, working_hw: tuple[int, int] | None = None) -> EngineParts:
    """Load what ``spec`` names (or a bare base-model source) onto ``device`` in ``dtype``.

    Explicit keywords override the spec's settings. The VAE stays float32 under float16
    compute (SD1.5's VAE overflows in half precision). ``dtype`` auto on a CPU picks bfloat16
    for full-size models on AMX CPUs at working sizes (``working_hw``, (H, W); default the
    spec's size squared) of 256² and up (:func:`~.device.auto_cpu_dtype`); the parts say why
    in ``dtype_choice``.
    """
    if isinstance(spec, EditSpec):
        base, mode = spec.resolved_model, spec.mode
        controls = controls if controls is not None else {c.kind: c.resolved_model for c in spec.controls}
        loras = loras or spec.loras
        scheduler = scheduler or spec.resolved_scheduler
        device, dtype = device or spec.device, dtype or spec.dtype
        working_hw = working_hw or (spec.size, spec.size)
    else:
        base, mode = str(spec), None
    dev, compute = resolve_device_dtype(device or "auto", dtype or "auto")
    lora_layers = read_loras(loras)  # a broken LoRA file fails before the (slow) base model loads
    parts = load_base(base, config_dir=config_dir)
    choice = f"{str(compute).replace('torch.', '')} (--dtype {dtype})" if (dtype or "auto") != "auto" else \
        f"auto: {str(compute).replace('torch.', '')} on {dev.type}"
    if (dtype or "auto") == "auto" and dev.type == "cpu":
        compute, choice = auto_cpu_dtype(parts["unet"].config, working_hw)
    _check_mode(parts["unet"], mode, base)
    nets = {kind: load_controlnet(src) for kind, src in (controls or {}).items()}
    for kind, net in nets.items():
        _check_fits(parts["unet"], net, kind)
    if lora_layers:
        apply_loras({"unet": parts["unet"], "text_encoder": parts["text_encoder"]}, lora_layers)
    draft_vae = apply_draft(parts, spec) if isinstance(spec, EditSpec) and spec.draft else None
    for module in (parts["unet"], parts["text_encoder"], *nets.values()):
        _move(module, dev, compute)
    _move(parts["vae"], dev, vae_dtype(compute))
    if draft_vae is not None:
        _move(draft_vae, dev, compute)  # TAESD has no fp16 overflow (diffusers: force_upcast False)
    sched = make_scheduler(scheduler or "ddim", parts["scheduler_config"])
    return EngineParts(unet=parts["unet"], vae=parts["vae"], text_encoder=parts["text_encoder"],
                       tokenizer=parts["tokenizer"], scheduler=sched, controlnets=nets, draft_vae=draft_vae,
                       dtype_choice=choice)


def _move(module: torch.nn.Module, device: torch.device, dtype: torch.dtype) -> None:
    # torch's own .to: diffusers' ModelMixin.to warns about fp32-kept modules even when the list is empty
    torch.nn.Module.to(module, device=device, dtype=dtype)


def _check_mode(unet, mode: str | None, source: str) -> None:
    instruct = int(unet.config.in_channels) == 8
    if mode == "instruct" and not instruct:
        raise ModelError(f"model {source} is not an Instruct-Pix2Pix model (4-channel UNet); instruct mode needs one "
                         "such as timbrooks/instruct-pix2pix (--model)")
    if mode in ("text2video", "controlnet") and instruct:
        raise ModelError(f"model {source} is an Instruct-Pix2Pix model (8-channel UNet); {mode} mode needs an SD1.5 "
                         "text-to-image model (--model) or use instruct mode")


def _check_fits(unet, controlnet, kind: str) -> None:
    a, b = int(unet.config.cross_attention_dim), int(controlnet.config.cross_attention_dim)
    if a != b or tuple(unet.config.block_out_channels) != tuple(controlnet.config.block_out_channels):
        raise ModelError(f"ControlNet for {kind} does not fit the base model (cross-attention {b} vs {a}, "
                         f"channels {tuple(controlnet.config.block_out_channels)} vs {tuple(unet.config.block_out_channels)}); "
                         "use a ControlNet trained for this base (SD1.5)")


__all__ = ["load_parts", "load_base", "load_controlnet", "load_folder_components", "make_scheduler",
           "resolve_path"]
