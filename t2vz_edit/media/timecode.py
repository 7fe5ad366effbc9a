"""SMPTE timecode ⇄ frame counts, drop-frame aware (29.97 and 59.94 with ``;``).

Drop-frame skips frame numbers 0 and 1 (0-3 at 59.94) at the start of every minute except
every tenth minute (SMPTE ST 12-1), so the label stays in step with the wall clock.

>>> from fractions import Fraction
>>> timecode_to_frames("00:01:00;02", Fraction(30000, 1001))
1800
>>> frames_to_timecode(1800, Fraction(30000, 1001), drop_frame=True)
'00:01:00;02'
>>> frames_to_timecode(86400 + 24, Fraction(24000, 1001))
'01:00:01:00'
"""
from __future__ import annotations

import re
from fractions import Fraction

from t2vz_edit.spec.errors import UsageError

_TC_RE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.])(\d{1,3})$")  # FFmpeg writes one frame digit at <= 10 fps


def timecode_fps(rate: Fraction) -> int:
    """Frames per timecode second: the nominal integer rate (24 for 24000/1001)."""
    return max(1, round(rate))


def _drop_count(rate: Fraction) -> int:
    """Frame numbers dropped per minute: 2 at 29.97, 4 at 59.94, 0 otherwise."""
    fps = timecode_fps(rate)
    return fps // 15 if fps % 30 == 0 and rate.denominator == 1001 else 0


def is_drop_frame(text: str) -> bool:
    """Drop-frame timecodes separate frames with ``;`` (or ``.``)."""
    match = _TC_RE.match(text.strip())
    return bool(match) and match.group(4) in ";."


def timecode_to_frames(text: str, rate: Fraction) -> int:
    """Frames since 00:00:00:00 for ``text`` at ``rate``; drop-frame when written with ``;``."""
    match = _TC_RE.match(str(text).strip())
    if not match:
        raise UsageError(f"timecode {text!r} is not HH:MM:SS:FF (or HH:MM:SS;FF for drop-frame)")
    hours, minutes, seconds, sep, frames = match.groups()
    fps = timecode_fps(rate)
    hh, mm, ss, ff = int(hours), int(minutes), int(seconds), int(frames)
    if mm > 59 or ss > 59 or ff >= fps:
        raise UsageError(f"timecode {text!r} is out of range at {fps} fps")
    total = (hh * 3600 + mm * 60 + ss) * fps + ff
    drop = _drop_count(rate) if sep in ";." else 0
    if drop:
        total_minutes = hh * 60 + mm
        total -= drop * (total_minutes - total_minutes // 10)
    return total


def frames_to_timecode(frames: int, rate: Fraction, drop_frame: bool = False) -> str:
    """Format a frame count since midnight as a timecode (wraps at 24 h)."""
    fps = timecode_fps(rate)
    drop = _drop_count(rate) if drop_frame else 0
    n = int(frames)
    if drop:
        per_10_min = fps * 600 - drop * 9
        per_min = fps * 60 - drop
        tens, rem = divmod(n, per_10_min)
        n += drop * 9 * tens + (drop * ((rem - drop) // per_min) if rem > drop else 0)
    ff = n % fps
    ss = (n // fps) % 60
    mm = (n // (fps * 60)) % 60
    hh = (n // (fps * 3600)) % 24
    return f"{hh:02d}:{mm:02d}:{ss:02d}{';' if drop else ':'}{ff:02d}"


def offset_timecode(start_tc: str, frames: int, rate: Fraction) -> str:
    """The timecode ``frames`` after ``start_tc``, keeping its drop-frame style."""
    drop = is_drop_frame(start_tc)
    return frames_to_timecode(timecode_to_frames(start_tc, rate) + frames, rate, drop_frame=drop)
