"""What every annotator is: a small callable from frames to control maps, with declared params.

An annotator turns a chunk of frames, uint8 RGB (N, H, W, 3), into control maps of the same
shape. Kinds whose maps must be normalised over the whole clip (depth) also expose
:meth:`Annotator.raw` (float32 (N, h, w)) and :meth:`Annotator.maps_from_raw`; the caller
collects clip-wide statistics between the two (see :mod:`t2vz_edit.conditions.compute`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import cv2
import numpy as np

from t2vz_edit.spec.errors import UsageError

LOW_PERCENTILE, HIGH_PERCENTILE = 2.0, 98.0  # clip-normalised kinds ignore a few outlier pixels per frame


@dataclass(frozen=True)
class Param:
    """One annotator parameter: type, default, allowed values (``None`` = any) and its help."""

    kind: type
    default: Any
    help: str
    choices: tuple | None = None


class Annotator:
    """Base class: subclasses set ``kind``, ``PARAMS`` and implement :meth:`annotate`."""

    kind: ClassVar[str] = ""
    PARAMS: ClassVar[dict[str, Param]] = {}
    clip_normalised: ClassVar[bool] = False

    def __init__(self, params: dict[str, Any] | None = None):
        self.params = resolve_params(self.kind, self.PARAMS, params or {})
        self.calls = 0  # frames annotated by this instance (cache tests read it)

    @property
    def weights_id(self) -> str:
        """Identifies the weights behind the maps (part of the cache key)."""
        return "none"

    @classmethod
    def weights_needed(cls, params: dict[str, Any] | None = None) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """``((source, file patterns), ...)`` this kind loads with ``params``: a hub id in the model
        store or a folder, and the files (glob patterns) it needs there. Weight-free kinds: ``()``."""
        return ()

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        """(N, H, W, 3) uint8 RGB -> (N, H, W, 3) uint8 control maps."""
        check_frames(frames)
        self.calls += len(frames)
        return self.annotate(frames)

    def annotate(self, frames: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # clip-normalised kinds only
    def raw(self, frames: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def maps_from_raw(self, raw: np.ndarray, lo: float, hi: float, size_hw: tuple[int, int]) -> np.ndarray:
        raise NotImplementedError


class FrameDetector(Annotator):
    """An annotator around a detector loaded on first use (:meth:`_load`) and run frame by frame at
    ``params["resolution"]`` (long side); each map is scaled back to its frame's size."""

    _detector = None

    def _load(self):
        raise NotImplementedError

    def detect(self, small: np.ndarray) -> np.ndarray:
        """One (h, w, 3) uint8 frame at detection size -> its (h', w', 3) map."""
        raise NotImplementedError

    def annotate(self, frames: np.ndarray) -> np.ndarray:
        if self._detector is None:
            self._detector = self._load()
        out = np.empty_like(frames)
        for i, frame in enumerate(frames):
            out[i] = to_frame_size(self.detect(fit_long_side(frame, self.params["resolution"])), frame.shape[:2])
        return out


def resolve_params(kind: str, declared: dict[str, Param], given: dict[str, Any]) -> dict[str, Any]:
    """Defaults filled in, unknown names and bad values refused with the allowed ones named."""
    unknown = sorted(set(given) - set(declared))
    if unknown:
        allowed = ", ".join(declared) or "none"
        raise UsageError(f"{kind} control: unknown parameter(s) {', '.join(unknown)}; allowed: {allowed}")
    out = {}
    for name, p in declared.items():
        value = given.get(name, p.default)
        if p.kind in (int, float) and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise UsageError(f"{kind} control: parameter {name} must be a number, got {value!r} ({p.help})")
        if p.kind is bool and not isinstance(value, bool):
            raise UsageError(f"{kind} control: parameter {name} must be true or false, got {value!r}")
        if p.choices is not None and value not in p.choices:
            raise UsageError(f"{kind} control: parameter {name}={value!r} is not allowed; use one of: "
                             f"{', '.join(map(str, p.choices))}")
        out[name] = p.kind(value)
    return out


def check_frames(frames: np.ndarray) -> None:
    if not isinstance(frames, np.ndarray) or frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        got = getattr(frames, "shape", type(frames).__name__), getattr(frames, "dtype", "")
        raise UsageError(f"annotators take uint8 RGB frames shaped (N, H, W, 3), got {got}")


def fit_long_side(frame: np.ndarray, long_side_px: int) -> np.ndarray:
    """Resize so the long side is ``long_side_px`` (area filter down, cubic up); (h, w, C)."""
    h, w = frame.shape[:2]
    scale = long_side_px / max(h, w)
    if scale == 1.0:
        return frame
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def to_frame_size(control: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    """Resize a map (h, w) or (h, w, 3) back to the frame size and make it 3-channel uint8."""
    h, w = size_hw
    if control.shape[:2] != (h, w):
        control = cv2.resize(control, (w, h), interpolation=cv2.INTER_LINEAR)
    if control.ndim == 2:
        control = np.repeat(control[..., None], 3, axis=-1)
    return np.ascontiguousarray(control, dtype=np.uint8)


def files_id(folder: Path, names: tuple[str, ...]) -> str:
    """Cheap identity of weight files: name, size and a hash of the first MiB of each."""
    digest = hashlib.sha256()
    for name in names:
        path = folder / name
        digest.update(f"{name}:{path.stat().st_size}:".encode())
        with path.open("rb") as fh:
            digest.update(fh.read(1 << 20))
    return digest.hexdigest()[:16]


def frame_bounds(raw: np.ndarray) -> np.ndarray:
    """Per-frame (low, high) percentiles of raw depth (N, h, w) -> (N, 2) float64."""
    flat = raw.reshape(len(raw), -1)
    return np.percentile(flat, [LOW_PERCENTILE, HIGH_PERCENTILE], axis=1).T
