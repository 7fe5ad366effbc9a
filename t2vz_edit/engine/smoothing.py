"""Background smoothing (Text2Video-Zero Sec. 3.3.2, made to work and variance-preserving).

At the timestep t_s nearest ``smooth_step`` (a fraction of the training timesteps), after the
model's prediction ε and before the scheduler steps, each frame's predicted clean latent
x̂₀ = (x_t − √(1−ᾱ_t)·ε)/√ᾱ_t (x_t − σ_t·ε for the Euler samplers) moves toward the warped
anchor's in the background:
    x̂₀' = M_k ⊙ x̂₀_k + (1 − M_k) ⊙ (α·x̂₀_k + (1 − α)·W_k(x̂₀_1)),
and the latent is rebuilt from x̂₀' with the frame's own ε: x_t' = x_t + c_t·(x̂₀' − x̂₀_k),
c_t = √ᾱ_t (σ-parameterised samplers: 1). α = ``smooth_strength`` (weight of the frame's
own prediction), M_k the dilated foreground of frame k joined with the warped anchor's, W_k
the warp by δ^k (identity without motion dynamics). The noise part of x_t is left as it is,
so the latent keeps its noise level; blending the noisy latents themselves (the reference)
averages two independent noises and leaves the background at ~0.72 of the expected std.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from t2vz_edit.engine import motion
from t2vz_edit.engine.masks import MaskRequest, load_provider
from t2vz_edit.spec.errors import ModelError

# observe(frame ids, background mask (P, h, w)) — for tests and diagnostics
Observer = Callable[[Sequence[int], torch.Tensor], None]
_SIGMA_SAMPLERS = ("EulerDiscreteScheduler", "EulerAncestralDiscreteScheduler")


def dilate(mask: torch.Tensor, kernel: int) -> torch.Tensor:
    """Binary dilation by a ``kernel``×``kernel`` square: (P, h, w) → (P, h, w)."""
    return F.max_pool2d(mask[:, None], kernel, stride=1, padding=kernel // 2)[:, 0]


def blend(x0: torch.Tensor, reference: torch.Tensor, foreground: torch.Tensor, strength: float) -> torch.Tensor:
    """Move background predictions toward ``reference``; (P, C, h, w), masks (P, h, w)."""
    bg = (1 - foreground)[:, None].to(x0.dtype)
    return x0 + bg * (1 - strength) * (reference - x0)


def provider_for(spec):
    """The run's mask provider (loaded once per run, not per segment), or None when smoothing is off."""
    return load_provider(spec.mask_provider) if spec.smooth_background else None


def predicted_x0(scheduler, t: torch.Tensor, latents: torch.Tensor, eps: torch.Tensor) -> tuple[torch.Tensor, float]:
    """(x̂₀, c_t): the clean latent the scheduler's step will assume, and its coefficient in x_t."""
    if scheduler.config.prediction_type != "epsilon":
        raise ModelError(f"background smoothing needs an epsilon-prediction model, this scheduler config says "
                         f"{scheduler.config.prediction_type!r}; turn smoothing off (smooth_background = false)")
    if type(scheduler).__name__ in _SIGMA_SAMPLERS:  # x_t = x₀ + σ_t·ε (Karras et al. 2022)
        index = int((scheduler.timesteps.to(t.device) == t).nonzero()[0])
        return latents - float(scheduler.sigmas[index]) * eps, 1.0
    acp = float(scheduler.alphas_cumprod[int(t)])  # x_t = √ᾱ·x₀ + √(1−ᾱ)·ε (Ho et al. 2020, eq. 4)
    return (latents - (1 - acp) ** 0.5 * eps) / acp ** 0.5, acp ** 0.5


def smooth_index(spec, timesteps: torch.Tensor, train_steps: int = 1000) -> int:
    """Index of the timestep nearest ``smooth_step`` in the timesteps a segment runs."""
    return int(torch.argmin((timesteps.detach().cpu().double() - spec.smooth_step * train_steps).abs()))


def step_hook(spec, ids: Sequence[int], timesteps: torch.Tensor, source: np.ndarray | None, cond, scheduler,
              vae_scale_factor: int, with_motion: bool, provider=None, observe: Observer | None = None):
    """The ``on_step`` hook of a segment, or None when smoothing is off; ``provider`` from :func:`provider_for`."""
    if not spec.smooth_background:
        return None
    at = smooth_index(spec, timesteps, scheduler.config.num_train_timesteps)
    provider = provider or load_provider(spec.mask_provider)
    shifts = motion.frame_shifts(ids, spec.motion, spec.motion_strength if with_motion else 0.0, vae_scale_factor)

    def hook(i: int, t: torch.Tensor, latents: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        if i != at:
            return latents
        x0, coeff = predicted_x0(scheduler, t, latents, eps)  # (P, C, h, w)
        reference = motion.translate(x0[:1].expand_as(x0), shifts, mode=spec.warp, padding=spec.warp_padding)
        depth = cond.controls.get("depth")
        request = MaskRequest(size_hw=tuple(latents.shape[-2:]), frames=source, latents=latents, reference=reference,
                              x0=x0, shifts=shifts, depth=None if depth is None else depth.mean(1, keepdim=True).cpu())
        fg = dilate(provider(request).to(latents.device, torch.float32), spec.mask_dilation)
        anchor_fg = motion.translate(fg[:1, None].expand(len(ids), 1, -1, -1), shifts, mode="nearest",
                                     padding=spec.warp_padding)[:, 0]
        fg = torch.maximum(fg, (anchor_fg > 0.5).float())
        if observe is not None:
            observe(list(ids), 1 - fg)
        return latents + coeff * (blend(x0, reference, fg, spec.smooth_strength) - x0)

    return hook


__all__ = ["step_hook", "provider_for", "blend", "dilate", "predicted_x0", "smooth_index"]
