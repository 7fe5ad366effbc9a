"""Each extension kind has one registry, fed by entry points for built-ins and plugins alike."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import t2vz_edit
from t2vz_edit.pipeline.restyle import restyle
from t2vz_edit.pipeline.spec_builder import build_spec
from t2vz_edit.spec.errors import UsageError

PLUGIN = '''
import numpy as np
from t2vz_edit.conditions.base import Annotator

class GradientAnnotator(Annotator):
    """A plugin kind: the luminance gradient magnitude as a grey map."""
    kind = "gradient"

    def annotate(self, frames):
        grey = frames.astype(np.float32).mean(axis=-1)
        gy, gx = np.gradient(grey, axis=(1, 2))
        mag = np.clip(np.hypot(gx, gy) * 4, 0, 255).astype(np.uint8)
        return np.repeat(mag[..., None], 3, axis=-1)
'''


@pytest.fixture
def gradient_plugin(tmp_path, monkeypatch):
    """An installed distribution (dist-info with entry_points.txt) declaring a new control kind."""
    site = tmp_path / "site"
    (site / "t2vz_gradient").mkdir(parents=True)
    (site / "t2vz_gradient" / "__init__.py").write_text(PLUGIN)
    info = site / "t2vz_gradient-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: t2vz-gradient\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[t2vz_edit.annotators]\ngradient = t2vz_gradient:GradientAnnotator\n")
    monkeypatch.syspath_prepend(str(site))
    return "gradient"


def test_a_plugin_control_kind_is_accepted_by_restyle_end_to_end(gradient_plugin, clip, tiny_models):
    control = {"kind": gradient_plugin, "model": str(tiny_models["controlnet"]), "scale": 0.8}
    result = restyle(clip, prompt="a bronze statue", controls=[control], model=str(tiny_models["sd"]),
                     frame_range="0+3", steps=2, size=64, score=False)
    assert result.frame_count == 3 and result.output.exists()
    assert [c.kind for c in result.spec.controls] == ["gradient"]


def test_names_are_checked_against_the_registries_before_anything_loads(clip):
    with pytest.raises(UsageError, match="unknown control kind 'scribble'.*canny"):
        build_spec(prompt="x", controls="scribble")
    with pytest.raises(UsageError, match="scheduler 'heun' is not known; use --scheduler with one of ddim"):
        build_spec(instruction="x", scheduler="heun")
    with pytest.raises(UsageError, match="mask provider 'sam'"):
        build_spec(instruction="x", smooth_background=True, mask_provider="sam")


def test_no_extension_kind_is_listed_twice():
    source = {p: p.read_text(encoding="utf-8") for p in Path(t2vz_edit.__file__).parent.rglob("*.py")}

    def defined(pattern):
        return sorted(p.name for p, text in source.items() if re.search(pattern, text, re.M))

    assert defined(r"^DEFAULT_DEPTH_MODEL\s*=") == ["edit_spec.py"]
    assert defined(r"^def make_scheduler\(") == ["sampler.py"]
    assert defined(r"DPMSolverMultistepScheduler") == ["sampler.py"]   # the scheduler table, once
    assert defined(r"^(CONTROL_KINDS|SCHEDULERS|SCHEDULER_CLASSES|BUILTIN)\s*[:=]") == ["sampler.py"]
