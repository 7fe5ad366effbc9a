"""Each extension kind has one registry, fed by entry points for built-ins and plugins alike."""
from __future__ import annotations

import json
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


HOUSE_PLUGIN = '''
from pathlib import Path

from t2vz_edit.engine.sampler import SchedulerEntry

MADE = []  # names of the diffusers classes this plugin's scheduler entry built


class TrailingDDIM(SchedulerEntry):
    """DDIM with "trailing" timestep spacing (Lin et al. 2024), counted when built."""

    def make(self, base_config):
        scheduler = super().make(base_config)
        MADE.append(type(scheduler).__name__)
        return scheduler


DDIM_TRAILING = TrailingDDIM("DDIMScheduler", {"timestep_spacing": "trailing"})


def negative_renderer(request, progress=None):
    """The range's frames inverted (255 - v), through the media layer with its sidecar."""
    from t2vz_edit.media.decode import iter_chunks
    from t2vz_edit.media.encode import open_render
    from t2vz_edit.media.probe import probe
    from t2vz_edit.media.ranges import FrameRange
    from t2vz_edit.pipeline.render_job import RenderResult

    info = probe(request.media_path)
    frames = FrameRange(request.start_frame, request.stop_frame)
    Path(request.out_path).parent.mkdir(parents=True, exist_ok=True)
    with open_render(request.out_path, info, frames, codec=request.codec, crf=0, overwrite=True,
                     provenance={**request.provenance, "renderer": "negative"}, progress=progress) as render:
        for chunk in iter_chunks(info, frames, chunk_frames=8):
            render.write(255 - chunk.frames)
    return RenderResult(Path(request.out_path), frames.count)


def negative_factory():
    return negative_renderer
'''


def _install(site: Path, package: str, source: str, entry_points: str) -> None:
    """A distribution as pip leaves it: the package plus a dist-info with METADATA and entry_points.txt."""
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text(source)
    info = site / f"{package}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package.replace('_', '-')}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(entry_points)


@pytest.fixture
def house_plugin(tmp_path, monkeypatch):
    """An installed plugin declaring a scheduler and a renderer through entry points."""
    import sys

    site = tmp_path / "site"
    _install(site, "t2vz_house_plugin", HOUSE_PLUGIN,
             "[t2vz_edit.schedulers]\nddim_trailing = t2vz_house_plugin:DDIM_TRAILING\n\n"
             "[t2vz_edit.renderers]\nnegative = t2vz_house_plugin:negative_factory\n")
    monkeypatch.syspath_prepend(str(site))
    yield
    sys.modules.pop("t2vz_house_plugin", None)


def _cli(*args) -> int:
    from t2vz_edit.cli.app import main

    with pytest.raises(SystemExit) as exited:
        main([str(a) for a in args])
    return exited.value.code or 0


def _frames(path):
    import numpy as np

    from t2vz_edit.media.decode import iter_chunks
    from t2vz_edit.media.probe import probe
    from t2vz_edit.media.ranges import FrameRange

    info = probe(path)
    return np.concatenate([c.frames for c in iter_chunks(info, FrameRange(0, info.frame_count))])


def test_a_plugin_scheduler_is_used_by_restyle_through_the_cli(house_plugin, clip, tiny_models, tmp_path):
    from t2vz_edit.engine.sampler import SCHEDULERS

    assert "ddim_trailing" in SCHEDULERS.names()
    out = tmp_path / "trailing.mov"
    code = _cli("restyle", clip, "-i", "make it snowy", "--scheduler", "ddim_trailing", "--model", tiny_models["instruct"],
                "--range", "0+3", "--steps", "2", "--size", "64", "-o", out, "--progress", "none")
    import t2vz_house_plugin

    assert code == 0 and out.exists()
    assert set(t2vz_house_plugin.MADE) == {"DDIMScheduler"}  # built by the entry the plugin declared
    assert json.loads(out.with_name(out.name + ".json").read_text())["provenance"]["spec"]["scheduler"] == "ddim_trailing"


