"""The Resolve clip action behind its progress window, against FAKES of Resolve's API and of Fusion's UIManager.

Resolve cannot be installed here: tests/plugins/resolve_fake.py (scripting API) and
tests/plugins/resolve_ui_fake.py (UIManager: windows, buttons, a Timer whose Timeout events
RunLoop delivers) follow Blackmagic's documentation. A scripted "user" clicks between events.
The CLI is real. What matters: no event handler waits for the render (that froze Resolve),
progress is shown, Cancel leaves no file and no timeline change, success places the clip.
"""
from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import pytest

from resolve_fake import FakeResolve, FakeTimeline, Recorder, add_clip, probe_media as _probe
from resolve_ui_fake import FakeBmd, FakeFusion

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "plugins" / "resolve"))
sys.path.insert(0, str(ROOT / "plugins"))
import t2vz_restyle_clip  # noqa: E402

CLI = f"{sys.executable} -m t2vz_edit"
START = 86400
HANDLER_LIMIT_SEC = 0.5  # a handler that waited for the CLI (seconds to minutes) would show here
TIMELINE_CALLS = ("ImportMedia", "AddTrack", "AppendToTimeline", "AddMarker", "AddTake", "SelectTakeByIndex")


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    from t2vz_edit.media.synth import make_clip

    path = tmp_path_factory.mktemp("resolve-window") / "C001.mov"
    make_clip(path, frames=48, width=96, height=64, rate=Fraction(24), timecode="10:00:00:00")  # as _export_otio reads it
    return path


def _edit(clip: Path):
    timeline = FakeTimeline(Recorder(), "Edit 1", 24, START)
    item = add_clip(timeline, 1, str(clip), "24.000", 48, START + 24, left_offset=8, duration=24)
    timeline.playhead = START + 30
    return timeline, item, FakeResolve(timeline, _probe)


class User:
    """Clicks Cancel once the status shows ``cancel_at`` (then closes the window at once, mid-cancel),
    and Close once the run has ended."""

    def __init__(self, cancel_at=None):
        self.cancel_at, self.cancelled, self.window = cancel_at, False, None

    def __call__(self, dispatcher):
        self.window = window = dispatcher.windows[0]
        items = window.GetItems()
        if self.cancel_at and not self.cancelled and items["Status"].Text.startswith(self.cancel_at):
            self.cancelled = dispatcher.click(window, "Cancel")
            dispatcher.close(window)  # closing while it cancels: the loop must wait for the CLI to stop
        elif items["Cancel"].Text == "Close":
            dispatcher.click(window, "Cancel")


def _run(monkeypatch, tmp_path, resolve, user, renderer="restyle", **env):
    monkeypatch.setenv("T2VZ_RENDER_FOLDER", str(tmp_path / "renders"))
    monkeypatch.setenv("T2VZ_HANDLES", "4")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    bmd = FakeBmd(user=user, max_sec=240)
    ok = t2vz_restyle_clip.main(resolve, FakeFusion(), bmd, renderer=renderer, cli=CLI)
    (dispatcher,) = bmd.dispatchers
    return ok, dispatcher, dispatcher.windows[0].GetItems()


def test_window_places_the_render_and_never_blocks(clip, tmp_path, monkeypatch, capsys):
    timeline, item, resolve = _edit(clip)
    user = User()
    ok, dispatcher, items = _run(monkeypatch, tmp_path, resolve, user, renderer="trim")
    assert ok is True
    render = tmp_path / "renders" / "C001.trim.f4-36.mov"
    assert items["Status"].Text == f"placed {render.name} on V2" and items["Bar"].Value == 1000
    assert items["Status"].texts()[0] == "starting"  # ticks ran while the CLI was starting
    (placed,) = timeline.tracks[1]
    assert (placed.start, placed.duration) == (item.start, item.duration) and _probe(str(render)) == ("24.000", 32)
    assert len(dispatcher.handler_sec) >= 3 and max(dispatcher.handler_sec) < HANDLER_LIMIT_SEC
    assert not user.window.visible and f"t2vz-edit: placed {render.name} on V2" in capsys.readouterr().out


