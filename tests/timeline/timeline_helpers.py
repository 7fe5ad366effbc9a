"""Timelines built in code for the timeline tests (imported by name: a plain ``from conftest import``
picks up whichever test folder's conftest was imported first when folders are run together).

Every timeline has a 01:00:00:00 start, several tracks, gaps, a transition between two
unselected clips, and markers.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

MEDIA_FRAMES = 60
RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange


def _clip(name: str, media: Path, rate: float, start: int, frames: int, *, available=True) -> otio.schema.Clip:
    ref = otio.schema.ExternalReference(
        target_url=media.as_uri(),
        available_range=TR(RT(0, rate), RT(MEDIA_FRAMES, rate)) if available else None)
    return otio.schema.Clip(name=name, media_reference=ref, source_range=TR(RT(start, rate), RT(frames, rate)))


def one_hour(rate: Fraction) -> otio.opentime.RationalTime:
    """Timecode 01:00:00:00 (01:00:00;00 at drop-frame rates) as frames at ``rate``: 86400 at 24
    and at 23.976 (timecode counts 24 a second there), 107892 at 29.97 DF."""
    drop = rate.denominator == 1001 and rate.numerator % 30000 == 0
    return otio.opentime.from_timecode("01:00:00;00" if drop else "01:00:00:00", float(rate))


def build_timeline(media: dict[str, Path], rate: Fraction, *, video_tracks: int = 2) -> otio.schema.Timeline:
    """V1: shotA | transition | shotB | gap | shotC(marker 'restyle: ...'); V2: gap | shotD; A1: shotA audio."""
    r = float(rate)
    timeline = otio.schema.Timeline("round trip", global_start_time=one_hour(rate))
    v1 = otio.schema.Track("V1", kind=otio.schema.TrackKind.Video)
    v1.append(_clip("shotA", media["shotA"], r, 5, 20))
    transition = otio.schema.Transition(name="dissolve", transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                                        in_offset=RT(4, r), out_offset=RT(4, r))
    v1.append(transition)
    v1.append(_clip("shotB", media["shotB"], r, 10, 16))
    v1.append(otio.schema.Gap(source_range=TR(RT(0, r), RT(7, r))))
    shot_c = _clip("shotC", media["shotC"], r, 12, 24)
    shot_c.markers.append(otio.schema.Marker(name="restyle: make it a watercolor painting",
                                             marked_range=TR(RT(14, r), RT(0, r))))
    v1.append(shot_c)
    timeline.tracks.append(v1)
    if video_tracks > 1:
        v2 = otio.schema.Track("V2", kind=otio.schema.TrackKind.Video)
        v2.append(otio.schema.Gap(source_range=TR(RT(0, r), RT(9, r))))
        v2.append(_clip("shotD", media["shotD"], r, 0, 11))
        timeline.tracks.append(v2)
    a1 = otio.schema.Track("A1", kind=otio.schema.TrackKind.Audio)
    a1.append(_clip("shotA audio", media["shotA"], r, 5, 20))  # same name as V1 trips the FCP7 reader
    timeline.tracks.append(a1)
    return timeline
