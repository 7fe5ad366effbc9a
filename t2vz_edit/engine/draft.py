"""Draft mode: a look-dev preview at a fraction of the cost of a full render.

What draft changes, and nothing else (the spec keeps every full-quality setting, so a draft's
sidecar re-renders at full quality with ``draft`` switched off):

1. a distilled few-step LoRA for SD1.5 (LCM-LoRA, Luo et al. 2023; or a TCD / Hyper-SD style
   one) fused into the UNet through the ordinary LoRA path (:mod:`.models.lora`);
2. its sampler (``LCMScheduler`` / ``TCDScheduler``) for ``draft_steps`` (1..8) steps at
   ``draft_guidance`` (1.0 = no unconditional pass, half the UNet work of text guidance);
3. the tiny autoencoder TAESD (diffusers' ``AutoencoderTiny``) for encode and decode: the full
   SD VAE costs 3.6 TFLOP per 512² frame for encode + decode, TAESD about 0.26.

Cross-frame attention, chunking, noise and motion dynamics run unchanged. TAESD works in the
scaled latent space of the SD VAE (its latents are the SD VAE's posterior × ``scaling_factor``),
so :mod:`.vae` converts with the full VAE's factor where Instruct-Pix2Pix wants unscaled latents.

>>> import torch
>>> draft_motion_indices(torch.tensor([999, 759, 499, 259]), t0=0.88, t1=0.94, train_steps=1000)
(0, 1)
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from t2vz_edit.engine.models.checkpoint import read_json
from t2vz_edit.engine.models.lora import fuse_lora
from t2vz_edit.engine.models.store import resolve_path
from t2vz_edit.spec.errors import ModelError, UsageError

DEFAULT_DRAFT_LORA = "latent-consistency/lcm-lora-sdv1-5"
DEFAULT_DRAFT_VAE = "madebyollin/taesd"
LORA_FILE_NAMES = ("pytorch_lora_weights.safetensors",)  # diffusers' name for a saved LoRA


def draft_sources(spec) -> tuple[str, str]:
    """(LoRA source, tiny-autoencoder source) of a draft spec, defaults filled in."""
    return spec.draft_lora or DEFAULT_DRAFT_LORA, spec.draft_vae or DEFAULT_DRAFT_VAE


def lora_file(source_text: str) -> Path:
    """The one LoRA ``.safetensors`` of a hub id (model store / HF cache), a folder or a file."""
    path = resolve_path(source_text)
    if path.is_file():
        return path
    named = [path / n for n in LORA_FILE_NAMES if (path / n).is_file()]
    found = named or sorted(path.glob("*.safetensors"))
    if len(found) != 1:
        raise ModelError(f"draft LoRA {source_text}: expected one LoRA .safetensors in the folder, found {len(found)}; "
                         "set draft_lora (preset or batch file) to the file", path=path)
    return found[0]


def load_tiny_vae(source_text: str):
    """TAESD (``AutoencoderTiny``) from a hub id (model store / HF cache) or a diffusers folder."""
    from diffusers import AutoencoderTiny
    from safetensors import SafetensorError

    path = resolve_path(source_text)
    config = read_json(path / "config.json") if path.is_dir() and (path / "config.json").is_file() else {}
    if config.get("_class_name") != "AutoencoderTiny":
        raise ModelError(f"draft autoencoder {source_text}: not a TAESD folder (config.json with _class_name "
                         "AutoencoderTiny expected); pull madebyollin/taesd or set draft_vae", path=path)
    try:
        return AutoencoderTiny.from_pretrained(str(path), use_safetensors=True, local_files_only=True).eval()
    except (OSError, ValueError, RuntimeError, KeyError, SafetensorError) as exc:
        raise ModelError(f"cannot load the draft autoencoder ({type(exc).__name__}: {str(exc)[:200]})",
                         path=path) from None


def apply_draft(components: dict[str, Any], spec) -> Any:
    """Fuse the draft LoRA into ``components`` (unet, text_encoder) and return TAESD, checked to fit."""
    lora_source, vae_source = draft_sources(spec)
    taesd = load_tiny_vae(vae_source)  # cheap, and a bad folder fails before the weights change
    check_fits(components["vae"], taesd, vae_source)
    fuse_lora({"unet": components["unet"], "text_encoder": components["text_encoder"]}, lora_file(lora_source), 1.0)
    return taesd


def check_fits(full_vae, taesd, source: str) -> None:
    """TAESD must share the full VAE's latent channels and pixels-per-latent-pixel."""
    want = (int(full_vae.config.latent_channels), len(full_vae.config.block_out_channels))
    got = (int(taesd.config.latent_channels), len(taesd.config.encoder_block_out_channels))
    if want != got:
        raise ModelError(f"draft autoencoder {source} does not fit the base model (latent channels / levels {got} vs "
                         f"{want}); use the TAESD made for SD1.5 (madebyollin/taesd)")


def draft_motion_indices(timesteps: torch.Tensor, t0: float, t1: float, train_steps: int) -> tuple[int, int]:
    """Motion dynamics on a few-step schedule: T is the step nearest ``t1``, T' the step after it.

    A 4-step schedule (999, 759, 499, 259) has no two steps near the defaults 0.94 / 0.88, so
    the DDIM-backward span of Text2Video-Zero is one draft step here; on schedules where t0 and t1
    land on different steps they are used as given.
    """
    ts = timesteps.detach().cpu().double()
    i1 = int(torch.argmin((ts - t1 * train_steps).abs()))
    i0 = int(torch.argmin((ts - t0 * train_steps).abs()))
    if i0 <= i1:
        i0 = min(i1 + 1, len(ts) - 1)
    if i0 <= i1:
        raise UsageError(f"draft_steps: draft motion dynamics need two steps after t1={t1}; use draft_steps >= 2")
    return i1, i0


__all__ = ["apply_draft", "lora_file", "load_tiny_vae", "draft_sources", "draft_motion_indices", "check_fits",
           "DEFAULT_DRAFT_LORA", "DEFAULT_DRAFT_VAE"]