def test_progress_is_shown_and_cancel_leaves_nothing(clip, tmp_path, monkeypatch, tiny_models):
    timeline, item, resolve = _edit(clip)
    user = User(cancel_at="denoise")
    extra = f"--model {tiny_models['instruct']} --steps 12 --size 64 --seed 0"
    ok, dispatcher, items = _run(monkeypatch, tmp_path, resolve, user, T2VZ_INSTRUCTION="make it an oil painting",
                                 T2VZ_EXTRA_ARGS=extra)
    assert ok is False and user.cancelled
    texts = items["Status"].texts()
    stages = {t.split()[0] for t in texts[:-2]}  # newest event per timer tick: a short load stage may fall between
    assert len(stages) >= 2 and "denoise" in stages, texts
    assert texts[-2:] == ["cancelling: waiting for t2vz-edit to stop",
                          "cancelled; nothing was written and the timeline is unchanged"]
    assert any(0 < value < 1000 for key, value in items["Bar"].history if key == "Value")
    assert max(dispatcher.handler_sec) < HANDLER_LIMIT_SEC  # the Cancel click returned before the CLI stopped
    assert not any(call in timeline.rec.methods() for call in TIMELINE_CALLS)
    assert len(timeline.tracks) == 1 and timeline.markers == {} and item.takes == []
    renders = tmp_path / "renders"
    assert not renders.exists() or sorted(p.name for p in renders.iterdir()) == []


def test_failed_render_is_shown_in_the_window_and_adds_nothing(clip, tmp_path, monkeypatch):
    timeline, item, resolve = _edit(clip)
    ok, dispatcher, items = _run(monkeypatch, tmp_path, resolve, User(), T2VZ_PRESET="no-such-look",
                                 T2VZ_PLACE="take")
    assert ok is False
    assert items["Status"].Text.startswith("failed: ") and "unknown preset" in items["Status"].Text
    assert items["Cancel"].Text == "Close" and max(dispatcher.handler_sec) < HANDLER_LIMIT_SEC
    assert not any(call in timeline.rec.methods() for call in TIMELINE_CALLS)
    assert len(timeline.tracks) == 1 and item.takes == []


def test_window_adds_the_render_as_a_take(clip, tmp_path, monkeypatch):
    timeline, item, resolve = _edit(clip)
    ok, dispatcher, items = _run(monkeypatch, tmp_path, resolve, User(), renderer="trim", T2VZ_PLACE="take")
    assert ok is True and items["Status"].Text == "added C001.trim.f4-36.mov as take 2 of C001.mov"
    assert [(t["startFrame"], t["endFrame"]) for t in item.takes] == [(8, 31), (4, 27)] and item.selected_take == 2
    assert len(timeline.tracks) == 1


def test_whole_timeline_action_runs_behind_the_window(clip, tmp_path, monkeypatch):
    import opentimelineio as otio
    import t2vz_restyle_timeline
    from test_resolve_fake import _export_otio

    timeline, item, resolve = _edit(clip)
    timeline.exporter = _export_otio
    resolve.project.media_pool.importer = lambda path, options: FakeTimeline(
        Recorder(), options["timelineName"], 24) if otio.adapters.read_from_file(path) else None
    monkeypatch.setenv("T2VZ_SELECT", "all")
    monkeypatch.setenv("T2VZ_PRESET", "watercolor")
    monkeypatch.setenv("T2VZ_EXTRA_ARGS", "--renderer trim")
    monkeypatch.setenv("T2VZ_RENDER_FOLDER", str(tmp_path / "rt"))
    bmd = FakeBmd(user=User(), max_sec=240)
    assert t2vz_restyle_timeline.main(resolve, FakeFusion(), bmd, cli=CLI) is True
    (dispatcher,) = bmd.dispatchers
    items = dispatcher.windows[0].GetItems()
    assert items["Status"].Text == "opened the restyled timeline Edit 1 (t2vz)"
    assert resolve.project.timeline.name == "Edit 1 (t2vz)" and max(dispatcher.handler_sec) < HANDLER_LIMIT_SEC
