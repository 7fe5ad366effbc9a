"""Put renders back on the timeline: a ``restyle`` track on top, or alternate media references.

Track mode: a new video track (``restyle``; ``restyle 2`` ... when selected clips overlap in
time) is appended to ``timeline.tracks`` (= on top); each render clip sits at exactly the
original clip's range in the timeline stack, gaps elsewhere. The new track copies the time
offset of the first video track (EDL readers keep the 01:00:00:00 record start there), so both
count time the same way. Reference mode: the render becomes a second media reference of the
original clip (OTIO Clip.2 multi-reference) and, by default, the active one.

Render references cover the render's frames including handles: their available range starts
``head`` frames before the clip's source in-point, so the clip's source range is unchanged.
"""
from __future__ import annotations

import copy
from pathlib import Path

import opentimelineio as otio

from t2vz_edit.timeline import rates
from t2vz_edit.timeline.jobs import ClipJob
from t2vz_edit.pipeline.render_job import PROVENANCE_KEY, RenderResult

TRACK_NAME = "restyle"
REFERENCE_KEY = "t2vz_restyle"  # key of the render among a clip's media references


def render_reference(job: ClipJob, result: RenderResult) -> otio.schema.ExternalReference:
    """An ExternalReference to the render, counted in the render's own (the media's) frames.

    The render holds media frames ``start_frame .. stop_frame`` at the media's rate, so its
    available range starts at the source time of its first frame and lasts ``frame_count``
    media frames, whatever the clip's rate (a 15 fps clip over 30 fps media uses 2 media
    frames per clip frame; counting render frames at the clip's rate put it late and long).
    """
    rate = float(job.request.rate)
    used = job.selected.clip.trimmed_range()
    first_used = rates.first_frame(used.start_time, job.request.rate)
    available = otio.opentime.TimeRange(otio.opentime.RationalTime(first_used - job.head_frames, rate),
                                        otio.opentime.RationalTime(result.frame_count, rate))
    return otio.schema.ExternalReference(target_url=Path(result.path).resolve().as_uri(),
                                         available_range=available,
                                         metadata={PROVENANCE_KEY: provenance(job, result)})


def provenance(job: ClipJob, result: RenderResult) -> dict:
    request = job.request
    return {**request.provenance[PROVENANCE_KEY], "render": str(result.path),
            "spec": request.spec.to_dict(), "reused": result.reused}


def add_reference(job: ClipJob, result: RenderResult, *, activate: bool = True) -> None:
    """Add the render as an alternate media reference of the original clip."""
    clip = job.selected.clip
    references = dict(clip.media_references())
    references[REFERENCE_KEY] = render_reference(job, result)
    active = REFERENCE_KEY if activate else clip.active_media_reference_key
    clip.set_media_references(references, active)
    clip.metadata[PROVENANCE_KEY] = provenance(job, result)


def add_tracks(timeline: otio.schema.Timeline, done: list[tuple[ClipJob, RenderResult]]) -> list[otio.schema.Track]:
    """Append restyle track(s) holding each render at its clip's range; return them."""
    offset_range = _first_video_range(timeline)
    offset = offset_range.start_time if offset_range is not None else None
    placed = []  # (stack range, render clip)
    for job, result in done:
        clip = job.selected.clip
        span = clip.transformed_time_range(clip.trimmed_range(), timeline.tracks)
        render_clip = otio.schema.Clip(name=clip.name, media_reference=render_reference(job, result),
                                       source_range=clip.trimmed_range(),
                                       metadata={PROVENANCE_KEY: provenance(job, result)})
        placed.append((span, render_clip))
    lanes: list[list] = []
    for span, render_clip in sorted(placed, key=lambda p: p[0].start_time.to_seconds()):
        lane = next((l for l in lanes if l[-1][0].end_time_exclusive() <= span.start_time), None)
        if lane is None:
            lanes.append(lane := [])
        lane.append((span, render_clip))
    tracks = []
    for number, lane in enumerate(lanes, start=1):
        track = _lane_track(TRACK_NAME if number == 1 else f"{TRACK_NAME} {number}", lane, offset, offset_range)
        timeline.tracks.append(track)
        tracks.append(track)
    return tracks


def _first_video_range(timeline):
    for track in timeline.tracks:
        if track.kind == otio.schema.TrackKind.Video:
            return track.source_range
    return None


def _lane_track(name: str, lane: list, offset, offset_range) -> otio.schema.Track:
    track = otio.schema.Track(name=name, kind=otio.schema.TrackKind.Video)
    cursor = None
    for span, render_clip in lane:
        # stack time -> this track's own time (same offset as the first video track)
        start = span.start_time + offset if offset is not None else span.start_time
        if cursor is None:
            cursor = offset if offset is not None else otio.opentime.RationalTime(0, span.duration.rate)
        if start > cursor:
            track.append(otio.schema.Gap(source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, span.duration.rate), start - cursor)))
        track.append(render_clip)
        cursor = start + span.duration
    if offset_range is not None:
        end = max(offset_range.end_time_exclusive(), cursor) - offset_range.start_time
        track.source_range = otio.opentime.TimeRange(offset_range.start_time, end)
    return track


def replaced_for_edl(timeline: otio.schema.Timeline, done: list) -> otio.schema.Timeline:
    """A copy whose single video track has each selected event replaced by its render.

    CMX 3600 holds one video track, so a restyle track cannot sit on top: the render takes the
    original event's place (same record range, same source in-point); other events are copied.
    """
    out = copy.deepcopy(timeline)
    base = next(t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video)
    target = next(t for t in out.tracks if t.kind == otio.schema.TrackKind.Video)
    for job, result in done:
        clip = job.selected.clip
        index = base.index(clip)
        render_clip = otio.schema.Clip(name=clip.name, media_reference=render_reference(job, result),
                                       source_range=clip.trimmed_range(), markers=[copy.deepcopy(m) for m in clip.markers])
        target[index] = render_clip
    return out
