"""A neural foreground mask provider: a transformers depth model from local weights.

Loaded with ``local_files_only`` from a folder or from the model store (hub id resolved by
:func:`t2vz_edit.engine.models.store.resolve_hub`; no download, no remote code). Depth is
normalised by the anchor frame's range (position 0 of every request): per-frame normalisation
flickers, and the anchor is in every segment, so all segments of a clip share one scale and
cutting a clip into segments never changes a mask. Then the near part is foreground, as in
:class:`~t2vz_edit.engine.masks.DepthMasks`.
"""
from __future__ import annotations

from pathlib import Path

import torch

from t2vz_edit.engine.masks import DepthMasks, MaskRequest
from t2vz_edit.spec.edit_spec import DEFAULT_DEPTH_MODEL
from t2vz_edit.spec.errors import ModelError, UsageError


def _folder(source: str) -> Path:
    if Path(source).is_dir():
        return Path(source)
    from t2vz_edit.engine.models.sources import parse_source
    from t2vz_edit.engine.models.store import resolve_hub

    return resolve_hub(parse_source(source))


class DepthModelMasks:
    """Foreground = near half of a depth model's prediction, normalised by the anchor's range."""

    def __init__(self, source: str = DEFAULT_DEPTH_MODEL, near: float = 0.5):
        self.source, self.threshold = source, DepthMasks(near)
        self._model = self._processor = None

    def _load(self):
        from transformers import AutoImageProcessor, AutoModelForDepthEstimation

        folder = _folder(self.source)
        try:
            self._processor = AutoImageProcessor.from_pretrained(folder, local_files_only=True)
            self._model = AutoModelForDepthEstimation.from_pretrained(folder, local_files_only=True).eval()
        except (OSError, ValueError) as exc:
            raise ModelError(f"depth model for background masks cannot be loaded ({' '.join(str(exc).split())[:200]})",
                             path=folder) from exc

    def __call__(self, request: MaskRequest) -> torch.Tensor:
        if request.frames is None:
            raise UsageError("mask_provider depth_model needs source frames (instruct or controlnet mode)")
        if self._model is None:
            self._load()
        inputs = self._processor(images=list(request.frames), return_tensors="pt")
        with torch.no_grad():
            depth = self._model(**inputs).predicted_depth.float()  # (P, h', w'), larger = nearer
        lo, hi = depth[0].min(), depth[0].max()  # the anchor's range: the same in every segment
        depth = ((depth - lo) / (hi - lo).clamp_min(1e-8)).clamp(0, 1)
        return self.threshold(MaskRequest(size_hw=request.size_hw, depth=depth[:, None]))


__all__ = ["DepthModelMasks", "DEFAULT_DEPTH_MODEL"]
