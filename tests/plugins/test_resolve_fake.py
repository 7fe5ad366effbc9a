"""The Resolve actions against a recorded FAKE of Resolve's scripting API, with the real CLI rendering.

Resolve cannot be installed here; tests/plugins/resolve_fake.py follows Blackmagic's scripting
README and records every call, so the tests see what the script asked Resolve to do.
"""
from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from resolve_fake import FakeResolve, FakeTimeline, Recorder, add_clip, probe_media as _probe

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "plugins" / "resolve"))
sys.path.insert(0, str(ROOT / "plugins"))
import t2vz_resolve  # noqa: E402
from t2vz_action import ActionFailed  # noqa: E402

CLI = f"{sys.executable} -m t2vz_edit"
START = 86400  # 01:00:00:00 at 24 fps


@pytest.fixture(scope="module")
def clip_25(tmp_path_factory) -> Path:
    """A 25 fps source (96 frames) to cut into a 24 fps timeline."""
    from t2vz_edit.media.synth import make_clip

    path = tmp_path_factory.mktemp("resolve-src") / "B002_C003.mov"
    make_clip(path, frames=96, width=96, height=64, rate=Fraction(25), timecode="10:00:00:00")
    return path


def _edit(clip: Path):
    """24 fps timeline: V1 holds two shots cut from the same 25 fps file, V2 a clip over the first."""
    timeline = FakeTimeline(Recorder(), "Edit 1", 24, START)
    first = add_clip(timeline, 1, str(clip), "25.000", 96, START + 48, left_offset=24, duration=24)
    second = add_clip(timeline, 1, str(clip), "25.000", 96, START + 96, left_offset=48, duration=24)
    add_clip(timeline, 2, str(clip), "25.000", 96, START + 40, left_offset=0, duration=40, name="over")
    return timeline, first, second, FakeResolve(timeline, _probe)


def _run(resolve, tmp_path):
    """The action with the trim renderer (copies the range; the diffusion path is tested in Blender's tests)."""
    return t2vz_resolve.restyle_clip_under_playhead(resolve, track_index=1, preset="watercolor", handles=6,
                                                    render_folder=str(tmp_path / "renders"), cli=CLI,
                                                    renderer="trim")


def test_mixed_rate_clip_with_handles_lands_on_a_new_top_track(clip_25, tmp_path):
    timeline, first, second, resolve = _edit(clip_25)
    timeline.playhead = START + 60  # over `first` on V1 and `over` on V2: the chosen track decides
    render, track = _run(resolve, tmp_path)
    # 24 timeline frames from offset 24 at 24 fps = 25 source frames from 25 at 25 fps; ±6 handles
    assert Path(render).name == "B002_C003.trim.f19-56.mov"
    assert _probe(render) == ("25.000", 37)
    (append,) = [args[0] for obj, method, args in timeline.rec.calls if method == "AppendToTimeline"]
    assert append == [{"mediaPoolItem": append[0]["mediaPoolItem"], "startFrame": 6, "endFrame": 30,
                       "recordFrame": START + 48, "trackIndex": 3, "mediaType": 1}]
    (placed,) = timeline.tracks[track - 1]
    assert (track, placed.start, placed.duration) == (3, first.start, first.duration)
    assert timeline.track_names[2] == "t2vz trim"
    marker = timeline.markers[48]
    args = ["--range", "19-56", "-o", render]
    rendered = t2vz_resolve.with_handles(t2vz_resolve.used_source_range(24, 24, Fraction(25), Fraction(24)), 6, 96)
    assert marker["customData"] == t2vz_resolve.render_key(str(clip_25), rendered, args)
    assert len(marker["customData"]) == 16 and marker["note"] == render
    assert "GetCurrentVideoItem" not in timeline.rec.methods()


def test_second_shot_from_the_same_file_gets_its_own_render_and_track(clip_25, tmp_path):
    timeline, first, second, resolve = _edit(clip_25)
    timeline.playhead = START + 60
    render_1, track_1 = _run(resolve, tmp_path)
    timeline.playhead = START + 100
    render_2, track_2 = _run(resolve, tmp_path)
    assert Path(render_2).name == "B002_C003.trim.f44-81.mov" and render_1 != render_2
    assert Path(render_1).exists() and Path(render_2).exists()
    assert (track_1, track_2) == (3, 4)
    (placed,) = timeline.tracks[track_2 - 1]
    assert (placed.start, placed.duration) == (second.start, second.duration)
    assert set(timeline.markers) == {48, 96}


