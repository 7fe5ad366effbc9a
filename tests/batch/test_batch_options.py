"""`batch run` takes what `restyle` takes, names renders readably, and refuses what it can in the
plan, before any model loads (issue 15, items 4-6)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from batch_helpers import write_toml
from cli_helpers import run_main as _cli


def test_codec_crf_and_readable_names(project, capsys):
    code, _, err = _cli(capsys, "batch", "run", project / "batch.toml", "--renderer", "trim", "--codec", "prores",
                        "--crf", "20", "--progress", "none")
    assert code == 0, err
    names = sorted(p.relative_to(project / "out").as_posix() for p in (project / "out").rglob("*.mov"))
    assert names == ["day1/a.instruct.0-9.mov", "day1/b.instruct.0-11.mov", "day2/c.instruct.0-13.mov"]
    assert json.loads((project / "out" / "day1" / "a.instruct.0-9.mov.json").read_text())["codec"] == "prores"


def test_a_prompt_on_the_command_line_replaces_the_files_instruction(project, capsys):
    code, out, err = _cli(capsys, "batch", "plan", project / "batch.toml", "--renderer", "trim",
                          "--prompt", "a bronze statue", "--json")
    assert code == 0, err
    jobs = json.loads(out)["jobs"]
    assert {j["controls"][0] for j in jobs} == {"canny"}  # a prompt alone restyles from the source
    assert {Path(j["output"]).name for j in jobs} == {"a.controlnet.0-9.mov", "b.controlnet.0-11.mov",
                                                      "c.controlnet.0-13.mov"}


@pytest.mark.parametrize("args, needle", [
    (("--codec", "dnxhr-hqx"), "too small for DNxHR"),
    (("--codec", "prores", "--t0", "0.9", "--t1", "0.5"), "need t0 < t1"),
    (("--lora", "missing.safetensors"), "missing.safetensors"),
    (("--prompt", "x", "--instruction", "y"), "--instruction cannot be combined with --prompt"),
])
def test_refused_in_the_plan_before_any_model_loads(project, capsys, loads, args, needle):
    code, _, err = _cli(capsys, "batch", "run", project / "batch.toml", *args, "--progress", "none")
    assert code == 2 and needle in err, err
    assert loads == [] and not (project / "out").exists()


def test_force_is_the_hidden_old_name_of_overwrite(project, capsys):
    write_toml(project / "batch.toml", '[[job]]\nfiles = ["day1/a.mov"]\n')
    args = ("batch", "run", project / "batch.toml", "--renderer", "trim", "--progress", "json")
    assert _cli(capsys, *args)[0] == 0
    for extra in ((), ("--overwrite",), ("--force",)):
        code, out, err = _cli(capsys, *args, *extra)
        done = [e for e in map(json.loads, out.splitlines()) if e["event"] == "job" and e["status"] == "done"]
        assert code == 0 and len(done) == (1 if extra else 0), (extra, done)  # kept, or made again
    assert "--force is deprecated; use --overwrite" in err


@pytest.mark.parametrize("audio, streams", [("copy", 1), ("none", 0)])
def test_audio_option_reaches_each_render(tmp_path, capsys, audio, streams):
    from t2vz_edit.media.probe import probe
    from t2vz_edit.media.synth import make_clip

    make_clip((tmp_path / "footage").mkdir() or tmp_path / "footage" / "talk.mov", frames=4, width=64, height=48,
              gop=4, audio={"channels": 2, "sample_rate": 48000})
    write_toml(tmp_path / "batch.toml", '[[job]]\nfiles = ["talk.mov"]\n')
    code, _, err = _cli(capsys, "batch", "run", tmp_path / "batch.toml", "--renderer", "trim", "--audio", audio,
                        "--progress", "none")
    assert code == 0, err
    (render,) = (tmp_path / "out").rglob("*.mov")
    assert len(probe(render).audio) == streams


def test_a_bad_audio_value_is_refused_before_anything_loads(project, capsys, loads):
    code, _, err = _cli(capsys, "batch", "run", project / "batch.toml", "--audio", "mute", "--tiny",
                        "--progress", "none")
    assert code == 2 and "--audio 'mute': use copy, reencode or none" in err, err
    assert loads == [] and not (project / "out").exists()
