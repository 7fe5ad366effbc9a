"""Control maps for one clip: probe → decode (chunks) → annotator → cache, and optionally a maps video.

>>> import tempfile, os
>>> from t2vz_edit.media.synth import make_clip
>>> clip = make_clip(os.path.join(tempfile.mkdtemp(), "c.mp4"), frames=6, width=64, height=48)
>>> maps = compute_conditions(clip, "canny", frame_range="2-5", long_side=64)
>>> maps.frame_count, maps.array().shape
(3, (3, 48, 64, 3))
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Iterable

from t2vz_edit.conditions import ConditionMaps, compute_maps, make_annotator
from t2vz_edit.conditions.registry import annotator_class
from t2vz_edit.media.decode import iter_chunks, working_size
from t2vz_edit.media.encode import open_render
from t2vz_edit.media.probe import probe
from t2vz_edit.media.ranges import FrameRange, resolve_range
from t2vz_edit.spec.edit_spec import ControlSpec
from t2vz_edit.spec.errors import OutputError
from t2vz_edit.spec.progress import ProgressCallback

SAMPLE_BYTES = 1 << 20  # first and last MiB identify the content with size and mtime


def content_id(path: str | os.PathLike) -> str:
    """Cheap identity of a file's content: size, mtime (ns) and hashes of its first/last MiB."""
    path = Path(path)
    stat = path.stat()
    digest = hashlib.sha256(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    with path.open("rb") as fh:
        digest.update(fh.read(SAMPLE_BYTES))
        if stat.st_size > SAMPLE_BYTES:
            fh.seek(max(stat.st_size - SAMPLE_BYTES, SAMPLE_BYTES))
            digest.update(fh.read(SAMPLE_BYTES))
    return digest.hexdigest()[:32]


def compute_conditions(path: str | os.PathLike, kind: str | ControlSpec, *, frame_range=None,
                       long_side: int | None = None, params: dict[str, Any] | None = None,
                       chunk_frames: int = 16, refresh: bool = False,
                       progress: ProgressCallback | None = None, chunks: Iterable[Any] | None = None
                       ) -> ConditionMaps:
    """Control maps of ``kind`` for ``frame_range`` of the clip at working size ``long_side``.

    Returns a :class:`ConditionMaps` (iterate for chunks, ``read(start, stop)`` with source frame
    numbers, ``array()`` for all); a second call with the same inputs is served from the cache
    without decoding. ``frame_range`` is a range text ("24-72", "1s+2s", timecodes), a
    ``FrameRange`` or ``None`` for the whole clip. ``chunks`` gives the decoded frames of that
    range at ``long_side`` (the pipeline's one decoding pass); without it the clip is decoded here.
    """
    annotator = make_annotator(kind, params)          # 1. unknown kind / params / weights fail first
    info = probe(path)                                 # 2. the clip and the frames asked for
    span = frame_range if isinstance(frame_range, FrameRange) else resolve_range(info, frame_range)
    fields = {"content": content_id(info.path), "range": [span.start, span.stop], "long_side": long_side or 0}
    if chunks is None:  # 3. lazy: a hit never decodes
        chunks = iter_chunks(info, span, chunk_frames=chunk_frames, long_side=long_side)
    return compute_maps(chunks, annotator, source_fields=fields, total_frames=span.count, refresh=refresh,
                        progress=progress)


def default_maps_path(path: str | os.PathLike, kind: str) -> Path:
    """``<clip>.<kind>.mp4`` next to the source."""
    path = Path(path)
    return path.with_name(f"{path.stem}.{kind}.mp4")


def write_conditions_video(path: str | os.PathLike, kind: str | ControlSpec, out: str | os.PathLike | None = None, *,
                           frame_range=None, long_side: int | None = None, params: dict[str, Any] | None = None,
                           overwrite: bool = False, progress: ProgressCallback | None = None) -> Path:
    """Compute maps and write them as a video with the source range's rate, timecode and audio."""
    kind_name = kind.kind if isinstance(kind, ControlSpec) else kind
    annotator_class(kind_name, "--kind")               # an unknown kind fails before anything is opened
    out_path = Path(out) if out else default_maps_path(path, kind_name)
    if out_path.resolve() == Path(path).resolve():
        raise OutputError(f"-o {out_path} is the source clip; choose another output", path=out_path)
    info = probe(path)
    span = resolve_range(info, frame_range)
    size = working_size(info, long_side)               # maps come at the working size
    provenance = {"job": "conditions", "kind": kind_name, "params": dict(params or {}), "long_side": long_side}
    # open first: an existing output or a bad extension fails before any annotating
    with open_render(out_path, info, span, size=size, overwrite=overwrite, provenance=provenance,
                     progress=progress) as render:
        maps = compute_conditions(path, kind, frame_range=span, long_side=long_side, params=params,
                                  progress=progress)
        render.provenance.update(cache_key=maps.key, weights=maps.info["fields"]["weights"])
        for chunk in maps:
            render.write(chunk.maps)
    return out_path
