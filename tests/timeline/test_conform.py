"""Writing in another format than the one read: EDL in, FCP7 XML / FCPXML / AAF out, and .otio to EDL.

The CMX reader keeps the start timecode as a negative track offset and gives media no available
range; the other writers need a global start time and media ranges (t2vz_edit.timeline.conform).
"""
from __future__ import annotations

from fractions import Fraction

import opentimelineio as otio
import pytest

from timeline_helpers import build_timeline, one_hour
from t2vz_edit.media.probe import probe
from t2vz_edit.timeline.jobs import Where
from t2vz_edit.timeline.read import read_timeline, start_frames
from t2vz_edit.pipeline.renderers import trim_renderer
from t2vz_edit.timeline.roundtrip import Options, restyle_timeline
from t2vz_edit.timeline.selection import Criteria
from t2vz_edit.timeline.specs import spec_resolver

RATE = Fraction(24)


def _single_track(media_factory, *, edl_layout: bool):
    timeline = build_timeline(media_factory(RATE), RATE, video_tracks=1)
    timeline.tracks.remove(timeline.tracks[1])  # CMX 3600: one video track
    if edl_layout:  # what the CMX writer reads the record start from
        v1 = timeline.tracks[0]
        v1.source_range = otio.opentime.TimeRange(-timeline.global_start_time, v1.available_range().duration)
    return timeline


def _records(read) -> dict[str, list[tuple[int, int]]]:
    """clip name -> [(record in as absolute frames, duration)], whichever way the start is kept:
    EDL layout (tracks offset by minus the start) maps to absolute stack times already."""
    start = read.timeline.global_start_time
    offset = round(start.value) if start is not None else 0
    out: dict = {}
    for clip in read.timeline.find_clips():
        span = clip.transformed_time_range(clip.trimmed_range(), read.timeline.tracks)
        out.setdefault(clip.name, []).append((offset + round(span.start_time.value), round(span.duration.value)))
    return out


def _run(tmp_path, in_path, out_name, *, rate=None):
    read = read_timeline(in_path, rate=rate)
    opts = Options(Criteria(name_pattern="shotC"), tmp_path / out_name, Where(in_path, tmp_path / "renders"))
    report = restyle_timeline(read, opts, spec_resolver(instruction="make it snowy"), trim_renderer)
    assert [o.status for o in report.outcomes] == ["rendered"]
    return read, read_timeline(tmp_path / out_name, rate=rate)


@pytest.mark.parametrize("suffix", ["xml", "fcpxml", "aaf", "otio"])
def test_edl_to_other_formats_keeps_start_and_record_times(tmp_path, media_factory, suffix):
    in_path = tmp_path / "cut.edl"
    otio.adapters.write_to_file(_single_track(media_factory, edl_layout=True), str(in_path), rate=24.0)
    original, back = _run(tmp_path, in_path, f"cut.{suffix}")
    assert start_frames(back) == start_frames(original) == one_hour(RATE).value
    want, got = _records(original), _records(back)
    assert {k: v[0] for k, v in want.items()} == {k: v[0] for k, v in got.items() if k in want}
    assert len(got["shotC"]) == 2  # the original event and its render on the restyle track
    render = [c for c in back.timeline.find_clips() if c.name == "shotC" and "renders" in c.media_reference.target_url]
    assert probe(otio.url_utils.filepath_from_url(render[0].media_reference.target_url)).frame_count == 24


def test_otio_to_edl_writes_the_start_timecode(tmp_path, media_factory):
    in_path = tmp_path / "cut.otio"
    otio.adapters.write_to_file(_single_track(media_factory, edl_layout=False), str(in_path))
    original, back = _run(tmp_path, in_path, "cut.edl", rate=24)
    text = (tmp_path / "cut.edl").read_text()
    assert "01:00:01:19 01:00:02:19" in text  # shotC's record in/out: 43 frames after 01:00:00:00
    assert start_frames(back) == one_hour(RATE).value
    # CMX 3600 spells the A/B dissolve as a cut plus a dissolve event, so A and B trade frames;
    # the selected clip and where the dissolved pair ends are what must not move
    want, got = _records(original), _records(back)
    assert got["shotC"] == want["shotC"] == [(one_hour(RATE).value + 43, 24)]
    assert sum(got["shotB"][0]) == sum(want["shotB"][0])


def test_aaf_gets_dissolve_descriptions_and_refuses_other_transitions(media_factory):
    from t2vz_edit.spec.errors import OutputError
    from t2vz_edit.timeline import conform

    timeline = build_timeline(media_factory(RATE), RATE)
    (dissolve,) = conform.for_output(timeline, "aaf", lambda url: None).find_children(
        descended_from_type=otio.schema.Transition)
    assert dissolve.metadata["AAF"]["OperationGroup"]["Operation"]["Name"] == "Video Dissolve"
    assert dissolve.metadata["AAF"]["CutPoint"] == 4
    assert "AAF" not in timeline.find_children(descended_from_type=otio.schema.Transition)[0].metadata  # copy only
    wipe = timeline.find_children(descended_from_type=otio.schema.Transition)[0]
    wipe.transition_type, wipe.name = otio.schema.TransitionTypes.Custom, "clock wipe"
    with pytest.raises(OutputError, match="transition 'clock wipe' .* no AAF description; write .otio or .xml"):
        conform.for_output(timeline, "aaf", lambda url: None)
