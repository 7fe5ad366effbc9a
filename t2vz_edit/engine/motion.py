"""Latent motion dynamics (Text2Video-Zero, Sec. 3.3.1) for any size, aspect ratio and step count.

1. x_T for frame 1; DDIM backward on frame 1 alone from the first timestep down to T' (t0);
   the latent at T (t1) is kept on the way.
2. Frame k's latent at T' is frame 1's, translated by δ^k = λ·k·δ (k = 0 for frame 1).
3. DDPM forward from T' to T: x_T = sqrt(ᾱ_T/ᾱ_T')·x_T' + sqrt(1 − ᾱ_T/ᾱ_T')·ε  (DDPM eq. 4).
4. All frames are denoised jointly from T.

λ is in output pixels per frame (the reference's unit at 512², where it is the flow on a
512² grid); the shift in latent pixels is λ·k·δ / vae_scale_factor, whatever the resolution.

>>> motion_step_indices(torch.arange(981, 0, -20), t0=0.881, t1=0.941, train_steps=1000)
(2, 5)
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from t2vz_edit.spec import schedule


def motion_step_indices(timesteps: torch.Tensor, t0: float, t1: float, train_steps: int) -> tuple[int, int]:
    """Indices (i1, i0) of t1 > t0 on this model's schedule (the rule lives in :mod:`t2vz_edit.spec.schedule`)."""
    return schedule.motion_step_indices(timesteps.detach().cpu().double().tolist(), t0, t1, train_steps)


def frame_shifts(frame_ids: Sequence[int], direction: Sequence[float], strength_px: float,
                 vae_scale_factor: int) -> torch.Tensor:
    """δ^k per frame in latent pixels, (N, 2) as (dx, dy); frame 0 does not move."""
    k = torch.as_tensor(list(frame_ids), dtype=torch.float64)[:, None]
    d = torch.as_tensor([float(direction[0]), float(direction[1])], dtype=torch.float64)[None]
    return (k * d * strength_px / vae_scale_factor).float()


def translate(latents: torch.Tensor, shifts: torch.Tensor, *, mode: str = "bilinear",
              padding: str = "border") -> torch.Tensor:
    """Sample each latent at (x + dx, y + dy): (N, C, h, w) → (N, C, h, w).

    ``border`` repeats the edge (no mirrored content on long clips); the reference used
    ``mode="nearest", padding="reflection"``.
    """
    n, _, h, w = latents.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32),
                            indexing="ij")
    x = xs[None] + shifts[:, 0, None, None]  # (N, h, w) latent pixel coordinates
    y = ys[None] + shifts[:, 1, None, None]
    # pixel centres → [-1, 1] for align_corners=False
    grid = torch.stack([(x + 0.5) / w * 2 - 1, (y + 0.5) / h * 2 - 1], dim=-1)
    grid = grid.to(device=latents.device, dtype=latents.dtype)
    return F.grid_sample(latents, grid, mode=mode, padding_mode=padding, align_corners=False)


def renoise(latents: torch.Tensor, alphas_cumprod: torch.Tensor, t_from: int, t_to: int,
            noise: torch.Tensor) -> torch.Tensor:
    """DDPM forward from timestep ``t_from`` to the noisier ``t_to`` (Ho et al. 2020, eq. 4)."""
    ratio = (alphas_cumprod[int(t_to)] / alphas_cumprod[int(t_from)]).to(latents.device, torch.float64)
    return (ratio.sqrt() * latents.double() + (1 - ratio).sqrt() * noise.double()).to(latents.dtype)


__all__ = ["motion_step_indices", "frame_shifts", "translate", "renoise"]
