"""Render requests and results: the one interface between a timeline and whatever renders.

A renderer is any callable ``Renderer = Callable[[RenderRequest], RenderResult]``. The
timeline layer asks for each distinct (media, frame range, spec) once; the request names the
output file and the provenance that must reach the render's sidecar. Production renders go
through ``t2vz_edit.pipeline.restyle`` (:mod:`t2vz_edit.timeline.renderers`); tests pass a trim
renderer that re-encodes the range, which proves frame counts without a model.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable

from t2vz_edit.spec.edit_spec import EditSpec
from t2vz_edit.spec.progress import ProgressCallback

PROVENANCE_KEY = "t2vz_edit"  # metadata namespace in timelines and sidecar provenance


@dataclass(frozen=True)
class RenderRequest:
    """Render frames [start_frame, stop_frame) of ``media_path`` (handles included) to ``out_path``."""

    media_path: Path
    start_frame: int  # first source frame of the media (0-based, decode order = display order)
    stop_frame: int  # exclusive
    rate: Fraction  # the media's exact frame rate
    spec: EditSpec
    instruction: str  # the text that chose the spec (marker text, preset name or --instruction)
    out_path: Path
    clip_name: str
    render_key: str  # hash of (media, range, spec): same key = same render
    provenance: dict = field(default_factory=dict)  # goes into the sidecar as given
    progress: ProgressCallback | None = None

    @property
    def frame_count(self) -> int:
        return self.stop_frame - self.start_frame


@dataclass(frozen=True)
class RenderResult:
    """What a renderer produced."""

    path: Path
    frame_count: int
    reused: bool = False


Renderer = Callable[[RenderRequest], RenderResult]


def render_key(media_path: Path, start_frame: int, stop_frame: int, spec: EditSpec) -> str:
    """12 hex digits identifying (media file, frame range, spec)."""
    blob = json.dumps({"media": str(Path(media_path).resolve()), "start": start_frame, "stop": stop_frame,
                       "spec": spec.to_dict()}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def render_path(render_dir: Path, clip_name: str, media_path: Path, key: str, suffix: str = ".mov") -> Path:
    """``<render_dir>/<clip name>_<key>.mov``; the name is made file-system safe."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", clip_name or Path(media_path).stem).strip("._") or "clip"
    return Path(render_dir) / f"{stem[:60]}_{key}{suffix}"


def sidecar_render_key(render: Path) -> str | None:
    """The render key recorded in the render's sidecar, or None when there is no usable sidecar."""
    from t2vz_edit.media.sidecar import read_sidecar, sidecar_path

    if not render.is_file() or not sidecar_path(render).is_file():
        return None
    data = read_sidecar(render)
    provenance = data.get("provenance", {}) if isinstance(data, dict) else {}
    return provenance.get(PROVENANCE_KEY, {}).get("render_key")


def is_reusable(request: RenderRequest) -> bool:
    """An existing render is reused only when its sidecar names the same render key."""
    return sidecar_render_key(request.out_path) == request.render_key
