"""Parse a frame-range request typed by a user, without knowing the clip yet.

Syntax (the end is always exclusive, like an NLE out point):

* frames: ``"100-200"`` (frames 100..199), ``"100+50"`` (50 frames from 100), ``"100-"`` (to the end)
* seconds: ``"2.5s-4s"``, ``"2.5s+1.5s"``
* timecode: ``"01:00:01:00-01:00:02:00"``, ``"01:00:01:00+48"`` (48 frames), drop-frame with ``;``

Resolving against a clip (rate, start timecode, frame count) is
:func:`t2vz_edit.media.ranges.resolve_range`.

>>> parse_range("100+50")
RangeRequest(text='100+50', kind='frames', start=100, end=None, length=50, length_unit='frames')
>>> parse_range("2.5s-4s").end
4.0
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from t2vz_edit.spec.errors import UsageError

_TC = r"\d{1,2}:\d{2}:\d{2}[:;.]\d{2,3}"
_SEC = r"\d+(?:\.\d+)?s"
_FRAMES = r"\d+"
_HELP = ("use frames '100-200' or '100+50', seconds '2.5s-4s', or timecode "
         "'01:00:01:00-01:00:02:00' / '01:00:01:00+48' (end exclusive)")


@dataclass(frozen=True)
class RangeRequest:
    """A parsed range. ``start``/``end`` are ints (frames), floats (seconds) or timecode strings."""

    text: str
    kind: str  # "frames" | "seconds" | "timecode"
    start: int | float | str
    end: int | float | str | None = None  # exclusive; None with length None = to the end
    length: int | float | None = None
    length_unit: str = "frames"  # "frames" | "seconds"


def _kind(token: str) -> str | None:
    for kind, pattern in (("timecode", _TC), ("seconds", _SEC), ("frames", _FRAMES)):
        if re.fullmatch(pattern, token):
            return kind
    return None


def _value(token: str, kind: str) -> int | float | str:
    if kind == "frames":
        return int(token)
    if kind == "seconds":
        return float(token[:-1])
    return token


def parse_range(text: str) -> RangeRequest:
    """Parse ``text`` into a :class:`RangeRequest`; raise :class:`UsageError` naming the syntax."""
    raw = str(text).strip().replace(" ", "")
    sep = "+" if "+" in raw else "-"
    start_text, found, rest = raw.partition(sep)
    kind = _kind(start_text)
    if not found or kind is None:
        raise UsageError(f"--range {text!r} is not a range; {_HELP}")
    start = _value(start_text, kind)
    if sep == "+":
        length_kind = _kind(rest)
        if length_kind not in ("frames", "seconds"):
            raise UsageError(f"--range {text!r}: the length after '+' must be frames (48) or seconds (2s); {_HELP}")
        length = _value(rest, length_kind)
        if length <= 0:
            raise UsageError(f"--range {text!r}: the length must be positive")
        return RangeRequest(raw, kind, start, None, length, length_kind)
    if rest == "":
        return RangeRequest(raw, kind, start)
    end_kind = _kind(rest)
    if end_kind != kind:
        raise UsageError(f"--range {text!r}: start and end must use the same unit; {_HELP}")
    end = _value(rest, kind)
    if kind != "timecode" and end <= start:
        raise UsageError(f"--range {text!r}: the end must come after the start (the end is exclusive)")
    return RangeRequest(raw, kind, start, end)