def test_failed_render_adds_nothing_and_says_why(clip_25, tmp_path, capsys, monkeypatch):
    timeline, first, second, resolve = _edit(clip_25)
    timeline.playhead = START + 60
    monkeypatch.setenv("T2VZ_EDIT_CLI", CLI)
    monkeypatch.setenv("T2VZ_PRESET", "no-such-look")
    monkeypatch.setenv("T2VZ_RENDER_FOLDER", str(tmp_path / "renders"))
    import t2vz_restyle_clip

    t2vz_restyle_clip.main(resolve)
    out = capsys.readouterr().out
    assert "t2vz-edit failed: " in out and "unknown preset" in out
    methods = timeline.rec.methods()
    for call in ("ImportMedia", "AddTrack", "AppendToTimeline", "AddMarker"):
        assert call not in methods
    assert len(timeline.tracks) == 2 and not timeline.markers
    assert not (tmp_path / "renders").exists() or not any((tmp_path / "renders").iterdir())


def test_refused_append_removes_the_track_it_added(clip_25, tmp_path):
    timeline, first, second, resolve = _edit(clip_25)
    timeline.playhead = START + 60
    session = t2vz_resolve.Session(resolve)
    plan = t2vz_resolve.shot_plan(session.clip_under_playhead(1), session.rate, 6)
    resolve.project.media_pool.AppendToTimeline = lambda infos: []  # Resolve refuses the placement
    with pytest.raises(t2vz_resolve.ResolveError, match="could not place the render on V3"):
        t2vz_resolve.place_render(session, plan, str(clip_25), "k", "watercolor")
    assert len(timeline.tracks) == 2 and not timeline.markers


def test_no_clip_under_the_playhead_on_the_chosen_track(clip_25):
    timeline, first, second, resolve = _edit(clip_25)
    timeline.playhead = START + 10  # nothing on V1 there
    with pytest.raises(t2vz_resolve.ResolveError, match="no clip under the playhead on V1"):
        t2vz_resolve.Session(resolve).clip_under_playhead(1)


def _export_otio(timeline, path):
    """The fake's Export: the fake timeline as OTIO, like Resolve's EXPORT_OTIO — source ranges in the
    clip's own rate and timecode (the synthesized clip starts at 10:00:00:00), gaps in timeline frames."""
    rate = float(timeline.rate)
    out = otio.schema.Timeline(name=timeline.name, global_start_time=otio.opentime.RationalTime(START, rate))
    for items in timeline.tracks:
        track, cursor = otio.schema.Track(kind=otio.schema.TrackKind.Video), START
        for item in sorted(items, key=lambda i: i.start):
            if item.start > cursor:
                track.append(otio.schema.Gap(duration=otio.opentime.RationalTime(item.start - cursor, rate)))
            clip_rate = float(item.media.props["FPS"])
            origin = 10 * 3600 * clip_rate
            used = t2vz_resolve.used_source_range(item.left_offset, item.duration, Fraction(item.media.props["FPS"]),
                                                  Fraction(timeline.rate))
            media = otio.schema.ExternalReference(
                target_url=item.media.props["File Path"], available_range=otio.opentime.TimeRange(
                    otio.opentime.RationalTime(origin, clip_rate),
                    otio.opentime.RationalTime(int(item.media.props["Frames"]), clip_rate)))
            track.append(otio.schema.Clip(name=item.name, media_reference=media, source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(origin + used.start, clip_rate),
                otio.opentime.RationalTime(used.stop - used.start, clip_rate))))
            cursor = item.start + item.duration
        out.tracks.append(track)
    otio.adapters.write_to_file(out, path)
    return True


def test_whole_timeline_round_trips_through_otio(clip_25, tmp_path):
    timeline, first, second, resolve = _edit(clip_25)
    timeline.tracks.pop(), timeline.track_names.pop()  # V1 only
    timeline.exporter = _export_otio
    resolve.project.media_pool.importer = lambda path, options: FakeTimeline(
        Recorder(), options["timelineName"], 24) if otio.adapters.read_from_file(path) else None
    out = t2vz_resolve.restyle_timeline(resolve, preset="watercolor", folder=str(tmp_path / "rt"),
                                        extra=["--renderer", "trim"], cli=CLI)
    result = otio.adapters.read_from_file(out)
    assert len(result.video_tracks()) == 2  # the renders on a new top track
    renders = result.video_tracks()[1].find_clips()
    assert len(renders) == 2 and all(Path(c.media_reference.target_url.replace("file://", "")).exists()
                                     for c in renders)
    assert [c.range_in_parent() for c in renders] == [c.range_in_parent() for c in result.video_tracks()[0].find_clips()]
    assert resolve.project.timeline.name == "Edit 1 (t2vz)"
    assert ("Project", "SetCurrentTimeline", ("Edit 1 (t2vz)",)) in timeline.rec.calls


# --- the render as a take of the source item -------------------------------------------------

