"""Stream a frame range as RGB chunks: frame-exact, presentation order, rotated, colour-correct.

Frame model: a clip has ``info.frame_count`` frames. For a sparse clip (``info.sparse``: a
capture AVI whose index has a slot per frame but codes only some) a slot without a picture
shows the latest coded one, as NLEs show it.

How it finds frames: seek to the keyframe at or before the range start, decode forward, and
give every decoded frame its source index from its timestamp — ``round((pts - start_pts) *
time_base * rate)`` for constant-rate clips, its rank in the sorted packet timestamps for
variable-rate ones (frames without a timestamp follow the previous one). Frames are slotted by
index, so a decoder or container that emits them out of order still yields presentation order.
Only the chunk being filled is held in memory.

Working size (``long_side=N``): the display's long side becomes N rounded down to a multiple of
8; the short side is ``long * short / long_display`` rounded to the nearest multiple of 8 (at
least 8). So 1920x1080 at 512 → 512x288 and 1080x1920 (portrait) → 288x512.

>>> import tempfile, os
>>> from t2vz_edit.media.synth import make_clip, read_frame_number
>>> from t2vz_edit.media.probe import probe
>>> from t2vz_edit.media.ranges import FrameRange
>>> info = probe(make_clip(os.path.join(tempfile.mkdtemp(), "c.mp4"), frames=20))
>>> chunks = list(iter_chunks(info, FrameRange(5, 12), chunk_frames=4))
>>> [(c.start, len(c.frames)) for c in chunks], read_frame_number(chunks[0].frames[0])
([(5, 4), (9, 3)], 5)
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Iterator

import av
import numpy as np

from t2vz_edit.media import colour
from t2vz_edit.media.ranges import FrameRange
from t2vz_edit.media.timing import frame_pts_table
from t2vz_edit.spec.errors import MediaError, UsageError
from t2vz_edit.spec.parse import fit_long_side


@dataclass(frozen=True)
class FrameChunk:
    """Frames ``start .. start + len(frames)`` of the source, RGB ``(N, H, W, 3)`` uint8 (uint16 when
    asked for high bit depth), display orientation."""

    start: int
    frames: np.ndarray


def working_size(info, long_side: int | None) -> tuple[int, int]:
    """(width, height) of the working frames: display size, or long side N with sides multiples of 8."""
    width, height = info.display_width, info.display_height
    if not long_side:
        return width, height
    if long_side < 8:
        raise UsageError(f"working size long side {long_side} is too small; use at least 8 (e.g. 512)")
    return fit_long_side(width, height, long_side, 8)


class _Indexer:
    """Source frame index of a decoded frame (see module doc)."""

    def __init__(self, info):
        self.info = info
        self.table = frame_pts_table(info.path, info.video_stream_index) if info.is_vfr else None
        self.last = -1

    def pts_of(self, index: int) -> int:
        if self.table is not None:
            return self.table[min(index, len(self.table) - 1)]
        return self.info.start_pts + round(index / self.info.rate / self.info.time_base)

    def __call__(self, frame: av.VideoFrame) -> int:
        if frame.pts is None:
            self.last += 1
        elif self.table is not None:
            pos = bisect.bisect_left(self.table, frame.pts)
            near = [p for p in (pos - 1, pos) if 0 <= p < len(self.table)]
            self.last = min(near, key=lambda p: abs(self.table[p] - frame.pts))
        else:
            self.last = round((frame.pts - self.info.start_pts) * self.info.time_base * self.info.rate)
        return self.last


def _rotate(rgb: np.ndarray, rotation: int) -> np.ndarray:
    """Coded → display: turn counter-clockwise by ``rotation`` degrees (FFmpeg's convention)."""
    turns = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, turns)) if turns else rgb


