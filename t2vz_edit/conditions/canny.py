"""Canny edges (OpenCV), the map ControlNet canny models were trained on: white edges on black.

Thresholds are on the gradient magnitude of 8-bit luma; 100/200 is what the ControlNet and
Text2Video-Zero references use.
"""
from __future__ import annotations

import cv2
import numpy as np

from t2vz_edit.conditions.base import Annotator, Param
from t2vz_edit.spec.errors import UsageError


class CannyAnnotator(Annotator):
    kind = "canny"
    PARAMS = {
        "low": Param(int, 100, "lower hysteresis threshold (0..255)"),
        "high": Param(int, 200, "upper hysteresis threshold (0..255), above low"),
    }

    def __init__(self, params=None):
        super().__init__(params)
        low, high = self.params["low"], self.params["high"]
        if not 0 <= low < high <= 1024:
            raise UsageError(f"canny control: need 0 <= low < high, got low={low} high={high}")

    @property
    def weights_id(self) -> str:
        return f"opencv-{cv2.__version__}"

    def annotate(self, frames: np.ndarray) -> np.ndarray:
        out = np.empty_like(frames)
        for i, frame in enumerate(frames):
            edges = cv2.Canny(frame, self.params["low"], self.params["high"])  # (H, W) 0/255
            out[i] = edges[..., None]
        return out