def test_render_as_a_take_of_the_source_item_with_its_used_range(clip_25, tmp_path):
    timeline, first, second, resolve = _edit(clip_25)
    timeline.playhead = START + 60
    source_media = first.media
    render, take = t2vz_resolve.restyle_clip_under_playhead(
        resolve, track_index=1, handles=6, render_folder=str(tmp_path / "renders"), cli=CLI, renderer="trim",
        as_take=True)
    assert take == 2 and Path(render).name == "B002_C003.trim.f19-56.mov"
    (add_take,) = [args for obj, method, args in timeline.rec.calls if method == "AddTake"]
    assert add_take[1:] == (6, 30)  # the used 25 source frames inside the 37-frame render (6 head handles)
    assert first.takes[0] == {"mediaPoolItem": source_media, "startFrame": 25, "endFrame": 49}  # the original
    assert first.takes[1]["mediaPoolItem"].props["File Path"] == render
    assert (first.takes[1]["startFrame"], first.takes[1]["endFrame"]) == (6, 30)
    assert first.selected_take == 2 and first.GetMediaPoolItem() is first.takes[1]["mediaPoolItem"]
    assert (first.start, first.duration) == (START + 48, 24)  # the cut is unchanged
    methods = timeline.rec.methods()
    assert "AddTrack" not in methods and "AppendToTimeline" not in methods and len(timeline.tracks) == 2
    assert timeline.markers[48]["note"] == render and len(timeline.markers[48]["customData"]) == 16
    render_2, take_2 = t2vz_resolve.restyle_clip_under_playhead(  # another look of the same shot
        resolve, track_index=1, handles=6, render_folder=str(tmp_path / "renders"), cli=CLI, renderer="trim",
        as_take=True)
    assert take_2 == 3 and Path(render_2).name == "B002_C003.trim.f19-56_v2.mov"
    assert set(timeline.markers) == {48, 49} and timeline.markers[49]["note"] == render_2  # its own marker


@pytest.mark.parametrize("refused", ["AddTake", "SelectTakeByIndex"])
def test_refused_take_shows_the_error_and_changes_nothing(clip_25, tmp_path, capsys, monkeypatch, refused):
    timeline, first, second, resolve = _edit(clip_25)
    timeline.playhead = START + 60
    first.refuse.add(refused)  # Resolve answers None/False
    source_media = first.media
    monkeypatch.setenv("T2VZ_PLACE", "take")
    monkeypatch.setenv("T2VZ_HANDLES", "6")
    monkeypatch.setenv("T2VZ_RENDER_FOLDER", str(tmp_path / "renders"))
    import t2vz_restyle_clip

    assert t2vz_restyle_clip.main(resolve, renderer="trim", cli=CLI) is False
    out = capsys.readouterr().out
    what = "add {} as a take".format(tmp_path / "renders" / "B002_C003.trim.f19-56.mov") if refused == "AddTake" \
        else "select take 2 of B002_C003.mov"
    assert "t2vz-edit failed: Resolve could not {}".format(what) in out, out
    render = tmp_path / "renders" / "B002_C003.trim.f19-56.mov"
    assert "the render is kept at {} (place it by hand)".format(render) in out, out  # as Blender says it
    assert render.is_file()  # the finished render is kept for placing by hand
    assert first.takes == [] and first.GetMediaPoolItem() is source_media  # no take left behind
    assert resolve.project.media_pool.items == []  # the imported render is removed from the media pool again
    assert len(timeline.tracks) == 2 and not timeline.markers
    assert "AddTrack" not in timeline.rec.methods() and "AppendToTimeline" not in timeline.rec.methods()


def test_place_setting_is_checked():
    import t2vz_restyle_clip

    with pytest.raises(ValueError, match="T2VZ_PLACE='lane': use track or take"):
        t2vz_restyle_clip.settings_from_env({"T2VZ_PLACE": "lane"})
    assert t2vz_restyle_clip.settings_from_env({"T2VZ_PLACE": "take"})["as_take"] is True


def test_a_refused_undo_is_named_in_the_error(clip_25):
    timeline, first, second, resolve = _edit(clip_25)
    timeline.playhead = START + 60
    session = t2vz_resolve.Session(resolve)
    plan = t2vz_resolve.shot_plan(session.clip_under_playhead(1), session.rate, 6)
    first.refuse.add("SelectTakeByIndex")
    resolve.project.media_pool.DeleteClips = lambda clips: False  # Resolve refuses the clean-up too
    with pytest.raises(t2vz_resolve.ResolveError, match=r"could not select take 2 of B002_C003.mov; and could not "
                                                        r"remove the render from the media pool \(check the timeline\)"):
        t2vz_resolve.add_take(session, first, plan, str(clip_25), "k", "watercolor")
    assert first.takes == []  # the undo steps that Resolve accepted did run
