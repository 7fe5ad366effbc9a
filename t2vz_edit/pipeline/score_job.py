"""Score a render against its source: decode both in step and feed the quality accumulator.

Frame i of the render is matched to frame ``range.start + i`` of the source when the render
has exactly the range's frame count (a render of that range), or to source frame i when both
have the same frame count (a full-length render; the range then selects from both).

>>> import tempfile, os, shutil
>>> from t2vz_edit.media.synth import make_clip
>>> src = make_clip(os.path.join(tempfile.mkdtemp(), "s.mp4"), frames=6, width=64, height=48)
>>> score(src, src)["departure_mad"]
0.0

A restyle's sidecar records what its own figures were measured on (``quality.long_side``, the
working size) and which source range it holds; :func:`recorded` reads both, so ``t2vz-edit score
RENDER`` measures the same frames at the same size as the sidecar's figures.
"""
from __future__ import annotations

import os
from typing import Any

from t2vz_edit.media.decode import iter_chunks
from t2vz_edit.media.probe import probe
from t2vz_edit.media.ranges import FrameRange, resolve_range
from t2vz_edit.quality import QualityAccumulator
from t2vz_edit.spec.errors import UsageError
from t2vz_edit.spec.progress import ProgressCallback, reporter

DEFAULT_LONG_SIDE = 512  # flow + SSIM at working size: ~10 ms a frame pair, figures comparable across clips
STAGE = "score"
MAX_SIDE = 4096  # 4K DCI at its own size; beyond it flow and SSIM need many GiB (8192² was OOM-killed)
CHUNK_BYTES = 256 * 2**20  # RGB frames of one clip held at once


def recorded(render: str | os.PathLike) -> dict[str, Any]:
    """``source``, ``range`` (a FrameRange) and ``long_side`` a render's sidecar records; only those
    present (``{}`` without a sidecar). A sidecar that cannot be read is an error, not a guess."""
    from t2vz_edit.media.sidecar import read_sidecar, sidecar_path

    if not sidecar_path(render).is_file():
        return {}
    prov = read_sidecar(render).get("provenance") or {}
    out: dict[str, Any] = {}
    if isinstance(prov.get("source"), str) and prov["source"].strip():
        out["source"] = prov["source"]
    span = prov.get("range") or {}
    start, stop = span.get("start_frame"), span.get("stop_frame")
    if isinstance(start, int) and isinstance(stop, int) and 0 <= start < stop:
        out["range"] = FrameRange(start, stop)
    long_side = (prov.get("quality") or {}).get("long_side")
    if isinstance(long_side, int) and long_side > 0:
        out["long_side"] = long_side
    return out


def _bounded(src_info, ren_info, long_side: int | None, chunk_frames: int) -> int:
    """Refuse a comparison larger than :data:`MAX_SIDE` (``--size 0`` on an 8K clip), and shrink the
    chunk so a chunk of RGB frames stays under :data:`CHUNK_BYTES`; returns the chunk length."""
    sides = [max(info.display_width, info.display_height) for info in (src_info, ren_info)]
    if long_side:
        widest = long_side
    else:
        widest = max(sides)
        if widest > MAX_SIDE:
            info = src_info if sides[0] >= sides[1] else ren_info
            raise UsageError(f"{info.path}: --size 0 compares at the source size {info.display_width}x"
                             f"{info.display_height}, over the {MAX_SIDE} px limit of score; pass --size {MAX_SIDE} "
                             f"or smaller (default {DEFAULT_LONG_SIDE})")
    if widest > MAX_SIDE:
        raise UsageError(f"--size {widest} is outside 16..{MAX_SIDE} (or 0 for the source size)")
    frame_bytes = widest * widest * 3  # the long side squared bounds any aspect ratio
    return max(2, min(chunk_frames, CHUNK_BYTES // frame_bytes))


def _render_span(source_span: FrameRange, source_frames: int, render_frames: int, render_path) -> FrameRange:
    if render_frames == source_span.count:
        return FrameRange(0, render_frames)
    if render_frames == source_frames:
        return source_span
    raise UsageError(f"{render_path}: the render has {render_frames} frames but the source range has "
                     f"{source_span.count} (source {source_frames}); pass the --range the render was made from")


def score(source: str | os.PathLike, render: str | os.PathLike, *, frame_range=None,
          long_side: int | None = DEFAULT_LONG_SIDE, chunk_frames: int = 16,
          progress: ProgressCallback | None = None) -> dict[str, Any]:
    """Warp error, WarpSSIM, flicker and departure of ``render`` against ``source`` (see quality)."""
    report = reporter(progress)
    src_info, ren_info = probe(source), probe(render)
    chunk_frames = _bounded(src_info, ren_info, long_side, chunk_frames)
    src_span = frame_range if isinstance(frame_range, FrameRange) else resolve_range(src_info, frame_range)
    ren_span = _render_span(src_span, src_info.frame_count, ren_info.frame_count, ren_info.path)
    acc = QualityAccumulator()
    src_chunks = iter_chunks(src_info, src_span, chunk_frames=chunk_frames, long_side=long_side or None)
    ren_chunks = iter_chunks(ren_info, ren_span, chunk_frames=chunk_frames, long_side=long_side or None)
    for src_chunk, ren_chunk in zip(src_chunks, ren_chunks, strict=True):
        acc.update(src_chunk.frames, ren_chunk.frames)
        report(STAGE, acc.frames, src_span.count)
    return {"source": str(src_info.path), "render": str(ren_info.path),
            "range": {"start_frame": src_span.start, "stop_frame": src_span.stop},
            "long_side": long_side or 0, **acc.result()}
