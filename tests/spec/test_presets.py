from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from t2vz_edit.conditions.registry import available_kinds
from t2vz_edit.spec.edit_spec import EditSpec
from t2vz_edit.spec.errors import PresetError
from t2vz_edit.spec.presets import list_presets, load_preset, preset_files, shipped_presets_dir

LOOKS = ("watercolor", "anime", "claymation", "film-noir", "pencil-sketch", "oil-painting", "pixel-art", "cyberpunk")


@pytest.fixture
def user_dir(tmp_path, monkeypatch):
    folder = tmp_path / "user-presets"
    folder.mkdir()
    monkeypatch.setenv("T2VZ_PRESETS", str(folder))
    return folder


def test_every_shipped_look_loads_and_validates(user_dir):
    names = {m.name for m in list_presets()}
    assert set(LOOKS) <= names
    for name in LOOKS:
        spec, meta = load_preset(name)
        assert isinstance(spec, EditSpec)
        assert meta.source == "shipped" and meta.description
        assert meta.path.parent == shipped_presets_dir()
        # each names a mode, what to do, a negative prompt, a model, steps, guidance, size, chunking
        assert (spec.instruction if spec.mode == "instruct" else spec.prompt)
        assert spec.negative_prompt and spec.model and spec.steps > 0 and spec.guidance_scale > 0
        assert spec.size % 8 == 0 and spec.chunk_size >= 1
        assert all(c.kind in available_kinds() for c in spec.controls)
        assert (spec.mode == "controlnet") == bool(spec.controls)


def test_spec_round_trips_through_the_sidecar_form(user_dir):
    spec, _ = load_preset("cyberpunk")
    assert EditSpec.from_dict(spec.to_dict()) == spec
    assert dict(spec.controls[1].params) == {"low": 100, "high": 200}


def test_user_folder_overrides_shipped_by_name(user_dir):
    (user_dir / "watercolor.toml").write_text(
        'mode = "instruct"\ninstruction = "make it a pastel watercolor"\nsteps = 12\n'
        '[preset]\ndescription = "my watercolor"\n')
    (user_dir / "mine.toml").write_text('mode = "controlnet"\nprompt = "p"\n[[controls]]\nkind = "pose"\n'
                                        '[preset]\ndescription = "extra"\n')
    spec, meta = load_preset("watercolor")
    assert (spec.instruction, spec.steps, meta.source) == ("make it a pastel watercolor", 12, "user")
    assert meta.path == user_dir / "watercolor.toml"
    assert preset_files()["mine"][1] == "user"
    assert load_preset("mine")[0].controls[0].kind == "pose"


@pytest.mark.parametrize("body, key, allowed", [
    ('mode = "paint"\ninstruction = "x"', "mode", "text2video, instruct, controlnet"),
    ('mode = "instruct"\ninstruction = "x"\nsampler = "ddim"', "sampler", "allowed: mode, prompt"),
    ('mode = "instruct"\ninstruction = "x"\nsteps = "many"', "steps", "must be a number"),
])
def test_invalid_preset_names_file_key_and_allowed_values(user_dir, body, key, allowed):
    path = user_dir / "broken.toml"
    path.write_text(body + '\n[preset]\ndescription = "d"\n')
    with pytest.raises(PresetError) as err:
        load_preset("broken")
    message = str(err.value)
    assert message.startswith(str(path)) and key in message and allowed in message
    assert "\n" not in message


def test_bad_meta_table_and_bad_toml(user_dir):
    (user_dir / "nometa.toml").write_text('mode = "instruct"\ninstruction = "x"\n')
    with pytest.raises(PresetError, match=r"nometa.toml: \[preset\] description"):
        load_preset("nometa")
    (user_dir / "syntax.toml").write_text('mode = "instruct\n')
    with pytest.raises(PresetError, match="not valid TOML"):
        load_preset("syntax")


def test_unknown_preset_lists_the_available_ones(user_dir):
    with pytest.raises(PresetError, match="unknown preset 'vaporwave'; available: anime, claymation"):
        load_preset("vaporwave")


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "t2vz_edit", *args], capture_output=True, text=True, env=env)


