"""What a written-and-read-back timeline must keep, as comparable values (used by the format tests).

Times are absolute frames at the timeline rate (01:00:00:00 included) and source times exact
seconds, so layouts that differ only in where a format keeps the start compare equal. Clips
under a dissolve are compared by their visible range (the cut plus the transition's overlap):
CMX 3600 spells a dissolve as a cut plus a dissolve event, which moves the cut inside the
dissolve but not what is shown.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio


def start_of(timeline: otio.schema.Timeline, rate: Fraction) -> int:
    start = timeline.global_start_time
    return round(start.value_rescaled_to(float(rate))) if start is not None else 0


def _frames(time: otio.opentime.RationalTime, rate: Fraction) -> int:
    value = time.value_rescaled_to(float(rate))
    assert abs(value - round(value)) < 1e-3, f"{time} is off the {rate} frame grid"
    return round(value)


def _seconds(time: otio.opentime.RationalTime) -> Fraction:
    return Fraction(time.to_seconds()).limit_denominator(240000)


def is_render(clip: otio.schema.Clip) -> bool:
    return "/renders" in getattr(clip.media_reference, "target_url", "")


def media_name(clip: otio.schema.Clip) -> str:
    url = getattr(clip.media_reference, "target_url", "") or ""
    return Path(otio.url_utils.filepath_from_url(url)).name if url else ""


def clip_rows(timeline: otio.schema.Timeline, rate: Fraction, *, renders: bool = False,
              visible: bool = True) -> list[tuple]:
    """(kind, name, record in, frames, source in seconds, media file) of every original clip (or
    render), over its visible range (or its trimmed range)."""
    start, rows = start_of(timeline, rate), []
    for track in timeline.tracks:
        for clip in track.find_clips():
            if is_render(clip) != renders:
                continue
            shown = clip.visible_range() if visible else clip.trimmed_range()
            record = clip.transformed_time_range(shown, timeline.tracks)
            rows.append((str(track.kind), clip.name, start + _frames(record.start_time, rate),
                         _frames(record.duration, rate), _seconds(shown.start_time), media_name(clip)))
    return sorted(rows)


def transition_spans(timeline: otio.schema.Timeline, rate: Fraction) -> list[tuple[int, int]]:
    """Absolute (first, last + 1) record frames of every transition."""
    start, spans = start_of(timeline, rate), []
    for transition in timeline.find_children(descended_from_type=otio.schema.Transition):
        track = transition.parent()
        cut = track.range_of_child(transition).start_time
        cut = track.transformed_time(cut, timeline.tracks)
        spans.append((start + _frames(cut - transition.in_offset, rate),
                      start + _frames(cut + transition.out_offset, rate)))
    return sorted(spans)


def marker_rows(timeline: otio.schema.Timeline, rate: Fraction) -> list[tuple[str, str, int]]:
    """(where, name casefolded, absolute record frame) of every clip and timeline marker."""
    start, rows = start_of(timeline, rate), []
    for marker in timeline.tracks.markers:
        rows.append(("timeline", marker.name.casefold(), start + _frames(marker.marked_range.start_time, rate)))
    for track in timeline.tracks:
        for marker in track.markers:
            frame = track.transformed_time(marker.marked_range.start_time, timeline.tracks)
            rows.append(("timeline", marker.name.casefold(), start + _frames(frame, rate)))
        for clip in track.find_clips():  # an EDL's render carries its event's markers
            for marker in clip.markers:
                frame = clip.transformed_time(marker.marked_range.start_time, timeline.tracks)
                rows.append(("clip", marker.name.casefold(), start + _frames(frame, rate)))
    return sorted(rows)