def test_a_plugin_renderer_is_used_by_batch_run_through_the_cli(house_plugin, clip, tmp_path):
    import numpy as np

    from t2vz_edit.pipeline.renderers import RENDERERS

    assert "negative" in RENDERERS.names()
    (tmp_path / "footage").mkdir()
    clip.rename(tmp_path / "footage" / clip.name)
    (tmp_path / "batch.toml").write_text('version = 1\nroot = "footage"\noutput = "out"\n[defaults]\n'
                                         'instruction = "x"\n[[job]]\nglob = "*.mov"\n')
    code = _cli("batch", "run", tmp_path / "batch.toml", "--renderer", "negative", "--progress", "none")
    assert code == 0
    rendered = [p for p in (tmp_path / "out").rglob("*.mov") if ".t2vz-batch" not in p.parts]
    assert len(rendered) == 1
    assert json.loads(rendered[0].with_name(rendered[0].name + ".json").read_text())["provenance"]["renderer"] == "negative"
    inverted = 255 - _frames(tmp_path / "footage" / clip.name).astype(np.int16)
    assert np.abs(_frames(rendered[0]).astype(np.int16) - inverted).mean() < 4  # trim would be ~100 away


def test_an_unknown_renderer_names_the_plugins_too(house_plugin, tmp_path, capsys):
    (tmp_path / "batch.toml").write_text('version = 1\n[[job]]\nglob = "*.mov"\n')
    assert _cli("batch", "plan", tmp_path / "batch.toml", "--renderer", "sepia") == 2
    assert "renderer 'sepia' is not known; use --renderer with one of: negative, restyle, trim" in capsys.readouterr().err


def test_a_plugin_control_kind_is_accepted_by_restyle_end_to_end(gradient_plugin, clip, tiny_models):
    control = {"kind": gradient_plugin, "model": str(tiny_models["controlnet"]), "scale": 0.8}
    result = restyle(clip, prompt="a bronze statue", controls=[control], model=str(tiny_models["sd"]),
                     frame_range="0+3", steps=2, size=64, score=False)
    assert result.frame_count == 3 and result.output.exists()
    assert [c.kind for c in result.spec.controls] == ["gradient"]


def test_names_are_checked_against_the_registries_before_anything_loads(clip):
    with pytest.raises(UsageError, match="control kind 'scribble' is not known; use --control with one of: canny"):
        build_spec(prompt="x", controls="scribble")
    with pytest.raises(UsageError, match="scheduler 'heun' is not known; use --scheduler with one of: ddim"):
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


def test_each_extension_kind_has_exactly_one_registry_fed_by_its_entry_point_group():
    """One Registry per entry-point group t2vz-edit declares, built in the layer that implements the kind."""
    import ast
    import tomllib

    declared = set(tomllib.loads((Path(t2vz_edit.__file__).parents[1] / "pyproject.toml").read_text())
                   ["project"]["entry-points"]) - {"opentimelineio.plugins"}
    built = []
    for path in Path(t2vz_edit.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {n.targets[0].id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                     and isinstance(n.targets[0], ast.Name) and isinstance(n.value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Registry":
                group = node.args[0]
                built.append((group.value if isinstance(group, ast.Constant) else constants[group.id],
                              path.parent.name))
    assert sorted(g for g, _ in built) == sorted(declared)  # each group once, none without a registry
    assert dict(built) == {"t2vz_edit.annotators": "conditions", "t2vz_edit.mask_providers": "engine",
                           "t2vz_edit.schedulers": "engine", "t2vz_edit.renderers": "pipeline",
                           "t2vz_edit.runners": "batch"}


def test_stale_install_metadata_falls_back_to_the_checkouts_declaration_and_says_so(monkeypatch, caplog):
    """An editable install made before a group existed still finds the built-ins its pyproject.toml declares."""
    import t2vz_edit.spec.registry as registry
    from t2vz_edit.engine.sampler import SCHEDULERS

    real = registry.entry_points
    monkeypatch.setattr(registry, "_warned", set())
    monkeypatch.setattr(registry, "entry_points", lambda group: [ep for ep in real(group=group)
                                                                 if ep.dist is None or ep.dist.name != "t2vz-edit"])
    assert {"ddim", "euler_a", "lcm"} <= set(SCHEDULERS.names())
    assert SCHEDULERS.load("dpmpp_2m").settings["algorithm_type"] == "dpmsolver++"
    assert caplog.text.count("reinstall") == 1  # said once, not at every look-up
    monkeypatch.setattr(registry, "CHECKOUT_PYPROJECT", Path("/nonexistent/pyproject.toml"))
    registry._declared_in_checkout.cache_clear()
    monkeypatch.setattr(registry, "_declared_in_checkout", lambda group: ())
    with pytest.raises(t2vz_edit.spec.errors.T2VZError, match="installed metadata of t2vz-edit predates its source"):
        SCHEDULERS.names()
