"""Code that runs inside hosts: Python 3.6 (Resolve's documented minimum) and the free edition's Lua entry script.

The Lua script runs in real lua5.1 against FAKES (tests/plugins/lua/): resolve_fake.lua (the few
Resolve calls it makes) and, with FAKE_UI=1, resolve_ui_fake.lua (Fusion's UIManager from Lua: the
same documented contract as resolve_ui_fake.py). The CLI is real.

Both interpreters are outside the project's environment; a test whose interpreter is absent
says so in its skip reason (python3.6 via pyenv, lua5.1 via `apt install lua5.1`).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

ROOT = Path(__file__).resolve().parents[2]
HOST_FILES = sorted(str(p) for p in [*ROOT.glob("plugins/*.py"), *ROOT.glob("plugins/resolve/*.py")]
                    if p.name != "build_blender_extension.py") + [str(Path(__file__).with_name(name))
                                                                  for name in ("resolve_fake.py", "resolve_ui_fake.py")]
PY36 = os.environ.get("T2VZ_PY36") or next(  # pyenv's own build first: its shim refuses unselected versions
    iter(sorted(Path("~/.pyenv/versions").expanduser().glob("3.6*/bin/python3.6"))), None) or shutil.which("python3.6")
LUA = shutil.which("lua5.1")
CLI = f"{sys.executable} -m t2vz_edit"

PY36_SCRIPT = r'''
import doctest, os, sys
sys.path[:0] = [os.path.join(ROOT, "plugins"), os.path.join(ROOT, "plugins", "resolve"), TESTS]
import t2vz_protocol, t2vz_ranges, t2vz_resolve, t2vz_restyle_clip
from resolve_fake import FakeResolve, FakeTimeline, Recorder, add_clip
for module in (t2vz_protocol, t2vz_ranges, t2vz_resolve):
    assert doctest.testmod(module).failed == 0, module
timeline = FakeTimeline(Recorder(), "Edit", 24, 86400)
add_clip(timeline, 1, CLIP, "25.000", 48, 86400, left_offset=0, duration=24)
timeline.playhead = 86410
os.environ.update(T2VZ_EDIT_CLI=CLI, T2VZ_PRESET="no-such-look")
assert t2vz_restyle_clip.main(FakeResolve(timeline, lambda path: None)) is False
assert "AddTrack" not in timeline.rec.methods() and len(timeline.tracks) == 1
# the progress window (UIManager fake): the render placed as a take, then as a new track
from resolve_ui_fake import FakeBmd, FakeFusion
def close_when_done(dispatcher):
    window = dispatcher.windows[0]
    if window.GetItems()["Cancel"].Text == "Close":
        dispatcher.click(window, "Cancel")
probe = lambda path: ("25.000", 48) if os.path.exists(path) else None
for place, expected in (("take", "as take 2 of"), ("track", "on V2")):
    timeline = FakeTimeline(Recorder(), "Edit", 24, 86400)
    add_clip(timeline, 1, CLIP, "25.000", 48, 86400, left_offset=0, duration=24)
    timeline.playhead = 86410
    os.environ.update(T2VZ_PLACE=place, T2VZ_RENDER_FOLDER=RENDERS)
    bmd = FakeBmd(user=close_when_done, max_sec=120)
    assert t2vz_restyle_clip.main(FakeResolve(timeline, probe), FakeFusion(), bmd, renderer="trim", cli=CLI) is True
    status = bmd.dispatchers[0].windows[0].GetItems()["Status"].Text
    assert expected in status, status
    assert max(bmd.dispatchers[0].handler_sec) < 0.5
print("py36 ok", sys.version_info[:2])
'''


@pytest.mark.skipif(PY36 is None, reason="python3.6 not found (set T2VZ_PY36); host code checked under 3.11 only")
def test_host_code_runs_under_python_36(tmp_path):
    from t2vz_edit.media.synth import make_clip

    clip = make_clip(tmp_path / "c.mov", frames=48, width=64, height=48, rate=Fraction(25))
    subprocess.run([str(PY36), "-m", "py_compile", *HOST_FILES], check=True)
    header = (f"ROOT, TESTS, CLIP, CLI, RENDERS = {str(ROOT)!r}, {str(Path(__file__).parent)!r}, {str(clip)!r}, "
              f"{CLI!r}, {str(tmp_path / 'renders')!r}\n")
    out = subprocess.run([str(PY36), "-c", header + PY36_SCRIPT], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "py36 ok (3, 6)" in out.stdout, out.stdout + out.stderr
    assert "t2vz-edit failed: unknown preset" in out.stdout


def _lua(tmp_path, otio_text, **env) -> str:
    script = ROOT / "plugins" / "resolve" / "t2vz_restyle_timeline.lua"
    full = {**os.environ, "T2VZ_EDIT_CLI": CLI, "T2VZ_RENDER_FOLDER": str(tmp_path / "rt"), "FAKE_OTIO_TEXT": otio_text,
            **env}
    return subprocess.run([LUA, str(Path(__file__).parent / "lua" / "resolve_fake.lua"), str(script)],
                          capture_output=True, text=True, timeout=600, env=full).stdout


def _one_clip_otio(tmp_path) -> str:
    from t2vz_edit.media.synth import make_clip

    clip = make_clip(tmp_path / "A001.mov", frames=24, width=64, height=48, rate=Fraction(24))
    timeline = otio.schema.Timeline(name="Edit 1")
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    track.append(otio.schema.Clip(name="A001", media_reference=otio.schema.ExternalReference(target_url=str(clip)),
                                  source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(4, 24),
                                                                       otio.opentime.RationalTime(12, 24))))
    timeline.tracks.append(track)
    return otio.adapters.write_to_string(timeline)


@pytest.mark.skipif(LUA is None, reason="lua5.1 not installed (apt install lua5.1); the Lua entry script is untested")
def test_lua_entry_script_restyles_the_timeline_through_otio(tmp_path):
    out = _lua(tmp_path, _one_clip_otio(tmp_path), T2VZ_SELECT="all", T2VZ_EXTRA="--renderer trim")
    (imported,) = [line for line in out.splitlines() if line.startswith("CALL ImportTimelineFromFile")]
    path = imported.split()[2]
    assert imported.endswith("Edit 1 (t2vz)") and "CALL SetCurrentTimeline Edit 1 (t2vz)" in out, out
    assert len(otio.adapters.read_from_file(path).video_tracks()) == 2


@pytest.mark.skipif(LUA is None, reason="lua5.1 not installed (apt install lua5.1); the Lua entry script is untested")
def test_lua_entry_script_shows_the_error_and_imports_nothing(tmp_path):
    out = _lua(tmp_path, "")  # an empty export: the CLI refuses it
    assert "t2vz-edit failed: " in out and "cannot read as otio" in out, out
    assert "ImportTimelineFromFile" not in out


LUA_HANDLER_LIMIT_SEC = 0.5  # a handler that waited for the CLI (seconds to minutes) would show here


def _ui(out: str) -> dict:
    lines = out.splitlines()
    ui = {"status": [l[len("UI Status "):] for l in lines if l.startswith("UI Status ")],
          "bar": [int(l.split()[-1]) for l in lines if l.startswith("UI Bar ")],
          "button": next(l.split(" ", 2)[2] for l in lines if l.startswith("UI Button ")),
          "calls": [l[len("CALL "):] for l in lines if l.startswith("CALL ")]}
    (handlers,) = [l.split() for l in lines if l.startswith("UI handlers ")]
    ui["handlers"], ui["max_sec"] = int(handlers[2]), float(handlers[4])
    assert "UI visible false" in out and "UI timer t2vzPoll active false" in out, out  # hidden, timer stopped
    return ui


@pytest.mark.skipif(LUA is None, reason="lua5.1 not installed (apt install lua5.1); the Lua entry script is untested")
def test_lua_window_opens_the_restyled_timeline_and_never_blocks(tmp_path):
    out = _lua(tmp_path, _one_clip_otio(tmp_path), FAKE_UI="1", T2VZ_SELECT="all", T2VZ_EXTRA="--renderer trim")
    ui = _ui(out)
    assert ui["status"][-1] == "opened the restyled timeline Edit 1 (t2vz)", out
    assert any(t.startswith("clips ") for t in ui["status"][:-1]), out  # progress shown before the end
    assert ui["bar"][-1] == 1000 and ui["button"] == "Close", out
    (imported,) = [c for c in ui["calls"] if c.startswith("ImportTimelineFromFile")]
    assert imported.endswith("Edit 1 (t2vz)") and "SetCurrentTimeline Edit 1 (t2vz)" in ui["calls"]
    assert len(otio.adapters.read_from_file(imported.split()[1]).video_tracks()) == 2
    assert ui["handlers"] >= 3 and ui["max_sec"] < LUA_HANDLER_LIMIT_SEC, ui  # ticks ran while the CLI worked
    assert "t2vz-edit: opened the restyled timeline Edit 1 (t2vz)" in out


@pytest.mark.skipif(LUA is None, reason="lua5.1 not installed (apt install lua5.1); the Lua entry script is untested")
def test_lua_window_shows_progress_and_cancel_leaves_nothing(tmp_path, tiny_models):
    extra = f"--model {tiny_models['instruct']} --steps 12 --size 64 --seed 0"
    out = _lua(tmp_path, _one_clip_otio(tmp_path), FAKE_UI="1", FAKE_USER="cancel:denoise", T2VZ_SELECT="all",
               T2VZ_INSTRUCTION="make it an oil painting", T2VZ_EXTRA=extra)
    ui = _ui(out)
    assert "cancelled true" in out, out
    # the window shows the newest event at each 200 ms tick, so a short stage (load, with warm tiny models)
    # may fall between two ticks: progress is shown when several stages appear, denoise among them
    stages = {t.split()[0] for t in ui["status"][:-2]}
    assert len(stages) >= 2 and "denoise" in stages, out
    assert ui["status"][-2:] == ["cancelling: waiting for t2vz-edit to stop",
                                 "cancelled; nothing was written and the timeline is unchanged"], out
    assert any(0 < value < 1000 for value in ui["bar"]), ui["bar"]
    assert ui["max_sec"] < LUA_HANDLER_LIMIT_SEC, ui  # the Cancel click returned before the CLI stopped
    assert not any(c.startswith(("ImportTimelineFromFile", "SetCurrentTimeline")) for c in ui["calls"]), out
    assert sorted(p.name for p in (tmp_path / "rt").iterdir()) == []  # no render, no partial, no exported timeline
    assert "t2vz-edit cancelled; nothing was written" in out


@pytest.mark.skipif(LUA is None, reason="lua5.1 not installed (apt install lua5.1); the Lua entry script is untested")
def test_lua_window_shows_the_error_and_imports_nothing(tmp_path):
    out = _lua(tmp_path, "", FAKE_UI="1")  # an empty export: the CLI refuses it
    ui = _ui(out)
    assert ui["status"][-1].startswith("failed: ") and "cannot read as otio" in ui["status"][-1], out
    assert ui["button"] == "Close" and ui["max_sec"] < LUA_HANDLER_LIMIT_SEC
    assert not any(c.startswith("ImportTimelineFromFile") for c in ui["calls"]), out
    assert "t2vz-edit failed: " in out
