"""The plugin runner drives the real CLI and follows its JSON-lines progress."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "plugins"))
from t2vz_action import ActionFailed, restyle_clip  # noqa: E402


def test_restyle_clip_action_reports_progress_and_returns_the_render(clip, tiny_models, monkeypatch):
    monkeypatch.setenv("T2VZ_EDIT_CLI", f"{sys.executable} -m t2vz_edit")
    seen = []
    out = restyle_clip(str(clip), instruction="make it a watercolor painting", frame_range="0+3",
                       extra=["--model", str(tiny_models["instruct"]), "--steps", "1", "--size", "64"],
                       on_progress=lambda s, d, t: seen.append((s, d, t)))
    assert Path(out).exists() and Path(out + ".json").exists()
    assert seen and seen[-1][1] <= seen[-1][2]


def test_action_failure_carries_the_one_line_message(clip, monkeypatch):
    monkeypatch.setenv("T2VZ_EDIT_CLI", f"{sys.executable} -m t2vz_edit")
    with pytest.raises(ActionFailed) as err:
        restyle_clip(str(clip), preset="no-such-look")
    assert err.value.exit_code == 2 and "unknown preset" in str(err.value)
