"""Each render setting is described once and behaves the same in every command that takes it."""
from __future__ import annotations

import json

import pytest
import typer

from t2vz_edit.cli import app as app_module
from t2vz_edit.cli.app import main

RENDER_COMMANDS = (("restyle",), ("generate",), ("timeline", "restyle"))


def _command(path):
    cmd = typer.main.get_command(app_module.app)
    for name in path:
        cmd = cmd.commands[name]
    return cmd


def _options(path):
    return {p.opts[0]: p for p in _command(path).params if p.opts[0].startswith("--")}


def test_a_setting_has_one_help_text_and_no_restated_default_across_commands():
    seen: dict[str, tuple] = {}
    for path in RENDER_COMMANDS:
        for flag, param in _options(path).items():
            if flag in ("--output", "--progress", "--overwrite", "--format"):
                continue  # what the output is differs per command by design
            if flag in seen:
                assert param.help == seen[flag][1], f"{flag}: {path} and {seen[flag][0]} describe it differently"
            seen[flag] = (path, param.help)
    edit = ("--steps", "--size", "--seed", "--guidance", "--chunk", "--motion", "--strength", "--t0", "--t1",
            "--model", "--device", "--dtype", "--negative")
    for flag in edit:
        for path in RENDER_COMMANDS:
            param = _options(path).get(flag)
            if param is not None:  # unset = the preset or the spec's default applies, through build_spec
                assert param.default is None, f"{' '.join(path)} {flag} restates a default ({param.default!r})"


def test_generate_takes_its_defaults_from_the_spec(tmp_path, monkeypatch):
    seen = {}

    def no_models(spec, *args):
        seen["spec"] = spec
        raise SystemExit(0)

    monkeypatch.setattr("t2vz_edit.cli.cmd_generate._parts", no_models)
    with pytest.raises(SystemExit):
        main(["generate", "a horse", "-o", str(tmp_path / "h.mp4"), "--progress", "none"])
    from t2vz_edit.spec.edit_spec import EditSpec

    default = EditSpec(mode="text2video", prompt="a horse")
    assert seen["spec"] == default


@pytest.mark.parametrize("argv, needle", [
    (["generate", "a horse", "--fps", "zero"], "--fps 'zero'"),
    (["generate", "a horse", "--steps", "many"], "--steps"),
    (["timeline", "restyle", "nope.otio", "-o", "x.otio", "--all", "--instruction", "x"], "nope.otio"),
    (["trim", "nope.mov", "-o", "t.mp4"], "nope.mov"),
    (["conditions", "nope.mov", "--kind", "canny", "-o", "c.mp4"], "nope.mov"),
])
def test_every_command_ends_a_json_run_with_an_error_event(tmp_path, capsys, monkeypatch, argv, needle):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--progress", "json"] if argv[0] != "trim" else [*argv, "--progress=json"])
    out = capsys.readouterr().out.strip().splitlines()
    event = json.loads(out[-1])
    assert event["event"] == "error" and needle in event["message"], out
    assert exc.value.code == event["exit_code"] != 0


@pytest.mark.parametrize("flag, value, needle", [
    ("--lora", "ink.safetensors:strong", "--lora 'ink.safetensors:strong'"),
    ("--control", "pose:strong", "--control 'pose:strong'"),
])
def test_a_bad_scale_is_refused_not_folded_into_the_name(tmp_path, capsys, flag, value, needle):
    with pytest.raises(SystemExit) as exc:
        main(["restyle", str(tmp_path / "shot.mov"), "-p", "a knight", "-c", "pose", flag, value, "--progress", "none"])
    err = capsys.readouterr().err.strip()
    assert exc.value.code == 2 and needle in err and len(err.splitlines()) == 1


def test_generate_refuses_an_output_it_cannot_write_before_rendering(tmp_path, capsys, monkeypatch):
    loads = []
    monkeypatch.setattr("t2vz_edit.cli.cmd_generate._parts", lambda spec, *args: loads.append(spec))
    with pytest.raises(SystemExit) as exc:
        main(["generate", "a horse", "--tiny", "-o", str(tmp_path / "x.webm"), "--progress", "none"])
    assert exc.value.code == 2 and "x.webm" in capsys.readouterr().err
    assert loads == [] and not list(tmp_path.iterdir())
