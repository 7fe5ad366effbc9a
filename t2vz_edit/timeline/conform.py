"""Make a timeline read in one format writable in another (EDL in, XML/FCPXML/AAF out and back).

Two things differ between the adapters:

- Where the start timecode lives. The CMX 3600 reader keeps it as a negative offset of every
  track (``track.source_range.start_time = -01:00:00:00``) and its writer takes the record start
  from there; every other format uses ``timeline.global_start_time``. Without moving it, an EDL
  written to FCP7 XML started at 00:00:00:00, and an .otio written as an EDL too.
- Media ranges. EDL clips carry no ``available_range``; the FCP7, FCPXML and AAF writers need it
  (they failed with "'NoneType' object has no attribute 'start_time'"). It is filled from the
  media file (frame count, start timecode) when it can be found, else made to cover the range
  the clip uses.

- Transitions in AAF. The AAF writer needs Avid's description of each transition's operation
  (present only when the timeline came from AAF). Dissolves get the standard AAF "Video
  Dissolve" operation; other transition types cannot be described and are refused by name.

The timeline given is not changed; a conformed copy is returned.
"""
from __future__ import annotations

import copy
import math
from typing import Callable

import opentimelineio as otio

from t2vz_edit.spec.errors import OutputError

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
NEEDS_MEDIA_RANGES = ("xml", "fcpxml", "aaf", "mlt")

# target URL -> (first frame time, frame count) of the media, or None when it cannot be found
MediaRange = Callable[[str], "tuple[RT, int] | None"]


def for_output(timeline: otio.schema.Timeline, key: str, media_range: MediaRange) -> otio.schema.Timeline:
    """A copy of ``timeline`` laid out the way the writer for format ``key`` expects."""
    out = copy.deepcopy(timeline)
    if key == "edl":
        _start_into_track_offsets(out)
    else:
        start_into_global_time(out)
    if key in NEEDS_MEDIA_RANGES:
        _fill_available_ranges(out, media_range)
    if key == "aaf":
        _describe_dissolves(out)
        _media_ranges_at_clip_rate(out)
    return out


# AAF's registered operation for a video dissolve (AAF Object Specification, OperationDef
# "VideoDissolve"); two inputs, mixed linearly from the outgoing to the incoming clip.
VIDEO_DISSOLVE = {
    "DataDefinition": {"Name": "Picture"}, "Description": "", "Name": "Video Dissolve",
    "Identification": "0c3bea41-fc05-11d2-8a29-0050040ef7d2", "IsTimeWarp": False, "Bypass": 1,
    "NumberInputs": 2, "OperationCategory": "OperationCategory_Effect"}


def _describe_dissolves(timeline: otio.schema.Timeline) -> None:
    for transition in timeline.find_children(descended_from_type=otio.schema.Transition):
        if "AAF" in transition.metadata:
            continue
        if transition.transition_type != otio.schema.TransitionTypes.SMPTE_Dissolve:
            raise OutputError(f"transition {transition.name or transition.transition_type!r} "
                              f"({transition.transition_type}) has no AAF description; write .otio or .xml, "
                              "or replace it with a dissolve")
        cut = round(transition.in_offset.value)
        transition.metadata["AAF"] = {
            "PointList": [{"Value": 0, "Time": 0}, {"Value": 1, "Time": 1}], "CutPoint": cut,
            "OperationGroup": {"Operation": dict(VIDEO_DISSOLVE)}}


def _media_ranges_at_clip_rate(timeline: otio.schema.Timeline) -> None:
    """AAF source clips count in their slot's edit rate: media of another rate (a 50 fps file
    under a 25 fps clip) gets its range in whole clip frames covering the same media."""
    for clip in timeline.find_clips():
        rate = clip.trimmed_range().duration.rate
        for ref in clip.media_references().values():
            span = getattr(ref, "available_range", None)
            if span is None or span.duration.rate == rate:
                continue
            first = math.floor(span.start_time.value_rescaled_to(rate) + 1e-6)
            stop = math.ceil(span.end_time_exclusive().value_rescaled_to(rate) - 1e-6)
            ref.available_range = TR(RT(first, rate), RT(stop - first, rate))


def start_into_global_time(timeline: otio.schema.Timeline) -> None:
    """EDL layout -> global start time: the tracks' common negative offset becomes the start."""
    offsets = [t.source_range.start_time for t in timeline.tracks if t.source_range is not None]
    if timeline.global_start_time is not None or not offsets or any(o != offsets[0] for o in offsets):
        return
    offset = offsets[0]
    if offset.value >= 0:
        return
    timeline.global_start_time = -offset
    for track in timeline.tracks:
        if track.source_range is not None:
            track.source_range = None  # the track's own duration again


def _start_into_track_offsets(timeline: otio.schema.Timeline) -> None:
    """Global start time -> EDL layout (what the CMX writer reads the record start from)."""
    start = timeline.global_start_time
    if start is None or start.value == 0 or any(t.source_range is not None for t in timeline.tracks):
        return
    for track in timeline.tracks:
        track.source_range = TR(-start, track.available_range().duration)


def _fill_available_ranges(timeline: otio.schema.Timeline, media_range: MediaRange) -> None:
    for clip in timeline.find_clips():
        ref = clip.media_reference
        if not isinstance(ref, otio.schema.ExternalReference) or ref.available_range is not None:
            continue
        used = clip.trimmed_range()
        found = media_range(ref.target_url)
        if found is not None:
            first, count = found
            rate = used.duration.rate
            ref.available_range = TR(first.rescaled_to(rate), RT(count, first.rate).rescaled_to(rate))
        else:  # media not reachable from here: claim what the edit uses, from frame 0
            ref.available_range = TR(RT(0, used.duration.rate), used.end_time_exclusive())
