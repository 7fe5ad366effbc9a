"""Temporal-consistency and departure figures for a render against its source, streaming.

Feed pairs of chunks (source, render: uint8 RGB (N, H, W, 3), same N) in order; the
accumulator keeps only the last frame of each, so memory does not grow with clip length.
All figures use pixel values scaled to [0, 1]:

- ``warp_error``: masked MSE between render frame t and render frame t-1 warped onto t along
  the SOURCE's optical flow (occlusions masked). 0 for a perfectly consistent render.
- ``warp_ssim``: mean SSIM (luma) over the same non-occluded pixels; 1 is best.
- ``flicker``: mean absolute difference of consecutive render frames (no motion compensation).
- ``departure_mad`` / ``departure_ssim``: mean absolute difference and 1 - SSIM between render
  and source frames; 0 for an unedited copy. Consistency figures mean little without these.
- ``source_warp_error`` / ``source_flicker``: the same figures of the source itself, the floor a
  render can be compared against.

>>> import numpy as np
>>> clip = np.random.default_rng(0).integers(0, 255, (3, 32, 32, 3), dtype=np.uint8)
>>> acc = QualityAccumulator(); acc.update(clip, clip.copy())
>>> acc.result()["departure_mad"]
0.0
"""
from __future__ import annotations

import cv2
import numpy as np

from t2vz_edit.quality.flow import backward_flow, remap
from t2vz_edit.quality.ssim import luma, ssim_map
from t2vz_edit.spec.errors import UsageError

FIGURES = ("warp_error", "warp_ssim", "flicker", "departure_mad", "departure_ssim",
           "source_warp_error", "source_flicker", "occluded_fraction")


class QualityAccumulator:
    """Running sums of every figure; :meth:`result` gives the clip means."""

    def __init__(self) -> None:
        self._sums = dict.fromkeys(FIGURES, 0.0)
        self.frames = 0
        self.pairs = 0
        self._prev: tuple[np.ndarray, np.ndarray] | None = None  # (source, render) of frame t-1

    def update(self, source: np.ndarray, render: np.ndarray) -> None:
        """Add a chunk of frames: ``source`` and ``render`` uint8 (N, H, W, 3), N equal."""
        if source.shape[0] != render.shape[0] or source.ndim != 4 or render.ndim != 4:
            raise UsageError(f"quality: need chunks of equal frame count (N, H, W, 3), got {source.shape} and "
                             f"{render.shape}")
        render = _match_size(render, source.shape[1:3])
        for src, ren in zip(source, render):
            self._add_frame(src, ren)

    def _add_frame(self, src: np.ndarray, ren: np.ndarray) -> None:
        src_f, ren_f = src.astype(np.float32) / 255.0, ren.astype(np.float32) / 255.0
        self._sums["departure_mad"] += float(np.mean(np.abs(ren_f - src_f)))
        self._sums["departure_ssim"] += 1.0 - float(np.mean(ssim_map(luma(src), luma(ren))))
        self.frames += 1
        if self._prev is not None:
            self._add_pair(*self._prev, src, ren)
        self._prev = (src, ren)

    def _add_pair(self, src_prev, ren_prev, src, ren) -> None:
        flow_px, valid = backward_flow(src_prev, src)            # (H, W, 2), (H, W)
        for prefix, prev, cur in (("", ren_prev, ren), ("source_", src_prev, src)):
            warped = remap(prev, flow_px).astype(np.float32) / 255.0
            cur_f = cur.astype(np.float32) / 255.0
            sq_err = np.mean((warped - cur_f) ** 2, axis=-1)     # (H, W)
            self._sums[f"{prefix}warp_error"] += _masked_mean(sq_err, valid)
            self._sums[f"{prefix}flicker"] += float(np.mean(np.abs(cur_f - prev.astype(np.float32) / 255.0)))
            if not prefix:
                ssim = ssim_map(luma(remap(prev, flow_px)), luma(cur))
                self._sums["warp_ssim"] += _masked_mean(ssim, valid)
        self._sums["occluded_fraction"] += 1.0 - float(np.mean(valid))
        self.pairs += 1

    def result(self) -> dict[str, float | int]:
        """Clip means of every figure plus ``frames`` and ``pairs`` (pair figures are 0 for one frame)."""
        if self.frames == 0:
            raise UsageError("quality: no frames were scored; check the range and that both clips have frames")
        out: dict[str, float | int] = {"frames": self.frames, "pairs": self.pairs}
        for name, total in self._sums.items():
            per_frame = name.startswith("departure")
            count = self.frames if per_frame else self.pairs
            out[name] = round(total / count, 6) if count else (1.0 if name == "warp_ssim" else 0.0)
        return out


def score_arrays(source: np.ndarray, render: np.ndarray) -> dict[str, float | int]:
    """All figures for two whole clips held in memory (tests, small previews)."""
    acc = QualityAccumulator()
    acc.update(source, render)
    return acc.result()


def _masked_mean(values: np.ndarray, mask: np.ndarray) -> float:
    return float(values[mask].mean()) if mask.any() else 0.0


def _match_size(frames: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    """Resize render frames to the source size when they differ (renders at working size)."""
    if frames.shape[1:3] == tuple(size_hw):
        return frames
    h, w = size_hw
    return np.stack([cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f in frames])
