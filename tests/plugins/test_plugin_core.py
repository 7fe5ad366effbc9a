"""Plain-Python tests of the plugins' shared core: protocol parsing, range and placement math, the runner."""
from __future__ import annotations

import doctest
import json
import sys
from fractions import Fraction
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT / "plugins" / "resolve"))
import t2vz_action  # noqa: E402
import t2vz_protocol  # noqa: E402
import t2vz_ranges  # noqa: E402
import t2vz_resolve  # noqa: E402
from t2vz_protocol import ProgressState, ProtocolError, parse_event  # noqa: E402
from t2vz_ranges import HandledRange, SourceRange, placed_strip, used_source_range, with_handles  # noqa: E402


@pytest.mark.parametrize("module", [t2vz_protocol, t2vz_ranges, t2vz_resolve])
def test_docstring_examples_run(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


# --- protocol -------------------------------------------------------------------------------

def test_progress_parsing_skips_library_noise_and_reads_old_and_new_events():
    assert parse_event("Loading pipeline components...: 100%") is None
    assert parse_event('{"not": "an event"}') is None and parse_event("{broken") is None
    old = parse_event('{"event": "progress", "stage": "decode", "done": 1, "total": 4}')  # no "v": v0 CLI
    assert old["stage"] == "decode"
    with pytest.raises(ProtocolError, match="protocol v2 but this plugin reads up to v1"):
        parse_event('{"event": "done", "v": 2, "output": "/x.mov"}')


def test_progress_state_eta_comes_from_the_event_timestamps():
    state = ProgressState()
    for t, done in ((100.0, 0), (102.0, 4), (104.0, 8)):
        state.update({"event": "progress", "v": 1, "time": t, "stage": "denoise", "done": done, "total": 16})
    assert state.fraction == 0.5 and state.eta_sec == pytest.approx(4.0)  # 8 frames in 4 s, 8 to go
    assert state.text() == "denoise 8/16 (ETA 4s)"
    state.update({"event": "progress", "v": 1, "time": 105.0, "stage": "encode", "done": 1, "total": 16})
    assert state.stage == "encode" and state.eta_sec is None  # a new stage starts its own clock


def test_cli_json_lines_carry_version_time_and_absolute_paths(capsys, monkeypatch, tmp_path):
    from t2vz_edit.cli.progress_display import PROTOCOL_VERSION, emit_json

    monkeypatch.chdir(tmp_path)
    emit_json("done", output="renders/a.mov", previews=["a_before_after.mp4"], frames=3)
    event = parse_event(capsys.readouterr().out)
    assert event["v"] == PROTOCOL_VERSION == t2vz_protocol.PROTOCOL_VERSION
    assert abs(event["time"] - __import__("time").time()) < 5
    assert event["output"] == str(tmp_path / "renders" / "a.mov")
    assert event["previews"] == [str(tmp_path / "a_before_after.mp4")] and event["frames"] == 3


# --- range and placement math ---------------------------------------------------------------

@pytest.mark.parametrize("clip_rate, timeline_rate, offset, duration, expected", [
    (Fraction(24), Fraction(24), 10, 20, SourceRange(10, 30)),
    (Fraction(25), Fraction(24), 48, 24, SourceRange(50, 75)),  # 25 fps clip on a 24 fps timeline
    (Fraction(50), Fraction(25), 5, 10, SourceRange(10, 30)),   # high-rate clip: two source frames per frame
    (Fraction(24000, 1001), Fraction(24000, 1001), 7, 12, SourceRange(7, 19)),
])
def test_used_source_range_scales_timeline_frames_to_source_frames(clip_rate, timeline_rate, offset, duration,
                                                                   expected):
    assert used_source_range(offset, duration, clip_rate, timeline_rate) == expected


def test_handles_are_clamped_to_the_media_and_reported():
    assert with_handles(SourceRange(3, 10), 5, 12) == HandledRange(0, 12, 3, 2)
    assert with_handles(SourceRange(3, 10), 0, 12) == HandledRange(3, 10, 0, 0)
    with pytest.raises(ValueError, match="uses frames up to 14 but its media has 12"):
        with_handles(SourceRange(3, 14), 2, 12)


def test_rates_from_hosts_snap_to_exact_ntsc():
    assert t2vz_ranges.parse_rate("29.97") == Fraction(30000, 1001)
    assert t2vz_ranges.parse_rate("23.976") == Fraction(24000, 1001)
    assert t2vz_ranges.parse_rate("25.000") == 25 and t2vz_ranges.parse_rate(48) == 48


@pytest.mark.parametrize("frame_start, offset, duration, head, factor, expected", [
    (10, 7, 12, 0, 1, (17, 0, 12)),
    (10, 7, 12, 4, 1, (13, 4, 12)),
    (10, 7, 12, 4, Fraction(24, 25), (13, 4, 12)),  # 4 source frames at 25 fps ≈ 4 timeline frames at 24
    (-5, 0, 30, 10, 1, (-15, 10, 30)),
])
def test_placed_strip_keeps_every_frame_where_its_source_frame_was(frame_start, offset, duration, head, factor,
                                                                   expected):
    assert placed_strip(frame_start, offset, duration, head, factor) == expected


def test_a_second_render_of_the_same_range_gets_a_new_version(tmp_path):
    name = t2vz_ranges.render_file_name("/m/A001.mov", "watercolor", HandledRange(0, 10, 0, 0))
    first = t2vz_ranges.unused_path(str(tmp_path), name)
    Path(first).write_bytes(b"x")
    second = t2vz_ranges.unused_path(str(tmp_path), name)
    assert Path(second).name == "A001.watercolor.f0-10_v2.mov"


def test_drop_frame_timecode_round_trips_with_the_fake():
    from resolve_fake import _frames_to_timecode

    for frame in (0, 1799, 1800, 17982, 107892):
        tc = _frames_to_timecode(frame, Fraction(30000, 1001), True)
        assert t2vz_resolve.timecode_to_frame(tc, Fraction(30000, 1001), True) == frame, tc


# --- the runner ------------------------------------------------------------------------------

def test_runner_never_falls_back_to_the_host_python(monkeypatch):
    monkeypatch.delenv("T2VZ_EDIT_CLI", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(t2vz_action.ActionFailed, match="set the t2vz-edit command"):
        t2vz_action.cli_command()
    assert t2vz_action.cli_command("/opt/t2vz/bin/t2vz-edit --debug") == ["/opt/t2vz/bin/t2vz-edit", "--debug"]


def test_usage_error_box_becomes_one_line():
    box = ["Usage: t2vz-edit [OPTIONS] COMMAND [ARGS]...", "Try 't2vz-edit --help' for help.",
           "╭─ Error ───────╮", "│ No such command 'media'.  │", "╰───────────────╯"]
    assert t2vz_action._stderr_message(box, 2) == "No such command 'media'."
    assert t2vz_action._stderr_message(["noise", "error: clip.mov: not found"], 3) == "clip.mov: not found"


def test_failed_action_returns_the_cli_one_line_error(tmp_path):
    process = t2vz_action.ActionProcess(["restyle", str(tmp_path / "missing.mov"), "--preset", "watercolor"],
                                        cli=f"{sys.executable} -m t2vz_edit")
    with pytest.raises(t2vz_action.ActionFailed) as err:
        process.wait()
    assert err.value.exit_code != 0 and "missing.mov" in str(err.value) and "\n" not in str(err.value)
    assert json.dumps(process.final)  # the error event was read
