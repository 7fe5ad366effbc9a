"""Round trips through .otio, EDL (24, 25, 29.97 DF), FCP7 XML and AAF with a real trim renderer."""
from __future__ import annotations

from fractions import Fraction

import opentimelineio as otio
import pytest

from timeline_helpers import build_timeline, one_hour
from t2vz_edit.media.probe import probe
from t2vz_edit.media.sidecar import read_sidecar
from t2vz_edit.timeline import conform
from t2vz_edit.timeline.jobs import Where
from t2vz_edit.timeline.placement import REFERENCE_KEY, TRACK_NAME
from t2vz_edit.timeline.read import exact_rate, read_timeline
from t2vz_edit.pipeline.renderers import trim_renderer
from t2vz_edit.timeline.roundtrip import Options, restyle_timeline
from t2vz_edit.timeline.selection import Criteria
from t2vz_edit.timeline.specs import spec_resolver


def _record(clip, stack, start):
    span = clip.transformed_time_range(clip.trimmed_range(), stack)
    return (round((start + span.start_time.value_rescaled_to(span.duration.rate))), round(span.duration.value))


def _records(timeline, names):
    start = timeline.global_start_time.value if timeline.global_start_time else 0
    return {c.name: _record(c, timeline.tracks, start) for c in timeline.find_clips() if c.name in names}


def _run(tmp_path, in_path, out_name, criteria, *, rate=None, mode="track", handles=0):
    read = read_timeline(in_path, rate=rate)
    opts = Options(criteria, tmp_path / out_name, Where(in_path, tmp_path / "renders"), mode=mode, handles=handles)
    report = restyle_timeline(read, opts, spec_resolver(instruction="make it snowy"), trim_renderer)
    return report, read_timeline(tmp_path / out_name, rate=rate)


