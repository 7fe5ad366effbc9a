"""Helpers shared by the engine tests (imported by name: tests/engine is on sys.path)."""
from __future__ import annotations

import numpy as np
import torch

from t2vz_edit.engine.sampler import FrameNoise


class FixedNoise(FrameNoise):
    """Noise handed in as tensors (index = frame id), so a reference can get the very same."""

    def __init__(self, initial: torch.Tensor, renoise: torch.Tensor | None = None, seed: int = 0):
        super().__init__(seed, tuple(initial.shape[1:]))
        self._initial, self._renoise = initial, renoise

    def initial(self, frames):
        return self._initial[[min(f, self._initial.shape[0] - 1) for f in frames]]

    def renoise(self, frames):
        return self._renoise[list(frames)]


def moving_square_clip(frames: int = 6, size: int = 64, seed: int = 0) -> np.ndarray:
    """A textured static background with a bright square moving right: (F, H, W, 3) uint8."""
    rng = np.random.default_rng(seed)
    background = (rng.random((size // 8, size // 8, 3)) * 200).repeat(8, 0).repeat(8, 1)
    clip = np.repeat(background[None], frames, 0).astype(np.uint8)
    for k in range(frames):
        x = 4 + 4 * k
        clip[k, 20:40, x:x + 16] = (250, 240, 30)
    return clip