def _decoded(info, frame_range: FrameRange) -> Iterator[tuple[int, av.VideoFrame]]:
    """(index, frame) from the keyframe before ``frame_range.start`` until past its end."""
    index_of = _Indexer(info)
    for attempt in ("seek", "from start"):
        with av.open(info.path) as container:
            stream = container.streams[info.video_stream_index]  # file-wide index
            stream.thread_type = "AUTO"
            if attempt == "seek" and frame_range.start > 0:
                container.seek(index_of.pts_of(frame_range.start), stream=stream, backward=True)
            first = True
            try:
                for frame in container.decode(stream):
                    index = index_of(frame)
                    if first and index > frame_range.start and attempt == "seek":
                        break  # landed after the start (broken index): decode from the top instead
                    first = False
                    yield index, frame
                    if index >= frame_range.stop + 16:  # past the end plus a reorder margin
                        return
                else:
                    if not (first and attempt == "seek"):
                        return
                    # the seek found nothing to decode: an MPEG-TS segment with few keyframes lands
                    # at its end (a real HLS segment, keyframes at 0 and 70 of 240): from the top
            except av.FFmpegError as exc:
                raise MediaError(f"decoding failed near frame {index_of.last} ({exc.strerror or exc}); "
                                 "the file is corrupt — re-export it", path=info.path) from exc
        index_of.last = -1


def _with_holds(info, frame_range: FrameRange) -> Iterator[tuple[int, av.VideoFrame]]:
    """Sparse clips: every slot up to the range end, a hold slot repeating the latest coded frame."""
    frames = _decoded(info, frame_range)
    if not getattr(info, "sparse", False):
        yield from frames
        return
    latest_index, latest = -1, None
    for index, frame in frames:
        if latest is not None:
            for hold in range(latest_index + 1, min(index, frame_range.stop)):
                yield hold, latest
        latest_index, latest = max(index, latest_index), frame
        yield index, frame
    if latest is not None:  # trailing hold slots up to the clip's last slot
        for hold in range(latest_index + 1, frame_range.stop):
            yield hold, latest


def iter_chunks(info, frame_range: FrameRange, *, chunk_frames: int = 16,
                long_side: int | None = None, high_bit_depth: bool = False) -> Iterator[FrameChunk]:
    """Yield :class:`FrameChunk` s covering ``frame_range`` in order, ``chunk_frames`` at a time.
    With ``high_bit_depth`` a source above 8 bits gives uint16 RGB (for a bit-exact conform)."""
    depth = 16 if high_bit_depth and info.bit_depth > 8 else 8
    if chunk_frames < 1:
        raise UsageError(f"chunk_frames {chunk_frames} must be at least 1")
    out_w, out_h = working_size(info, long_side)
    coded_w, coded_h = (out_h, out_w) if info.rotation % 180 else (out_w, out_h)
    matrix = colour.decode_matrix(info.color_matrix, info.width, info.height)
    rng = colour.decode_range(info.color_range, info.pix_fmt)
    pending: dict[int, np.ndarray] = {}
    next_start = frame_range.start
    last = (None, None)  # (frame, its RGB): a hold slot reuses the conversion
    for index, frame in _with_holds(info, frame_range):
        if not frame_range.start <= index < frame_range.stop or index in pending:
            continue
        if last[0] is not frame:
            last = (frame, _rotate(colour.frame_to_rgb(frame, matrix, rng, coded_w, coded_h, depth), info.rotation))
        pending[index] = last[1]
        while next_start < frame_range.stop:
            count = min(chunk_frames, frame_range.stop - next_start)
            if not all(i in pending for i in range(next_start, next_start + count)):
                break
            frames = np.stack([pending.pop(i) for i in range(next_start, next_start + count)])
            yield FrameChunk(next_start, frames)
            next_start += count
        if next_start >= frame_range.stop:
            return
    missing = [i for i in range(next_start, frame_range.stop) if i not in pending]
    raise MediaError(f"frame {missing[0]} of the range could not be decoded ({len(missing)} missing); "
                     "the file is truncated or corrupt — re-export it", path=info.path)