def test_cli_list_and_show(user_dir):
    import json
    import os

    env = dict(os.environ)
    r = run_cli("presets", "list", "--json", env=env)
    assert r.returncode == 0, r.stderr
    assert set(LOOKS) <= {row["name"] for row in json.loads(r.stdout)}
    r = run_cli("presets", "show", "pixel-art", "--json", env=env)
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["spec"]["controls"][0] == {"kind": "canny", "model": "", "scale": 1.0,
                                            "params": {"high": 250, "low": 150}}
    r = run_cli("presets", "show", "film-noir", env=env)
    assert r.returncode == 0 and "film-noir (shipped" in r.stdout and 'mode = "instruct"' in r.stdout


def test_cli_unknown_preset_is_one_line_exit_2(user_dir):
    r = run_cli("presets", "show", "vaporwave")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "unknown preset 'vaporwave'" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


@pytest.mark.parametrize("body, key, allowed", [
    ('mode = "controlnet"\nprompt = "x"\n[[controls]]\nkind = "scribble"', "control kind", "canny, depth, pose"),
    ('mode = "instruct"\ninstruction = "x"\nscheduler = "heun"', "scheduler", "ddim, dpmpp_2m, euler, euler_a"),
])
def test_preset_names_are_checked_against_the_registries(user_dir, body, key, allowed):
    from t2vz_edit.pipeline.spec_builder import build_spec

    path = user_dir / "broken.toml"
    path.write_text(body + '\n[preset]\ndescription = "d"\n')
    with pytest.raises(PresetError) as err:
        build_spec("broken")
    message = str(err.value)
    assert str(path) in message and key in message and allowed in message
    assert "\n" not in message


_MODE_WORDS = {"controlnet": "(ControlNet", "instruct": "(Video Instruct-Pix2Pix"}
_CONTROL_WORDS = {"softedge": "soft edge", "depth": "depth", "canny": "canny", "pose": "pose"}
_SAMPLER_WORDS = {"ddim": "DDIM", "euler_a": "Euler ancestral", "euler": "Euler,", "dpmpp_2m": "DPM++",
                  "unipc": "UniPC", "pndm": "PNDM"}


@pytest.mark.parametrize("name", LOOKS)
def test_every_shipped_preset_does_what_its_description_says(user_dir, name):
    """Mode, controls, sampler, smoothing and motion dynamics named in the description are exactly
    what the resolved spec runs: no hidden switches (noise = "shared" once turned motion on)."""
    from t2vz_edit.engine.run import uses_motion_dynamics

    spec, meta = load_preset(name)
    said = meta.description.split("(", 1)[1]  # the technical part, in parentheses
    assert _MODE_WORDS[spec.mode] in meta.description
    named = {kind for kind, word in _CONTROL_WORDS.items() if word in said}
    assert named == {c.kind for c in spec.controls}, (named, spec.controls)
    assert [s for s, word in _SAMPLER_WORDS.items() if word in said] == [spec.resolved_scheduler]
    assert ("background smoothing" in said) == spec.smooth_background
    assert ("motion dynamics" in said) == uses_motion_dynamics(spec)
    assert not uses_motion_dynamics(spec)  # no shipped restyle look moves its latent


def test_motion_dynamics_in_a_restyle_only_when_the_spec_says_so():
    from t2vz_edit.engine.run import uses_motion_dynamics
    from t2vz_edit.spec.edit_spec import ControlSpec
    from t2vz_edit.spec.errors import UsageError

    base = EditSpec(mode="controlnet", prompt="p", controls=(ControlSpec("canny"),))
    assert not uses_motion_dynamics(base.with_overrides(noise="shared"))
    assert uses_motion_dynamics(base.with_overrides(motion_dynamics=True))
    assert base.with_overrides(motion_dynamics=True).to_dict()["motion_dynamics"] is True  # in the sidecar
    with pytest.raises(UsageError, match="motion_dynamics"):
        base.with_overrides(motion_dynamics=True, noise="per_frame")
