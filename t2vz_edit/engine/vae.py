"""Pixels ↔ latents, one chunk at a time, and the working size.

>>> working_size(1080, 1920, 512)
(288, 512)
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from t2vz_edit.engine.parts import EngineParts


def working_size(height_px: int, width_px: int, long_side_px: int, multiple: int = 8) -> tuple[int, int]:
    """Scale so the long side is ``long_side_px``; each side a multiple of ``multiple`` (aspect kept)."""
    scale = long_side_px / max(height_px, width_px)
    return (max(multiple, int(round(height_px * scale / multiple)) * multiple),
            max(multiple, int(round(width_px * scale / multiple)) * multiple))


def to_tensor(frames: np.ndarray, size_hw: tuple[int, int], device, dtype) -> torch.Tensor:
    """uint8 (N, H, W, 3) → float (N, 3, h, w) in [0, 1] at the working size."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).to(device).permute(0, 3, 1, 2).float() / 255.0
    if tuple(x.shape[-2:]) != tuple(size_hw):
        x = F.interpolate(x, size=size_hw, mode="bilinear", antialias=True, align_corners=False).clamp(0, 1)
    return x.to(dtype)


def encode_mode(parts: EngineParts, images01: torch.Tensor, chunk: int) -> torch.Tensor:
    """VAE posterior mode of images in [0, 1], (N, 3, H, W) → (N, C, h, w), unscaled.

    With a draft autoencoder (TAESD), whose latents are already scaled, they are divided by the
    full VAE's ``scaling_factor`` so Instruct-Pix2Pix sees the same kind of latents."""
    out = []
    codec, scaling = parts.draft_vae or parts.vae, parts.vae.config.scaling_factor
    with torch.no_grad():
        for lo in range(0, images01.shape[0], chunk):
            x = images01[lo:lo + chunk].to(codec.dtype) * 2 - 1  # (n, 3, H, W) in [-1, 1]
            if parts.draft_vae is not None:
                out.append(codec.encode(x).latents / scaling)
            else:
                out.append(codec.encode(x).latent_dist.mode())
    return torch.cat(out)


def decode(parts: EngineParts, latents: torch.Tensor, chunk: int) -> torch.Tensor:
    """(N, C, h, w) scaled latents → float images (N, H, W, 3) in [0, 1] on the CPU (TAESD in draft mode)."""
    out = []
    codec = parts.draft_vae or parts.vae
    scaling = 1.0 if parts.draft_vae is not None else parts.vae.config.scaling_factor
    with torch.no_grad():
        for lo in range(0, latents.shape[0], chunk):
            x = codec.decode(latents[lo:lo + chunk].to(codec.dtype) / scaling, return_dict=False)[0]
            out.append((x.float() / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1).cpu())
    return torch.cat(out)


def to_uint8(images01: torch.Tensor) -> np.ndarray:
    return (images01 * 255).round().to(torch.uint8).numpy()
