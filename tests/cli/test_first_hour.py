"""Issue 15, the first hour: no silent mode switches, refusals before any model loads, one name
for replacing outputs, a default in every `--help` line, `score` agreeing with the sidecar, and a
bad user preset listed instead of breaking `presets list`."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from cli_helpers import run_main as _main
from t2vz_edit.cli.app import app
from t2vz_edit.engine.store import STORE_ENV


def _cli(*args, env=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "t2vz_edit", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300)


# 3. No silent mode switches ---------------------------------------------------------------------------

def test_a_prompt_without_controls_restyles_the_clip_with_canny_and_says_so(cli_clip, tiny_store, tmp_path):
    out = tmp_path / "statue.mov"
    r = _cli("restyle", cli_clip, "-p", "a bronze statue", "--steps", "2", "--size", "64", "--range", "0+3",
             "-o", out, "--progress", "none", env={STORE_ENV: str(tiny_store)})
    assert r.returncode == 0, r.stderr
    assert "no --control given" in r.stderr and "--control canny" in r.stderr
    provenance = json.loads(Path(f"{out}.json").read_text())["provenance"]
    assert provenance["mode"] == "controlnet" and [c["kind"] for c in provenance["spec"]["controls"]] == ["canny"]
    assert provenance["defaults"]["controls"] == ["canny"] and "no --control given" in provenance["defaults"]["note"]
    import jsonschema
    from importlib import resources

    schema = json.loads(resources.files("t2vz_edit.spec").joinpath("sidecar.schema.json").read_text())
    jsonschema.validate(json.loads(Path(f"{out}.json").read_text()), schema, cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize("extra", [(), ("--preset", "watercolor"), ("--preset", "anime")])
def test_an_instruction_and_a_prompt_together_are_refused_before_anything_loads(cli_clip, loads, capsys, extra):
    code, _, err = _main(capsys, "restyle", cli_clip, "-i", "make it snowy", "-p", "a bronze statue", *extra,
                         "--progress", "none")
    assert code == 2 and "--instruction cannot be combined with --prompt" in err, err
    assert loads == [] and sorted(p.name for p in cli_clip.parent.iterdir()) == ["shot.mov"]


# 4. Fail before the slow part ---------------------------------------------------------------------------

@pytest.mark.parametrize("args, needle", [
    (("-i", "x", "-o", "{tmp}/x.webm"), "needs a .mp4 or .mov or .m4v"),
    (("-i", "x", "--codec", "png", "-o", "{tmp}/x.mov"), "writes a folder of images"),
    (("-i", "x", "--codec", "prores", "-o", "{tmp}/x.mp4"), "needs a .mov"),
    (("-i", "x", "--codec", "dnxhr-hqx", "-o", "{tmp}/x.mxf"), "too small for DNxHR"),
    (("-i", "x", "--audio", "keep"), "--audio 'keep'"),
    (("-i", "x", "--range", "4+10"), "outside"),
    (("-p", "x", "-c", "canny", "--t0", "0.9", "--t1", "0.5"), "need t0 < t1"),
    (("-p", "x", "--t0", "0.9", "--t1", "0.5"), "need t0 < t1"),
])
def test_restyle_refuses_before_any_model_loads(cli_clip, loads, capsys, tmp_path, args, needle):
    args = [a.format(tmp=tmp_path) for a in args]
    code, _, err = _main(capsys, "restyle", cli_clip, *args, "--progress", "none")
    assert code == 2 and needle in err, err
    assert loads == []


@pytest.mark.parametrize("args, needle", [
    (("-o", "{tmp}/x.webm"), ".mp4, .mov, .m4v"),
    (("--t0", "0.9", "--t1", "0.5", "-o", "{tmp}/x.mp4"), "need t0 < t1"),
    (("--lora", "{tmp}/missing.safetensors", "-o", "{tmp}/x.mp4"), "missing.safetensors"),
])
def test_generate_refuses_before_any_model_loads(loads, capsys, tmp_path, args, needle):
    args = [a.format(tmp=tmp_path) for a in args]
    code, _, err = _main(capsys, "generate", "a horse", *args, "--progress", "none")
    assert code in (1, 2) and needle in err, err
    assert loads == []


# 5. The same options everywhere -------------------------------------------------------------------------

def _command(*path):
    cmd = typer.main.get_command(app)
    for name in path:
        cmd = cmd.commands[name]
    return cmd


def _flags(*path, hidden=False) -> set[str]:
    return {o for p in _command(*path).params if hidden or not getattr(p, "hidden", False)
            for o in (*p.opts, *p.secondary_opts) if o.startswith("--")}


RESTYLE_ONLY = {"--range", "--output", "--from-sidecar", "--full", "--audio", "--progress"}


@pytest.mark.parametrize("path", [("timeline", "restyle"), ("batch", "run")])
def test_timeline_and_batch_take_what_restyle_takes(path):
    missing = (_flags("restyle") - RESTYLE_ONLY) - _flags(*path)
    assert not missing, f"{' '.join(path)} lacks {sorted(missing)}"
    assert {"--prompt", "--control", "--lora", "--codec", "--preview", "--draft"} <= _flags(*path)


def _all_commands(cmd=None, path=()):
    cmd = cmd or typer.main.get_command(app)
    for name, sub in getattr(cmd, "commands", {}).items():
        if getattr(sub, "commands", None):
            yield from _all_commands(sub, (*path, name))
        else:
            yield (*path, name), sub


def test_one_name_for_replacing_what_exists():
    for path, _ in _all_commands():
        visible = _flags(*path)
        assert not {"--force", "--overwrite"} <= visible, f"{' '.join(path)} shows both --force and --overwrite"
        assert "--force" not in visible, f"{' '.join(path)}: --force is the hidden old name of --overwrite"
    for path in (("timeline", "restyle"), ("batch", "run"), ("models", "pull"), ("models", "import")):
        assert {"--force", "--overwrite"} <= _flags(*path, hidden=True), path


def test_help_shows_a_default_for_every_option():
    from rich.console import Console
    from typer.rich_utils import _get_parameter_help

    import click as _  # noqa: F401  (typer may vendor its own; the context comes from the command)
    missing = []
    for path, cmd in _all_commands():
        ctx = cmd.make_context("t2vz-edit", [], resilient_parsing=True)
        for param in cmd.get_params(ctx):
            if getattr(param, "param_type_name", "") != "option" or param.required or param.hidden \
                    or param.name == "help":
                continue
            console = Console(width=400, record=True)
            console.print(_get_parameter_help(param=param, ctx=ctx, markup_mode="rich"))
            if "[default:" not in console.export_text():
                missing.append(f"{' '.join(path)} {param.opts[0]}")
    assert not missing, f"--help shows no default for: {missing}"


# 7. Quality figures agree -------------------------------------------------------------------------------

def test_score_of_a_render_alone_uses_the_sidecars_source_range_and_size(cli_clip, tiny_models, tmp_path, capsys):
    out = tmp_path / "r.mov"
    code, _, err = _main(capsys, "restyle", cli_clip, "-i", "make it snowy", "--model", tiny_models["instruct"],
                         "--steps", "2", "--size", "64", "--range", "2+4", "-o", out, "--progress", "none")
    assert code == 0, err
    quality = json.loads(Path(f"{out}.json").read_text())["provenance"]["quality"]
    assert quality["long_side"] == 64
    for args in ((out,), (cli_clip, out)):
        code, printed, err = _main(capsys, "score", *args, "--json")
        assert code == 0, err
        result = json.loads(printed)
        assert result["range"] == {"start_frame": 2, "stop_frame": 6} and result["long_side"] == 64
        assert result["source"] == str(cli_clip.resolve()) and result["frames"] == 4
    code, printed, _ = _main(capsys, "score", out, "--size", "32", "--json")
    assert code == 0 and json.loads(printed)["long_side"] == 32


def test_score_of_a_render_without_sidecar_or_source_says_what_to_pass(cli_clip, tmp_path, capsys):
    bare = tmp_path / "bare.mov"
    bare.write_bytes(cli_clip.read_bytes())
    code, _, err = _main(capsys, "score", bare)
    assert code == 2 and "t2vz-edit score SOURCE" in err


# 8. A bad user preset ------------------------------------------------------------------------------------

def test_a_bad_user_preset_is_listed_with_its_error_and_the_rest_still_list(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("T2VZ_PRESETS", str(tmp_path))
    (tmp_path / "broken.toml").write_text('mode = "nope"\n[preset]\ndescription = "mine"\n')
    (tmp_path / "garbled.toml").write_text("mode = \n")
    code, out, err = _main(capsys, "presets", "list", "--json")
    assert code == 0, err
    rows = {r["name"]: r for r in json.loads(out)}
    assert "mode 'nope' is not allowed" in rows["broken"]["error"] and "not valid TOML" in rows["garbled"]["error"]
    assert rows["watercolor"]["mode"] == "instruct" and "error" not in rows["watercolor"]
    code, out, _ = _main(capsys, "presets", "list")
    assert code == 0 and "broken" in out and "watercolor" in out


# 6. The demo's sidecar ------------------------------------------------------------------------------------

def test_the_demo_sidecar_names_models_that_still_exist(tmp_path):
    from t2vz_edit.cli.cmd_demo import run_demo

    result = run_demo(tmp_path / "demo", frames=3)
    spec = json.loads(Path(f"{result.output}.json").read_text())["provenance"]["spec"]
    assert Path(spec["model"]).is_dir() and Path(spec["model"]).is_relative_to(tmp_path / "demo")
