"""Exact frame timing: NTSC snapping, packet timestamp tables, variable-rate detection.

>>> snap_rate(Fraction(2997, 125))
Fraction(24000, 1001)
>>> snap_rate(Fraction(2500, 100))
Fraction(25, 1)
"""
from __future__ import annotations

from fractions import Fraction

import av

NTSC_RATES = (Fraction(24000, 1001), Fraction(30000, 1001), Fraction(48000, 1001),
              Fraction(60000, 1001), Fraction(120000, 1001))
SNAP_TOLERANCE = 0.0005  # relative; 23.976 and 2997/125 land within 1e-6 of 24000/1001
VFR_TOLERANCE = 0.02  # a frame duration more than 2 % off the median makes a clip variable-rate


def snap_rate(rate: Fraction) -> Fraction:
    """Snap NTSC-like rates to the exact 1001 fractions and near-integers to integers."""
    rate = Fraction(rate)
    if rate <= 0:
        return rate
    for exact in NTSC_RATES + (Fraction(round(rate)),):
        if exact and abs(float(rate / exact) - 1.0) < SNAP_TOLERANCE:
            return exact
    return rate


def frame_pts_table(path: str, stream_index: int) -> list[int]:
    """Every video packet's presentation timestamp, sorted (= presentation order). Demux only."""
    with av.open(path) as container:
        stream = container.streams[stream_index]
        stamps = [p.pts for p in container.demux(stream) if p.size and p.pts is not None]
    return sorted(stamps)


def _index_timestamps(path: str, stream_index: int) -> list[int]:
    """Timestamps from the container index (mov/mp4) without reading packet data; demux otherwise."""
    with av.open(path) as container:
        entries = container.streams[stream_index].index_entries
        stamps = [e.timestamp for e in entries] if entries is not None and len(entries) else []
    return sorted(stamps) if stamps else frame_pts_table(path, stream_index)


def is_variable_rate(path: str, stream_index: int, rate: Fraction) -> bool:
    """True when frame durations differ from each other by more than :data:`VFR_TOLERANCE`."""
    stamps = _index_timestamps(path, stream_index)
    steps = sorted(b - a for a, b in zip(stamps, stamps[1:]) if b > a)
    if len(steps) < 2:
        return False
    median = steps[len(steps) // 2]
    return any(abs(s - median) > VFR_TOLERANCE * median for s in steps)
