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


INDEXED_FORMATS = ("mov", "mp4", "avi")  # their index lists every sample; MKV cues list keyframes only
GRID_TOLERANCE = 0.01  # of a frame: a timestamp this close to a slot of the nominal rate sits on it


def frame_pts_table(path: str, stream_index: int) -> list[int]:
    """Presentation timestamp of every video packet that decodes to a frame, sorted (= presentation
    order). Empty "hold" packets and packets an edit list discards are left out. Demux only."""
    with av.open(path) as container:
        stream = container.streams[stream_index]
        stamps = [p.pts for p in container.demux(stream) if p.size and p.pts is not None and not p.is_discard]
    return sorted(stamps)


def coded_timestamps(path: str, stream_index: int) -> list[int]:
    """Timestamps of the coded frames (what decodes), sorted, counted like ``ffprobe -count_packets``
    but without empty hold packets and edit-list discards: from the container index for mov/mp4/avi
    (no packet data read), by demuxing otherwise."""
    with av.open(path) as container:
        entries = container.streams[stream_index].index_entries
        if any(name in INDEXED_FORMATS for name in container.format.name.split(",")) and entries is not None \
                and len(entries):
            return sorted(e.timestamp for e in entries if e.size > 0 and not e.is_discard)
    return frame_pts_table(path, stream_index)


def hold_slots(stamps: list[int], time_base: Fraction, rate: Fraction) -> int | None:
    """Frame slots of a sparse clip: when every coded timestamp sits on the grid of ``rate`` and some
    slots between them hold no coded frame (capture AVIs: a slot per frame, most of them "hold"),
    the number of slots from the first coded frame to the last; None for any other clip.

    >>> hold_slots([0, 1, 2, 7, 9], Fraction(1, 15), Fraction(15))
    10
    >>> hold_slots([0, 1, 2, 3], Fraction(1, 15), Fraction(15)) is None
    True
    """
    if len(stamps) < 2 or rate <= 0:
        return None
    ticks_per_frame = 1 / (Fraction(rate) * Fraction(time_base))
    positions = [(s - stamps[0]) / ticks_per_frame for s in stamps]
    if any(abs(p - round(p)) > GRID_TOLERANCE for p in positions):
        return None
    slots = round(positions[-1]) + 1
    return slots if slots > len(set(stamps)) else None


def is_variable_rate(path: str, stream_index: int, rate: Fraction) -> bool:
    """True when frame durations differ from each other by more than :data:`VFR_TOLERANCE`."""
    stamps = coded_timestamps(path, stream_index)  # MPEG-PS/MKV indexes hold seek points only
    steps = sorted(b - a for a, b in zip(stamps, stamps[1:]) if b > a)
    if len(steps) < 2:
        return False
    median = steps[len(steps) // 2]
    return any(abs(s - median) > VFR_TOLERANCE * median for s in steps)
