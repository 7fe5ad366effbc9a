"""Exact frame rates and timecode for timelines.

OTIO stores rates as doubles; NLEs write 23.976 or 24000/1001 for the same thing. Rates are
snapped here, once, to exact fractions (NTSC rates to n*1000/1001) and refused when they are
not a timecode rate (SMPTE 12M: 23.976, 24, 25, 29.97, 30, 47.952, 48, 50, 59.94, 60, ...).

>>> exact_rate(23.976)
Fraction(24000, 1001)
>>> exact_rate(25.0)
Fraction(25, 1)
"""
from __future__ import annotations

import math
from fractions import Fraction

import opentimelineio as otio

from t2vz_edit.spec.errors import TimelineError

# Nominal integer rates whose NTSC variant (x 1000/1001) exists.
_NTSC_BASES = (24, 30, 48, 60, 120)
_INTEGER_RATES = (12, 15, 16, 18, 23, 24, 25, 30, 48, 50, 60, 72, 96, 100, 120)


def exact_rate(rate: float | Fraction) -> Fraction | None:
    """The exact fraction a rate stands for, or ``None`` when it is no known timecode rate.

    Accepts the 3-decimal spellings NLEs write (23.976, 29.97, 59.94) as well as the doubles
    OTIO computes from 24000/1001.
    """
    value = float(rate)
    for base in _INTEGER_RATES:
        if abs(value - base) < 1e-6:
            return Fraction(base)
    for base in _NTSC_BASES:
        ntsc = Fraction(base * 1000, 1001)
        if abs(value - float(ntsc)) < 0.0015:  # 29.97 vs 29.97002997...
            return ntsc
    return None


def checked_rate(rate: float | Fraction, where: str) -> Fraction:
    """:func:`exact_rate` or a :class:`TimelineError` naming ``where`` and the allowed rates."""
    exact = exact_rate(rate)
    if exact is None:
        allowed = ", ".join(["23.976", "24", "25", "29.97", "30", "48", "50", "59.94", "60"])
        raise TimelineError(f"{where}: frame rate {float(rate):g} is not supported; "
                            f"use a timecode rate ({allowed}, ...) or pass --rate")
    return exact


def is_drop_frame(rate: Fraction) -> bool:
    """NTSC 29.97/59.94 timelines count timecode drop-frame (SMPTE 12M)."""
    return rate.denominator == 1001 and rate.numerator in (30000, 60000)


def timecode(time: otio.opentime.RationalTime, rate: Fraction) -> str:
    """``HH:MM:SS:FF`` (``;`` before frames when drop-frame) of ``time`` at ``rate``."""
    return otio.opentime.to_timecode(time.rescaled_to(float(rate)), float(rate), is_drop_frame(rate))


def frames(time: otio.opentime.RationalTime, rate: Fraction) -> int:
    """Whole frames of ``time`` at ``rate``; a time between frames is an error, not rounded away."""
    value = time.value_rescaled_to(float(rate))
    whole = round(value)
    if abs(value - whole) > 1e-3:
        raise TimelineError(f"time {time.value}/{time.rate} is not on a frame boundary at {float(rate):g} fps")
    return int(whole)


def first_frame(time: otio.opentime.RationalTime, rate: Fraction) -> int:
    """The frame at ``rate`` that shows at ``time``: the last one starting at or before it.

    >>> first_frame(otio.opentime.RationalTime(2, 23.976), Fraction(20))
    1
    """
    return math.floor(time.value_rescaled_to(float(rate)) + 1e-6)


def covering_frames(span: otio.opentime.TimeRange, rate: Fraction) -> tuple[int, int]:
    """``(first, stop)`` frames at ``rate`` that cover ``span``: exact when it is on the grid of
    ``rate``, else every frame shown during it (how NLEs play media of another rate).

    >>> covering_frames(otio.opentime.TimeRange(otio.opentime.RationalTime(2, 24), otio.opentime.RationalTime(3, 24)), Fraction(20))
    (1, 5)
    """
    first = first_frame(span.start_time, rate)
    stop = math.ceil(span.end_time_exclusive().value_rescaled_to(float(rate)) - 1e-6)
    return first, max(stop, first + 1)