@pytest.mark.parametrize("suffix", ["otio", "xml", "aaf"])
def test_track_mode_round_trip_keeps_record_ranges_and_untouched_items(tmp_path, media_factory, suffix):
    rate = Fraction(24000, 1001) if suffix == "xml" else Fraction(24)
    before = build_timeline(media_factory(rate), rate)
    in_path = tmp_path / f"in.{suffix}"
    if suffix == "aaf":  # Avid's dissolve description, as an AAF from Media Composer carries
        otio.adapters.write_to_file(conform.for_output(before, "aaf", lambda url: None), str(in_path),
                                    use_empty_mob_ids=True)
    else:
        otio.adapters.write_to_file(before, str(in_path))
    original = read_timeline(in_path).timeline
    report, back = _run(tmp_path, in_path, f"out.{suffix}", Criteria(name_pattern="shot[CD]"), handles=3)
    assert [o.status for o in report.outcomes] == ["rendered", "rendered"]
    video = [t for t in back.timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    assert len(video) == 3  # V1, V2 and the restyle track on top
    if suffix == "otio":  # FCP7 XML and AAF carry no track names
        assert video[-1].name == TRACK_NAME
    renders = video[-1].find_clips()
    want = _records(original, {"shotC", "shotD"})
    got = {c.name: _record(c, back.timeline.tracks, back.timeline.global_start_time.value if back.timeline.global_start_time else 0)
           for c in renders}
    assert got == want
    assert exact_rate(back.timeline.global_start_time.rate) == rate
    assert round(back.timeline.global_start_time.value) == one_hour(rate).value  # 01:00:00:00 kept
    assert back.rate == rate and back.rate.denominator in (1, 1001)
    for c in renders:  # each render file holds the clip's frames plus the handles taken
        path = otio.url_utils.filepath_from_url(c.media_reference.target_url)
        head, tail = read_sidecar(path)["provenance"]["t2vz_edit"]["handles"]
        assert (head, tail) == ((0, 3) if c.name == "shotD" else (3, 3))  # shotD starts at media frame 0
        assert probe(path).frame_count == round(c.source_range.duration.value) + head + tail
    for i, track in enumerate(t for t in original.tracks if t.kind == "Video"):  # untouched tracks unchanged
        if suffix == "otio":
            assert otio.adapters.write_to_string(track) == otio.adapters.write_to_string(back.timeline.tracks[i])
        else:
            assert [(type(c).__name__, c.name, c.range_in_parent()) for c in track] == \
                   [(type(c).__name__, c.name, c.range_in_parent()) for c in video[i]]


@pytest.mark.parametrize("rate", [Fraction(24), Fraction(25), Fraction(30000, 1001)])
def test_edl_round_trip_places_renders_in_the_single_video_track(tmp_path, media_factory, rate):
    before = build_timeline(media_factory(rate), rate, video_tracks=1)
    before.tracks.remove(before.tracks[1])  # CMX 3600: one video track, audio not needed here
    v1 = before.tracks[0]  # the CMX writer takes the record start from the track's offset
    v1.source_range = otio.opentime.TimeRange(-before.global_start_time, v1.available_range().duration)
    in_path = tmp_path / "in.edl"
    otio.adapters.write_to_file(before, str(in_path), rate=float(rate))
    assert ("01:00:00;00" if rate.denominator == 1001 else "01:00:00:00") in in_path.read_text()
    original = read_timeline(in_path, rate=rate).timeline
    # by marker: at 29.97 the LOC line is drop-frame (01:00:00;14 style), which the CMX reader drops
    report, back = _run(tmp_path, in_path, "out.edl", Criteria(marker=True), rate=rate)
    assert [o.clip for o in report.outcomes] == ["shotC"]
    render = otio.url_utils.filepath_from_url(
        [c for c in back.timeline.find_clips() if c.name == "shotC"][0].media_reference.target_url)
    # CMX 3600 writers upper-case locator text; the SD text encoder's tokenizer lower-cases it again
    assert read_sidecar(render)["provenance"]["t2vz_edit"]["instruction"] == "MAKE IT A WATERCOLOR PAINTING"
    want = _records(original, {"shotA", "shotB", "shotC"})
    got = _records(back.timeline, {"shotA", "shotB", "shotC"})
    assert got == want
    shot_c = [c for c in back.timeline.find_clips() if c.name == "shotC"][0]
    assert "renders" in shot_c.media_reference.target_url
    assert back.rate == rate
    again = read_timeline(tmp_path / "out.edl", rate=rate).timeline  # EDLs read with the start as global time
    assert again.global_start_time.value == one_hour(rate).value and again.tracks[0].source_range is None
    assert ("FCM: DROP FRAME" if rate.denominator == 1001 else "FCM: NON-DROP FRAME") in \
        (tmp_path / "out.edl").read_text()  # what an editor reads matches the counts


def test_reference_mode_adds_switchable_render_reference(tmp_path, timeline_24):
    in_path = tmp_path / "in.otio"
    otio.adapters.write_to_file(timeline_24, str(in_path))
    report, back = _run(tmp_path, in_path, "out.otio", Criteria(marker=True), mode="reference")
    clip = [c for c in back.timeline.find_clips() if c.name == "shotC"][0]
    assert clip.active_media_reference_key == REFERENCE_KEY
    assert set(clip.media_references()) == {"DEFAULT_MEDIA", REFERENCE_KEY}
    render = otio.url_utils.filepath_from_url(clip.media_reference.target_url)
    assert probe(render).frame_count == 24
    sidecar = read_sidecar(render)
    assert sidecar["provenance"]["t2vz_edit"]["instruction"] == "make it a watercolor painting"
    assert clip.metadata["t2vz_edit"]["spec"]["instruction"] == "make it a watercolor painting"
    clip.active_media_reference_key = "DEFAULT_MEDIA"  # switchable back to the original
    assert clip.media_reference.target_url.endswith("shotC.mov")
    assert len(back.timeline.tracks) == len(timeline_24.tracks)


def test_second_run_reuses_renders_unless_forced(tmp_path, timeline_24):
    in_path = tmp_path / "in.otio"
    otio.adapters.write_to_file(timeline_24, str(in_path))
    first, _ = _run(tmp_path, in_path, "a.otio", Criteria(track="2"))
    second, _ = _run(tmp_path, in_path, "b.otio", Criteria(track="2"))
    assert [o.status for o in first.outcomes] == ["rendered"] and [o.status for o in second.outcomes] == ["reused"]
    read = read_timeline(in_path)
    opts = Options(Criteria(track="2"), tmp_path / "c.otio", Where(in_path, tmp_path / "renders"), force=True)
    forced = restyle_timeline(read, opts, spec_resolver(instruction="make it snowy"), trim_renderer)
    assert [o.status for o in forced.outcomes] == ["rendered"]
