"""Depth maps normalised over the whole clip (per-frame normalisation flickers).

Back-end: a transformers depth-estimation model (Depth Anything V2 by default —
``depth-anything/Depth-Anything-V2-Small-hf``, 25 M parameters, stronger than the MiDaS
DPT-Hybrid of the Text2Video-Zero reference) loaded from the model store or a folder with
``AutoModelForDepthEstimation``. Its output is relative inverse depth (near = large), the
convention of ControlNet depth maps (near = white).

Two passes (see :func:`t2vz_edit.conditions.compute.compute_maps`): :meth:`raw` gives float
inverse depth per frame; the caller takes clip-wide bounds from per-frame percentiles
(:func:`frame_bounds`) and :meth:`maps_from_raw` maps every frame with the same bounds.
"""
from __future__ import annotations

import numpy as np

from t2vz_edit.conditions.base import Annotator, Param, files_id, frame_bounds, resolve_params, to_frame_size
from t2vz_edit.conditions.weights import resolve_weights
from t2vz_edit.spec.edit_spec import DEFAULT_DEPTH_MODEL

REQUIRED = ("config.json", "preprocessor_config.json")


class DepthAnnotator(Annotator):
    kind = "depth"
    clip_normalised = True
    PARAMS = {
        "weights": Param(str, DEFAULT_DEPTH_MODEL, "depth model: hub id in the model store, or a folder"),
        "batch": Param(int, 4, "frames per forward pass"),
    }

    def __init__(self, params=None):
        super().__init__(params)
        self.folder = resolve_weights(self.params["weights"], REQUIRED)
        weight_files = tuple(sorted(p.name for p in self.folder.glob("*.safetensors")))
        if not weight_files:
            resolve_weights(self.params["weights"], ("model.safetensors",))  # raises, naming the file
        self._weight_files = REQUIRED + weight_files
        self._model = self._processor = None

    @property
    def weights_id(self) -> str:
        return files_id(self.folder, self._weight_files)

    @classmethod
    def weights_needed(cls, params=None):
        p = resolve_params(cls.kind, cls.PARAMS, params or {})
        return ((p["weights"], REQUIRED + ("*.safetensors",)),)

    def _load(self) -> None:
        import torch
        from transformers import AutoImageProcessor, AutoModelForDepthEstimation

        self._device = "cuda" if torch.cuda.is_available() else "cpu"
        self._processor = AutoImageProcessor.from_pretrained(str(self.folder))
        self._model = AutoModelForDepthEstimation.from_pretrained(str(self.folder), use_safetensors=True)
        self._model.to(self._device).eval()

    def raw(self, frames: np.ndarray) -> np.ndarray:
        """(N, H, W, 3) uint8 -> relative inverse depth float32 (N, h, w) at the model's size."""
        import torch

        if self._model is None:
            self._load()
        self.calls += len(frames)
        out = []
        for start in range(0, len(frames), self.params["batch"]):
            batch = list(frames[start:start + self.params["batch"]])
            inputs = self._processor(images=batch, return_tensors="pt").to(self._device)
            with torch.no_grad():
                depth = self._model(**inputs).predicted_depth  # (B, h, w)
            out.append(depth.float().cpu().numpy())
        return np.concatenate(out).astype(np.float32)

    def maps_from_raw(self, raw: np.ndarray, lo: float, hi: float, size_hw: tuple[int, int]) -> np.ndarray:
        """Map raw depth with clip-wide bounds to uint8 (N, H, W, 3): lo -> 0, hi -> 255."""
        scale = 255.0 / max(hi - lo, 1e-6)
        gray = np.clip((raw - lo) * scale, 0, 255).round().astype(np.uint8)
        return np.stack([to_frame_size(g, size_hw) for g in gray])

    def annotate(self, frames: np.ndarray) -> np.ndarray:
        """One chunk on its own (bounds from this chunk only); clips go through compute_maps."""
        raw = self.raw(frames)
        self.calls -= len(frames)  # __call__ counted them already
        bounds = frame_bounds(raw)
        return self.maps_from_raw(raw, bounds[:, 0].min(), bounds[:, 1].max(), frames.shape[1:3])
