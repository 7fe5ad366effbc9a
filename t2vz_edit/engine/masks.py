"""Foreground mask providers for background smoothing, found through entry points.

A provider is called with a :class:`MaskRequest` and returns foreground masks (P, h, w) in
[0, 1] at latent resolution (1 = foreground). Providers register under the entry point group
``t2vz_edit.mask_providers``; the built-ins are loaded through the same ``module:attr`` path.

>>> sorted(available_providers())[:4]
['depth', 'depth_model', 'motion', 'saliency']
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch
import torch.nn.functional as F

from t2vz_edit.spec.errors import UsageError
from t2vz_edit.spec.registry import Registry

# Built-ins register through this entry-point group too (pyproject.toml): one list, no twin here.
GROUP = "t2vz_edit.mask_providers"
MASK_PROVIDERS = Registry(GROUP, "mask provider", flag="mask_provider (preset or batch file)", check=callable,
                          expected="a callable provider class")


@dataclass
class MaskRequest:
    """What a provider may look at; each provider says which fields it needs."""

    size_hw: tuple[int, int]  # latent (h, w)
    frames: np.ndarray | None = None  # (P, H, W, 3) uint8 source frames, position 0 = anchor
    depth: torch.Tensor | None = None  # (P, 1, H, W) in [0, 1], near = bright (clip-wide normalised)
    latents: torch.Tensor | None = None  # (P, C, h, w) current latents
    reference: torch.Tensor | None = None  # (P, C, h, w) warped anchor's predicted clean latents
    x0: torch.Tensor | None = None  # (P, C, h, w) predicted clean latents at the smoothing step
    shifts: torch.Tensor | None = None  # (P, 2) motion of each position from the anchor, latent pixels (dx, dy)


class MaskProvider(Protocol):
    def __call__(self, request: MaskRequest) -> torch.Tensor: ...


def available_providers() -> list[str]:
    """Every mask provider, built-in or plugin, by name (nothing imported yet)."""
    return MASK_PROVIDERS.names()


def load_provider(name: str, **options: Any) -> MaskProvider:
    """Instantiate the provider registered as ``name`` (``EditSpec.mask_provider``)."""
    return MASK_PROVIDERS.load(name)(**options)


def _to_latent(mask: torch.Tensor, size_hw: tuple[int, int]) -> torch.Tensor:
    """(P, 1, H, W) → (P, h, w) by area averaging."""
    return F.adaptive_avg_pool2d(mask.float(), size_hw)[:, 0]


class MotionMasks:
    """Weight-free: foreground is what differs from the anchor frame of the source.

    With source frames: the blurred grey-level difference to the anchor frame (a static
    camera's background does not differ); a difference covers both where the subject is now
    and where it was in the anchor, so the anchor needs no mask of its own. Without source
    frames (text-to-video) there is no motion to see: the salient part of the predicted clean
    latent stands in (:class:`SaliencyMasks`).
    """

    def __init__(self, threshold: float = 0.06):
        self.threshold = threshold

    def __call__(self, request: MaskRequest) -> torch.Tensor:
        if request.frames is None:
            return SaliencyMasks()(request)
        grey = torch.from_numpy(request.frames).float().mean(-1, keepdim=True).permute(0, 3, 1, 2) / 255.0
        diff = F.avg_pool2d((grey - grey[:1]).abs(), 5, stride=1, padding=2)
        fg = _to_latent((diff > self.threshold).float(), request.size_hw)
        return (fg > 0).float()


def otsu_threshold(values: torch.Tensor) -> torch.Tensor:
    """Otsu's threshold (1979) of each row of ``values`` (P, n): the split of the sorted values
    with the largest between-class variance w₀·w₁·(μ₀ − μ₁)²; values above it are one class."""
    v = values.double().sort(dim=1).values
    n = v.shape[1]
    count = torch.arange(1, n, dtype=torch.float64)[None]  # values in the lower class
    below = v.cumsum(1)[:, :-1]
    m0, m1 = below / count, (v.sum(1, keepdim=True) - below) / (n - count)
    best = torch.argmax(count * (n - count) * (m0 - m1) ** 2, dim=1, keepdim=True)
    return v.gather(1, best).to(values.dtype)  # (P, 1): the largest value of the lower class


class SaliencyMasks:
    """Weight-free, for text-to-video: foreground is where the predicted clean latent stands out.

    The frames of a text-to-video clip are one scene moved by the motion dynamics, so their
    predicted x̂₀, moved back by each frame's shift and averaged, give one consensus latent of
    the scene with each frame's own noise averaged out. Saliency is its distance from its mean
    latent (the subject departs from the flat background), smoothed over ``blur`` latent pixels
    so the mask is regions, not speckle, split in two by Otsu's threshold, and moved forward
    again to every frame.
    """

    def __init__(self, blur: int = 5):
        self.blur = blur

    def __call__(self, request: MaskRequest) -> torch.Tensor:
        from t2vz_edit.engine.motion import translate

        if request.x0 is None:
            raise UsageError("mask_provider saliency needs the predicted latents of the smoothing step")
        x0 = request.x0.float().cpu()
        shifts = torch.zeros(len(x0), 2) if request.shifts is None else request.shifts.float().cpu()
        scene = translate(x0, -shifts, mode="nearest", padding="wrap").mean(0, keepdim=True)  # (1, C, h, w)
        saliency = (scene - scene.mean((-2, -1), keepdim=True)).norm(dim=1, keepdim=True)  # (1, 1, h, w)
        saliency = F.avg_pool2d(saliency, self.blur, stride=1, padding=self.blur // 2, count_include_pad=False)
        flat = saliency.flatten(1)
        fg = (flat > otsu_threshold(flat)).float().view_as(saliency)
        fg = translate(fg.expand(len(x0), -1, -1, -1), shifts, mode="nearest", padding="wrap")
        return _to_latent(fg, request.size_hw)


class DepthMasks:
    """Weight-free given a depth map (the depth control): near (bright) is foreground."""

    def __init__(self, near: float = 0.5):
        self.near = near

    def __call__(self, request: MaskRequest) -> torch.Tensor:
        if request.depth is None:
            raise UsageError("mask_provider depth needs depth maps: add a depth control (--control depth) "
                             "or use mask_provider motion")
        return (_to_latent(request.depth.float(), request.size_hw) > self.near).float()


__all__ = ["MaskRequest", "MaskProvider", "available_providers", "load_provider", "MotionMasks", "DepthMasks",
           "SaliencyMasks", "otsu_threshold", "GROUP", "MASK_PROVIDERS"]
