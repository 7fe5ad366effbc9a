"""SSIM map (Wang et al., IEEE TIP 2004): 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03.

Computed on luma (BT.709 weights) of frames scaled to [0, 1], so one map per frame pair.
"""
from __future__ import annotations

import cv2
import numpy as np

C1 = 0.01**2
C2 = 0.03**2
LUMA_709 = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def luma(frame: np.ndarray) -> np.ndarray:
    """uint8 RGB (H, W, 3) -> float32 luma (H, W) in [0, 1]."""
    return (frame.astype(np.float32) @ LUMA_709) / 255.0


def _blur(x: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(x, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-pixel SSIM of two float32 (H, W) images in [0, 1]; 1 where identical."""
    mu_a, mu_b = _blur(a), _blur(b)
    var_a = _blur(a * a) - mu_a * mu_a
    var_b = _blur(b * b) - mu_b * mu_b
    cov = _blur(a * b) - mu_a * mu_b
    num = (2 * mu_a * mu_b + C1) * (2 * cov + C2)
    den = (mu_a * mu_a + mu_b * mu_b + C1) * (var_a + var_b + C2)
    return num / den
