"""Optical flow on source frames and the warp of a render frame along it.

Flow comes from OpenCV's DIS (Kroeger et al., ECCV 2016) on grayscale source frames, so the
motion a render is judged against is the footage's own, not the render's. Occlusions and
flow failures are masked with the forward–backward consistency test of Sundaram et al.
(ECCV 2010), as used for video style transfer by Ruder et al. (GCPR 2016):
``|w_b + w_f(x + w_b)|² <= 0.01 (|w_b|² + |w_f(x + w_b)|²) + 0.5``.
"""
from __future__ import annotations

import cv2
import numpy as np


def _gray(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


def _dis() -> cv2.DISOpticalFlow:
    return cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)


def backward_flow(source_prev: np.ndarray, source_cur: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flow from the current frame back to the previous one, and a mask of trusted pixels.

    Args: two uint8 RGB frames (H, W, 3). Returns ``flow_px`` float32 (H, W, 2) — for every
    pixel x of the current frame, ``x + flow_px[x]`` is where it was in the previous frame —
    and ``valid`` bool (H, W): False where the forward–backward check fails (occlusion).
    """
    prev_gray, cur_gray = _gray(source_prev), _gray(source_cur)
    dis = _dis()
    flow_back = dis.calc(cur_gray, prev_gray, None)   # (H, W, 2) cur -> prev
    flow_fwd = dis.calc(prev_gray, cur_gray, None)    # (H, W, 2) prev -> cur
    fwd_at_target = remap(flow_fwd, flow_back)        # w_f(x + w_b(x))
    round_trip = flow_back + fwd_at_target
    lhs = np.sum(round_trip**2, axis=-1)
    rhs = 0.01 * (np.sum(flow_back**2, axis=-1) + np.sum(fwd_at_target**2, axis=-1)) + 0.5
    h, w = prev_gray.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    tx, ty = xs + flow_back[..., 0], ys + flow_back[..., 1]
    inside = (tx >= 0) & (tx <= w - 1) & (ty >= 0) & (ty <= h - 1)
    return flow_back, (lhs <= rhs) & inside


def remap(image: np.ndarray, flow_px: np.ndarray) -> np.ndarray:
    """Sample ``image`` at ``x + flow_px[x]`` (bilinear, edge pixels replicated); same shape."""
    h, w = flow_px.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    map_x = xs + flow_px[..., 0]
    map_y = ys + flow_px[..., 1]
    return cv2.remap(image, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
