"""Latent motion dynamics (Text2Video-Zero, Sec. 3.3.1) for any size, aspect ratio and step count.

1. x_T for frame 1; DDIM backward on frame 1 alone from the first timestep down to T' (t0);
   the latent at T (t1) is kept on the way.
2. Frame k's latent at T' is frame 1's, translated by δ^k = λ·k·δ (k = 0 for frame 1).
3. DDPM forward from T' to T: x_T = sqrt(ᾱ_T/ᾱ_T')·x_T' + sqrt(1 − ᾱ_T/ᾱ_T')·ε  (DDPM eq. 4).
4. All frames are denoised jointly from T.

λ is in output pixels per frame (the reference's unit at 512², where it is the flow on a
512² grid); the shift in latent pixels is λ·k·δ / vae_scale_factor, whatever the resolution.
At 512² and λ = 12 that is 1.5 latent pixels per frame: every odd frame has a half-pixel shift.

The warp must not change the statistics of the noisy latent it moves, or frames alternate
soft and sharp (a bilinear half-pixel shift halves the variance) and long clips smear (a
``border`` pad repeats one edge pixel once the shift exceeds the latent). The default,
``spectral`` with ``wrap``, is a band-limited circular translation: every Fourier coefficient
keeps its magnitude, so variance and spectrum are exactly those of the input at any shift and
any clip length; a whole-pixel shift is exactly ``torch.roll``. ``nearest`` moves every pixel
by the same whole amount (a half pixel rounds down, as the reference's grid does), which is the
reference mode for parity with diffusers.

>>> motion_step_indices(torch.arange(981, 0, -20), t0=0.881, t1=0.941, train_steps=1000)
(2, 5)
>>> motion_step_indices(torch.tensor([751, 501, 251, 1]), t0=0.88, t1=0.94, train_steps=1000)
(0, 1)
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F

from t2vz_edit.spec import schedule
from t2vz_edit.spec.errors import UsageError


def motion_step_indices(timesteps: torch.Tensor, t0: float, t1: float, train_steps: int) -> tuple[int, int]:
    """Indices (i1, i0) of t1 > t0 on this model's schedule (the rule lives in :mod:`t2vz_edit.spec.schedule`)."""
    return schedule.motion_step_indices(timesteps.detach().cpu().double().tolist(), t0, t1, train_steps)


def frame_shifts(frame_ids: Sequence[int], direction: Sequence[float], strength_px: float,
                 vae_scale_factor: int) -> torch.Tensor:
    """δ^k per frame in latent pixels, (N, 2) as (dx, dy); frame 0 does not move."""
    k = torch.as_tensor(list(frame_ids), dtype=torch.float64)[:, None]
    d = torch.as_tensor([float(direction[0]), float(direction[1])], dtype=torch.float64)[None]
    return (k * d * strength_px / vae_scale_factor).float()


def whole_pixels(shifts: torch.Tensor) -> torch.Tensor:
    """Shifts rounded to whole pixels, halves rounding down (1.5 → 1, the reference's rounding)."""
    return torch.ceil(shifts.double() - 0.5).long()


def translate(latents: torch.Tensor, shifts: torch.Tensor, *, mode: str = "spectral",
              padding: str = "wrap") -> torch.Tensor:
    """Sample each latent at (x + dx, y + dy): (N, C, h, w) → (N, C, h, w).

    ``mode``: ``spectral`` (Fourier shift, ``wrap`` only), ``nearest`` (whole pixels),
    ``bilinear`` (blurs fractional shifts). ``padding``: ``wrap`` (circular), ``border``,
    ``zeros``, ``reflection``.
    """
    if mode == "spectral":
        if padding != "wrap":
            raise UsageError(f"warp spectral is a circular shift: it needs warp_padding wrap, got {padding!r}")
        return _spectral(latents, shifts)
    if mode == "nearest":
        whole = whole_pixels(shifts)
        if padding == "wrap":
            return torch.stack([_roll(x, int(s[0]), int(s[1])) for x, s in zip(latents, whole)])
        return _grid_sample(latents, whole.float(), "nearest", padding)
    if padding == "wrap":
        return _bilinear_wrap(latents, shifts)
    return _grid_sample(latents, shifts, mode, padding)


def _roll(x: torch.Tensor, dx: int, dy: int) -> torch.Tensor:
    """out[y, x] = in[y + dy, x + dx], circular."""
    return torch.roll(x, shifts=(-dy, -dx), dims=(-2, -1))


def _bilinear_wrap(latents: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    out = []
    for x, (dx, dy) in zip(latents, shifts.double().tolist()):
        fx, fy = math.floor(dx), math.floor(dy)
        ax, ay = dx - fx, dy - fy
        rows = (1 - ay) * _roll(x, 0, fy) + ay * _roll(x, 0, fy + 1)
        out.append((1 - ax) * _roll(rows, fx, 0) + ax * _roll(rows, fx + 1, 0))
    return torch.stack(out)


def _phase(n: int, shift: torch.Tensor) -> torch.Tensor:
    """exp(2πi·f·s) for the FFT frequencies f of length n, per shift: (N, n) complex.

    The Nyquist bin of an even length must stay real for a real output; it gets the sign of
    the whole-pixel shift, (−1)^round(s), so its magnitude (and the variance) is kept too.
    """
    f = torch.fft.fftfreq(n, dtype=torch.float64)  # cycles per pixel
    phase = torch.exp(2j * math.pi * f[None] * shift.double()[:, None])
    if n % 2 == 0:
        phase[:, n // 2] = 1.0 - 2.0 * (whole_pixels(shift) % 2).double()
    return phase


def _spectral(latents: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """Band-limited circular translation: x(· + s) = F⁻¹[F[x]·exp(2πi f s)], magnitudes kept."""
    _, _, h, w = latents.shape
    px = _phase(w, shifts[:, 0].cpu())[:, None, None, :]  # (N, 1, 1, w)
    py = _phase(h, shifts[:, 1].cpu())[:, None, :, None]  # (N, 1, h, 1)
    spectrum = torch.fft.fft2(latents.detach().cpu().double())  # (N, C, h, w)
    out = torch.fft.ifft2(spectrum * px * py).real
    return out.to(device=latents.device, dtype=latents.dtype)


def _grid_sample(latents: torch.Tensor, shifts: torch.Tensor, mode: str, padding: str) -> torch.Tensor:
    n, _, h, w = latents.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32),
                            indexing="ij")
    x = xs[None] + shifts[:, 0, None, None].float()  # (N, h, w) latent pixel coordinates
    y = ys[None] + shifts[:, 1, None, None].float()
    # pixel centres → [-1, 1] for align_corners=False
    grid = torch.stack([(x + 0.5) / w * 2 - 1, (y + 0.5) / h * 2 - 1], dim=-1)
    grid = grid.to(device=latents.device, dtype=latents.dtype)
    return F.grid_sample(latents, grid, mode=mode, padding_mode=padding, align_corners=False)


def renoise(latents: torch.Tensor, alphas_cumprod: torch.Tensor, t_from: int, t_to: int,
            noise: torch.Tensor) -> torch.Tensor:
    """DDPM forward from timestep ``t_from`` to the noisier ``t_to`` (Ho et al. 2020, eq. 4)."""
    ratio = (alphas_cumprod[int(t_to)] / alphas_cumprod[int(t_from)]).to(latents.device, torch.float64)
    return (ratio.sqrt() * latents.double() + (1 - ratio).sqrt() * noise.double()).to(latents.dtype)


__all__ = ["motion_step_indices", "frame_shifts", "translate", "renoise", "whole_pixels"]
