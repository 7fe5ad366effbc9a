"""Background smoothing (Text2Video-Zero Sec. 3.3.2, made to work).

At the step nearest ``smooth_step`` (fraction of the training timesteps), each frame's
background latents move toward the warped anchor's:
    x̄_k = M_k ⊙ x_k + (1 − M_k) ⊙ (α·x_k + (1 − α)·W_k(x_1)),
where α = ``smooth_strength`` (weight of the frame's own latent), M_k the dilated foreground
of frame k joined with the warped anchor's foreground, and W_k the warp by δ^k (identity
without motion dynamics).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from t2vz_edit.engine import motion
from t2vz_edit.engine.masks import MaskRequest, load_provider


def dilate(mask: torch.Tensor, kernel: int) -> torch.Tensor:
    """Binary dilation by a ``kernel``×``kernel`` square: (P, h, w) → (P, h, w)."""
    return F.max_pool2d(mask[:, None], kernel, stride=1, padding=kernel // 2)[:, 0]


def blend(latents: torch.Tensor, reference: torch.Tensor, foreground: torch.Tensor, strength: float) -> torch.Tensor:
    """Move background latents toward ``reference``; (P, C, h, w), masks (P, h, w)."""
    bg = (1 - foreground)[:, None].to(latents.dtype)
    return latents + bg * (1 - strength) * (reference - latents)


def provider_for(spec):
    """The run's mask provider (loaded once per run, not per segment), or None when smoothing is off."""
    return load_provider(spec.mask_provider) if spec.smooth_background else None


def step_hook(spec, ids: Sequence[int], schedule: torch.Tensor, timesteps: torch.Tensor, source: np.ndarray | None,
              cond, vae_scale_factor: int, with_motion: bool, provider=None):
    """The ``on_step`` hook of a segment, or None when smoothing is off; ``provider`` from :func:`provider_for`."""
    if not spec.smooth_background:
        return None
    train_steps = 1000
    target = spec.smooth_step * train_steps
    at = int(torch.argmin((timesteps.detach().cpu().double() - target).abs()))
    provider = provider or load_provider(spec.mask_provider)
    shifts = motion.frame_shifts(ids, spec.motion, spec.motion_strength if with_motion else 0.0, vae_scale_factor)

    def hook(i: int, latents: torch.Tensor) -> torch.Tensor:
        if i != at:
            return latents
        warp = dict(mode=spec.warp, padding=spec.warp_padding)
        reference = motion.translate(latents[:1].expand_as(latents), shifts, **warp)
        depth = cond.controls.get("depth")
        request = MaskRequest(size_hw=tuple(latents.shape[-2:]), frames=source, latents=latents, reference=reference,
                              depth=None if depth is None else depth.mean(1, keepdim=True).cpu())
        fg = dilate(provider(request).to(latents.device), spec.mask_dilation)
        anchor_fg = motion.translate(fg[:1, None].expand(len(ids), 1, -1, -1), shifts, **warp)[:, 0]
        return blend(latents, reference, torch.maximum(fg, (anchor_fg > 0.5).float()), spec.smooth_strength)

    return hook


__all__ = ["step_hook", "provider_for", "blend", "dilate"]
