"""Pick the clips to restyle: by marker, clip name pattern, track, metadata, or all video clips.

Editors drop a marker named ``restyle: <preset or instruction>`` on a clip, or on the track or
timeline over it (the marker's range or point must fall inside the clip); the text after
``restyle:`` is what the clip gets. The marker's comment is read when its name is empty (some
NLEs keep the text there). Only clips on video tracks are selected.

>>> marker_text(otio.schema.Marker(name="restyle: make it snowy"))
'make it snowy'
>>> marker_text(otio.schema.Marker(name="note to self")) is None
True
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

import opentimelineio as otio

from t2vz_edit.spec.errors import UsageError

MARKER_PREFIX = "restyle:"


@dataclass(frozen=True)
class Criteria:
    """Which clips to take; exactly one of the ways is used."""

    marker: bool = False
    name_pattern: str | None = None
    track: str | None = None  # 1-based video track number (V1 = "1") or a track name
    metadata: str | None = None  # "dotted.key=value"
    all_clips: bool = False

    def check(self) -> "Criteria":
        ways = [self.marker, self.name_pattern is not None, self.track is not None,
                self.metadata is not None, self.all_clips]
        if sum(ways) != 1:
            raise UsageError("choose the clips with exactly one of --marker, --name PATTERN, --track N, "
                             "--metadata KEY=VALUE or --all")
        if self.metadata is not None and "=" not in self.metadata:
            raise UsageError(f"--metadata {self.metadata!r}: write it as KEY=VALUE, e.g. fcp_xml.labels.label2=Rose")
        return self


@dataclass(frozen=True)
class SelectedClip:
    """One clip to restyle and why."""

    clip: otio.schema.Clip
    track: otio.schema.Track  # the top-level video track holding it
    track_number: int  # 1-based among video tracks (V1 = 1)
    text: str | None  # preset name or instruction from a marker, None if not marker-driven
    nested: bool  # the clip sits inside a nested stack/track (compound clip)


def marker_text(marker: otio.schema.Marker) -> str | None:
    """The text after ``restyle:`` in the marker's name (or comment), else None."""
    for field in (marker.name, getattr(marker, "comment", "")):
        field = (field or "").strip()
        if field.lower().startswith(MARKER_PREFIX):
            text = field[len(MARKER_PREFIX):].strip()
            return text or None
    return None


def select_clips(timeline: otio.schema.Timeline, criteria: Criteria) -> list[SelectedClip]:
    """The selected clips in track order (V1 first), each with its marker text if any."""
    criteria.check()
    chosen = []
    video = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    for number, track in enumerate(video, start=1):
        for clip in track.find_clips():
            nested = clip.parent() is not track
            text = _marker_for(clip, track, timeline)
            if _matches(criteria, clip, track, number, text):
                chosen.append(SelectedClip(clip, track, number, text, nested))
    return chosen


def _matches(criteria: Criteria, clip, track, number: int, text: str | None) -> bool:
    if criteria.all_clips:
        return True
    if criteria.marker:
        return text is not None
    if criteria.name_pattern is not None:
        return re.fullmatch(fnmatch.translate(criteria.name_pattern), clip.name or "", re.IGNORECASE) is not None
    if criteria.track is not None:
        return criteria.track == str(number) or criteria.track == track.name
    key, _, value = criteria.metadata.partition("=")
    return _lookup(clip.metadata, key.split(".")) == value


def _lookup(metadata, keys: list[str]) -> str | None:
    node = metadata
    for key in keys:
        if not hasattr(node, "get") or key not in node:
            return None
        node = node[key]
    return str(node)


def _marker_for(clip: otio.schema.Clip, track: otio.schema.Track, timeline: otio.schema.Timeline) -> str | None:
    """Clip markers first, then markers on the track, then on the timeline's stack."""
    for marker in clip.markers:
        text = marker_text(marker)
        if text:
            return text
    for parent in (track, timeline.tracks):
        span = clip.transformed_time_range(clip.trimmed_range(), parent)
        for marker in parent.markers:
            text = marker_text(marker)
            if text and _inside(marker.marked_range, span):
                return text
    return None


def _inside(marked: otio.opentime.TimeRange, span: otio.opentime.TimeRange) -> bool:
    """A point marker inside the clip, or a ranged marker overlapping it."""
    start, end = span.start_time, span.end_time_exclusive()
    if marked.duration.value <= 0:
        return start <= marked.start_time < end
    return marked.start_time < end and span.start_time < marked.end_time_exclusive()
