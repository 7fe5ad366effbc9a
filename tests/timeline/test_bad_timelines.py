"""Bad timelines through the CLI: one line per problem, the right exit code, no half-written output."""
from __future__ import annotations

import json
import subprocess
import sys

import opentimelineio as otio
import pytest

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "t2vz_edit", *map(str, args)], capture_output=True, text=True)


def _restyle(tmp_path, timeline, *select):
    in_path, out = tmp_path / "in.otio", tmp_path / "out.otio"
    otio.adapters.write_to_file(timeline, str(in_path))
    result = _cli("timeline", "restyle", in_path, "-o", out, *select, "--instruction", "make it snowy",
                  "--renderer", "trim", "--progress", "none")
    return result, out


def _only(timeline, keep):
    for track in timeline.tracks:
        for clip in track.find_clips():
            if clip.name not in keep:
                clip.name = "skip " + clip.name
    return timeline


def test_unreadable_file_exit_1_and_no_output(tmp_path):
    bad = tmp_path / "broken.xml"
    bad.write_text("<xmeml><nope")
    result = _cli("timeline", "restyle", bad, "-o", tmp_path / "out.otio", "--all", "--renderer", "trim")
    assert result.returncode == 1 and "broken.xml: cannot read as xml" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out.otio").exists()


def test_unsupported_rate_is_refused(tmp_path, timeline_24):
    for clip in timeline_24.find_clips():
        clip.source_range = TR(RT(0, 17.3), RT(10, 17.3))
    timeline_24.global_start_time = RT(0, 17.3)
    result, out = _restyle(tmp_path, timeline_24, "--all")
    assert result.returncode == 1 and "frame rate 17.3 is not supported" in result.stderr and not out.exists()


@pytest.mark.parametrize("damage, message", [
    ("no_media", "has no media reference"),
    ("time_warp", "has a speed change (LinearTimeWarp x2)"),
    ("beyond", "but shotD.mov has frames 0..59"),
    ("missing_file", "not found (tried"),
    ("nested", "sits inside a nested stack"),
])
def test_bad_clip_is_refused_and_the_rest_render_exit_3(tmp_path, timeline_24, damage, message):
    v2 = timeline_24.tracks[1]
    bad = v2[1]  # shotD
    if damage == "no_media":
        bad.media_reference = otio.schema.MissingReference()
    elif damage == "time_warp":
        bad.effects.append(otio.schema.LinearTimeWarp(time_scalar=2.0))
    elif damage == "beyond":
        bad.source_range = TR(RT(55, 24), RT(11, 24))
    elif damage == "missing_file":
        bad.media_reference.target_url = "file:///nowhere/shotD.mov"
    elif damage == "nested":
        v2.remove(bad)
        inner = otio.schema.Stack(name="compound")
        inner_track = otio.schema.Track()
        inner_track.append(bad)
        inner.append(inner_track)
        v2.append(inner)
    result, out = _restyle(tmp_path, _only(timeline_24, {"shotC", "shotD"}), "--name", "shot*")
    assert result.returncode == 3, result.stderr
    assert "1 of 2 clips failed" in result.stderr and message in result.stderr and "'shotD' on V2" in result.stderr
    back = otio.adapters.read_from_file(str(out))
    assert [c.name for c in back.tracks[-1].find_clips()] == ["shotC"]  # the good clip made it


def test_transition_over_selected_clip_alone_fails_with_no_output(tmp_path, timeline_24):
    result, out = _restyle(tmp_path, timeline_24, "--name", "shotA")
    assert result.returncode == 1
    assert "'shotA' on V1: is under a transition (SMPTE_Dissolve)" in result.stderr and "nothing written" in result.stderr
    assert not out.exists() and not list(tmp_path.glob(".*partial*"))


def test_input_is_never_overwritten_and_output_needs_overwrite(tmp_path, timeline_24):
    in_path = tmp_path / "in.otio"
    otio.adapters.write_to_file(timeline_24, str(in_path))
    before = in_path.read_bytes()
    result = _cli("timeline", "restyle", in_path, "-o", in_path, "--marker", "--renderer", "trim")
    assert result.returncode == 2 and "input is never overwritten" in result.stderr
    assert in_path.read_bytes() == before
    (tmp_path / "taken.otio").write_text("x")
    result = _cli("timeline", "restyle", in_path, "-o", tmp_path / "taken.otio", "--marker", "--renderer", "trim")
    assert result.returncode == 2 and "pass --overwrite" in result.stderr


def test_inspect_json_reports_rate_start_and_tracks(tmp_path, timeline_24):
    in_path = tmp_path / "in.otio"
    otio.adapters.write_to_file(timeline_24, str(in_path))
    result = _cli("timeline", "inspect", in_path, "--json")
    info = json.loads(result.stdout)
    assert (info["rate"], info["start_timecode"]) == ("24/1", "01:00:00:00")
    assert [t["clips"] for t in info["tracks"]] == [3, 1, 1] and info["tracks"][0]["transitions"] == 1
    assert info["clips"][2]["record_in"] == "01:00:01:19"  # shotC after shotA 20 + shotB 16 + gap 7 = 43 frames
