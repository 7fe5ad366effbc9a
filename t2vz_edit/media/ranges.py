"""Resolve a range request against a clip: frames, seconds or timecode → source frame indices.

Seconds count from the clip's first frame (frame i starts at i / rate; VFR clips use the
nominal rate). Timecodes are absolute and count from the clip's start timecode
(00:00:00:00 when it has none), drop-frame aware.

>>> from fractions import Fraction
>>> from types import SimpleNamespace as NS
>>> clip = NS(path="a.mov", rate=Fraction(24000, 1001), frame_count=100, start_timecode="01:00:00:00")
>>> resolve_range(clip, "01:00:01:00+48")
FrameRange(start=24, stop=72)
"""
from __future__ import annotations

from dataclasses import dataclass

from t2vz_edit.media.timecode import frames_to_timecode, is_drop_frame, timecode_to_frames
from t2vz_edit.spec.errors import UsageError
from t2vz_edit.spec.ranges import RangeRequest, parse_range


@dataclass(frozen=True)
class FrameRange:
    """Source frame indices ``start`` (inclusive) to ``stop`` (exclusive)."""

    start: int
    stop: int

    @property
    def count(self) -> int:
        return self.stop - self.start


def _to_frame(value, kind: str, info) -> int:
    if kind == "frames":
        return int(value)
    if kind == "seconds":
        return round(value * info.rate)
    origin = timecode_to_frames(info.start_timecode, info.rate) if info.start_timecode else 0
    return timecode_to_frames(value, info.rate) - origin


def _extent(info) -> str:
    last_sec = float(info.frame_count / info.rate)
    text = f"frames 0-{info.frame_count} (0s-{last_sec:.3f}s"
    if info.start_timecode:
        drop = is_drop_frame(info.start_timecode)
        origin = timecode_to_frames(info.start_timecode, info.rate)
        end_tc = frames_to_timecode(origin + info.frame_count, info.rate, drop)
        text += f", {info.start_timecode}-{end_tc}"
    return text + ")"


def resolve_range(info, request: RangeRequest | str | None) -> FrameRange:
    """Frames of ``info`` selected by ``request`` (None = the whole clip); UsageError if outside."""
    if request is None or request == "":
        return FrameRange(0, info.frame_count)
    req = parse_range(request) if isinstance(request, str) else request
    start = _to_frame(req.start, req.kind, info)
    if req.end is not None:
        stop = _to_frame(req.end, req.kind, info)
    elif req.length is not None:
        stop = start + (round(req.length * info.rate) if req.length_unit == "seconds" else int(req.length))
    else:
        stop = info.frame_count
    if start < 0 or stop > info.frame_count or stop <= start:
        raise UsageError(f"--range {req.text!r} is outside {info.path}, which has {_extent(info)}; "
                         "pick a range inside it (end exclusive)")
    return FrameRange(start, stop)
