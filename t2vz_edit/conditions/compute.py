"""Control maps for a stream of frame chunks, through the cache, with clip-wide depth bounds.

The caller (the pipeline) owns decoding; this module takes any iterable of ``(start, frames)``
pairs (or objects with ``.start`` and ``.frames``), uint8 RGB (N, H, W, 3), in clip order, and
only consumes it on a cache miss. Per-frame kinds are annotated chunk by chunk. Clip-normalised
kinds (depth) run two passes over the annotator's output, not over the video: pass 1 stores raw
depth per chunk and per-frame percentile bounds; pass 2 maps every chunk with the clip-wide
bounds (min of the low percentiles, max of the high ones).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from t2vz_edit.conditions.base import Annotator, frame_bounds
from t2vz_edit.conditions.cache import CacheEntry, cache_key, cache_root, load_chunk, save_chunk
from t2vz_edit.spec.errors import UsageError
from t2vz_edit.spec.progress import ProgressCallback, reporter

STAGE = "conditions"


@dataclass(frozen=True)
class MapChunk:
    start: int          # index of the first frame (same numbering as the input chunks)
    maps: np.ndarray    # uint8 (n, H, W, 3)


@dataclass
class ConditionMaps:
    """A finished cache entry: iterate for :class:`MapChunk` s, or :meth:`read` any span."""

    kind: str
    key: str
    folder: Path
    chunks: list[tuple[int, int]]   # (start, frame count)
    computed: bool                  # False when served from the cache
    bounds: tuple[float, float] | None = None  # clip-wide raw bounds (depth)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def frame_count(self) -> int:
        return sum(n for _, n in self.chunks)

    def __iter__(self) -> Iterator[MapChunk]:
        for start, _ in self.chunks:
            yield MapChunk(start, load_chunk(self.folder, start))

    def read(self, start: int, stop: int) -> np.ndarray:
        """Maps of frames [start, stop) (input numbering), uint8 (stop - start, H, W, 3)."""
        parts = [load_chunk(self.folder, s)[max(start - s, 0):stop - s] for s, n in self.chunks
                 if s < stop and s + n > start]
        got = sum(len(p) for p in parts)
        if got != stop - start:
            raise UsageError(f"{self.kind} maps: frames {start}..{stop} are not all in this entry ({got} found)")
        return np.concatenate(parts)

    def array(self) -> np.ndarray:
        return np.concatenate([c.maps for c in self])


def compute_maps(chunks: Iterable[Any], annotator: Annotator, *, source_fields: dict[str, Any],
                 total_frames: int = 0, root: Path | None = None, refresh: bool = False,
                 progress: ProgressCallback | None = None) -> ConditionMaps:
    """Maps for every frame of ``chunks``, from the cache when the key matches.

    ``source_fields`` identifies the frames (content hash, range, working size ...); the kind,
    params and weights id are added here. ``refresh`` recomputes even on a hit.
    """
    fields = {**source_fields, "kind": annotator.kind, "params": annotator.params,
              "weights": annotator.weights_id}
    key = cache_key(fields)
    entry = CacheEntry(root or cache_root(), annotator.kind, key)
    manifest = None if refresh else entry.lookup()
    if manifest is None:
        manifest = _compute(chunks, annotator, entry, fields, total_frames, reporter(progress))
        computed = True
    else:
        computed = False
    bounds = tuple(manifest["bounds"]) if manifest.get("bounds") else None
    return ConditionMaps(annotator.kind, key, entry.folder, [tuple(c) for c in manifest["chunks"]], computed,
                         bounds, manifest)


def _compute(chunks, annotator, entry: CacheEntry, fields, total_frames: int, report) -> dict:
    folder = entry.begin()
    try:
        if annotator.clip_normalised:
            done, bounds = _two_pass(chunks, annotator, folder, total_frames, report)
        else:
            done, bounds = _one_pass(chunks, annotator, folder, total_frames, report), None
        if not done:
            raise UsageError(f"{annotator.kind} maps: no frames to annotate; check the range")
        manifest = {"fields": fields, "chunks": done, "bounds": bounds}
        manifest = entry.commit(manifest)  # another run's entry if it finished first
    except BaseException:
        entry.abort()
        raise
    return manifest


def _pairs(chunks: Iterable[Any]) -> Iterator[tuple[int, np.ndarray]]:
    for chunk in chunks:
        yield (chunk.start, chunk.frames) if hasattr(chunk, "frames") else (int(chunk[0]), chunk[1])


def _one_pass(chunks, annotator, folder: Path, total_frames: int, report) -> list[list[int]]:
    done, frames_done = [], 0
    for start, frames in _pairs(chunks):
        save_chunk(folder, start, annotator(frames))
        done.append([start, len(frames)])
        frames_done += len(frames)
        report(STAGE, frames_done, total_frames or frames_done)
    return done


def _two_pass(chunks, annotator, folder: Path, total_frames: int, report):
    done, lows, highs, sizes, frames_done = [], [], [], {}, 0
    for start, frames in _pairs(chunks):                      # pass 1: raw depth + bounds
        raw = annotator.raw(frames)                            # (n, h, w) float32
        np.save(folder / f"raw_{start:09d}.npy", raw)  # float32: float16 loses depth steps
        b = frame_bounds(raw)
        lows.append(b[:, 0].min())
        highs.append(b[:, 1].max())
        sizes[start] = frames.shape[1:3]
        done.append([start, len(frames)])
        frames_done += len(frames)
        report(STAGE, frames_done, total_frames or frames_done)
    if not done:
        return done, None
    lo, hi = float(min(lows)), float(max(highs))
    for start, _ in done:                                      # pass 2: same bounds for every frame
        raw_path = folder / f"raw_{start:09d}.npy"
        raw = np.load(raw_path)
        save_chunk(folder, start, annotator.maps_from_raw(raw, lo, hi, sizes[start]))
        raw_path.unlink()
    return done, [lo, hi]
