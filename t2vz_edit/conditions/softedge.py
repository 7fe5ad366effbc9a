"""Soft edges (HED or PiDiNet) through controlnet-aux, for ControlNet softedge models.

PiDiNet (``table5_pidinet.pth``) is the default: ControlNet 1.1 recommends it for softedge
and it is ~50x smaller than HED (``ControlNetHED.pth``). ``safe`` quantises the edge
strength (the "safe" variants of the ControlNet 1.1 preprocessors), which hides fine texture.
"""
from __future__ import annotations

import numpy as np

from t2vz_edit.conditions.base import FrameDetector, Param, files_id, resolve_params
from t2vz_edit.conditions.weights import ANNOTATORS_REPO, resolve_weights

FILES = {"pidinet": "table5_pidinet.pth", "hed": "ControlNetHED.pth"}


class SoftEdgeAnnotator(FrameDetector):
    kind = "softedge"
    PARAMS = {
        "backend": Param(str, "pidinet", "edge network", tuple(FILES)),
        "weights": Param(str, ANNOTATORS_REPO, "annotator weights: hub id in the model store, or a folder"),
        "resolution": Param(int, 512, "long side in pixels the detector sees"),
        "safe": Param(bool, False, "quantise edge strength (softedge_*safe preprocessors)"),
    }

    def __init__(self, params=None):
        super().__init__(params)
        self.file = FILES[self.params["backend"]]
        self.folder = resolve_weights(self.params["weights"], (self.file,))

    @classmethod
    def weights_needed(cls, params=None):
        p = resolve_params(cls.kind, cls.PARAMS, params or {})
        return ((p["weights"], (FILES[p["backend"]],)),)

    @property
    def weights_id(self) -> str:
        return files_id(self.folder, (self.file,))

    def _load(self):
        if self.params["backend"] == "hed":
            from controlnet_aux.hed import HEDdetector as Detector
        else:
            from controlnet_aux.pidi import PidiNetDetector as Detector
        return Detector.from_pretrained(str(self.folder), filename=self.file)

    def detect(self, small: np.ndarray) -> np.ndarray:
        return self._detector(small, detect_resolution=min(small.shape[:2]), image_resolution=min(small.shape[:2]),
                              safe=self.params["safe"], output_type="np")
