"""Rules that depend only on the spec fail before any model loads or any frame is annotated."""
from __future__ import annotations

import pytest

from t2vz_edit.cli.app import main
from t2vz_edit.pipeline.restyle import restyle
from t2vz_edit.spec.errors import UsageError


@pytest.fixture
def recorded(monkeypatch):
    calls = []

    def record(name):
        def call(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was reached")
        return call

    monkeypatch.setattr("t2vz_edit.engine.models.loading.load_parts", record("load_parts"))
    monkeypatch.setattr("t2vz_edit.pipeline.restyle.compute_conditions", record("annotate"))
    monkeypatch.setattr("t2vz_edit.pipeline.restyle.probe", record("probe"))
    return calls


def test_motion_dynamics_on_a_non_ddim_sampler_fails_before_anything_loads(clip, recorded):
    with pytest.raises(UsageError, match="--scheduler ddim"):
        restyle(clip, prompt="a bronze statue", controls="canny", motion_dynamics=True, scheduler="euler_a", steps=4)
    assert recorded == []


def test_a_schedule_without_a_step_to_warp_after_fails_before_anything_loads(tmp_path, capsys, monkeypatch):
    # t0/t1 themselves are valid for every step count from 2 up (T' is at least one step after T)
    loads = []
    monkeypatch.setattr("t2vz_edit.cli.cmd_generate._parts", lambda spec, *args: loads.append(spec))
    with pytest.raises(SystemExit) as exc:
        main(["generate", "a horse", "--tiny", "--steps", "1", "-o", str(tmp_path / "h.mp4"), "--progress", "none"])
    assert exc.value.code == 2 and "at least 2 denoising steps" in capsys.readouterr().err
    assert loads == [] and not list(tmp_path.iterdir())
