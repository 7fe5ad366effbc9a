"""Foreground mask providers for background smoothing, found through entry points.

A provider is called with a :class:`MaskRequest` and returns foreground masks (P, h, w) in
[0, 1] at latent resolution (1 = foreground). Providers register under the entry point group
``t2vz_edit.mask_providers``; the built-ins are loaded through the same ``module:attr`` path.

>>> sorted(available_providers())[:3]
['depth', 'depth_model', 'motion']
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Protocol

import numpy as np
import torch
import torch.nn.functional as F

from t2vz_edit.spec.errors import UsageError

# Built-ins register through this entry-point group too (pyproject.toml): one list, no twin here.
GROUP = "t2vz_edit.mask_providers"


@dataclass
class MaskRequest:
    """What a provider may look at; each provider says which fields it needs."""

    size_hw: tuple[int, int]  # latent (h, w)
    frames: np.ndarray | None = None  # (P, H, W, 3) uint8 source frames, position 0 = anchor
    depth: torch.Tensor | None = None  # (P, 1, H, W) in [0, 1], near = bright (clip-wide normalised)
    latents: torch.Tensor | None = None  # (P, C, h, w) current latents
    reference: torch.Tensor | None = None  # (P, C, h, w) warped anchor latents


class MaskProvider(Protocol):
    def __call__(self, request: MaskRequest) -> torch.Tensor: ...


def available_providers() -> dict[str, EntryPoint]:
    """Every mask provider, built-in or plugin, by name (nothing imported yet)."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def load_provider(name: str, **options: Any) -> MaskProvider:
    """Instantiate the provider registered as ``name`` (``EditSpec.mask_provider``)."""
    providers = available_providers()
    if name not in providers:
        raise UsageError(f"mask_provider {name!r} is not installed; use one of: {', '.join(sorted(providers))}")
    return providers[name].load()(**options)


def _to_latent(mask: torch.Tensor, size_hw: tuple[int, int]) -> torch.Tensor:
    """(P, 1, H, W) → (P, h, w) by area averaging."""
    return F.adaptive_avg_pool2d(mask.float(), size_hw)[:, 0]


class MotionMasks:
    """Weight-free: foreground is what differs from the anchor.

    With source frames: the blurred grey-level difference to the anchor frame (a static
    camera's background does not differ); without (text-to-video): the latent difference to the
    warped anchor. A difference covers both where the subject is now and where it was in the
    anchor, so the anchor needs no mask of its own (it is all background: it is the reference).
    """

    def __init__(self, threshold: float = 0.06):
        self.threshold = threshold

    def __call__(self, request: MaskRequest) -> torch.Tensor:
        if request.frames is not None:
            grey = torch.from_numpy(request.frames).float().mean(-1, keepdim=True).permute(0, 3, 1, 2) / 255.0
            diff = F.avg_pool2d((grey - grey[:1]).abs(), 5, stride=1, padding=2)
            fg = _to_latent((diff > self.threshold).float(), request.size_hw)
        elif request.latents is not None and request.reference is not None:
            diff = (request.latents - request.reference).abs().mean(1).float()  # (P, h, w)
            fg = (diff > diff[1:].mean() if diff.shape[0] > 1 else diff > 0).float()
        else:
            raise UsageError("mask_provider motion needs source frames or latents with a reference")
        return (fg > 0).float()


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
           "GROUP"]
