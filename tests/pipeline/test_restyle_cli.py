"""`t2vz-edit restyle` from the command line: JSON progress for plugins, and every bad input."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def cli(*args, cwd=None):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "t2vz_edit", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env)


def test_json_progress_for_plugins(clip, tiny_models):
    r = cli("restyle", clip, "--instruction", "make it a watercolor painting", "--model", tiny_models["instruct"],
            "--steps", "2", "--size", "64", "--range", "0+4", "--progress", "json")
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]
    stages = {e["stage"] for e in events if e["event"] == "progress"}
    assert {"denoise", "encode"} <= stages or {"engine", "encode"} <= stages, stages
    done = events[-1]
    assert done["event"] == "done" and done["frames"] == 4
    assert done["output"].endswith("shot.instruct.mov") and os.path.exists(done["output"])


def test_from_sidecar_on_the_command_line(clip, tiny_models, tmp_path):
    out = tmp_path / "a.mov"
    r = cli("restyle", clip, "-i", "make it snowy", "--model", tiny_models["instruct"], "--steps", "2",
            "--size", "64", "--range", "0+3", "-o", out, "--progress", "none")
    assert r.returncode == 0, r.stderr
    again = cli("restyle", "--from-sidecar", f"{out}.json", "-o", tmp_path / "b.mov", "--progress", "none")
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "b.mov").exists()


@pytest.mark.parametrize("args, code, needle", [
    (["--preset", "no-such-look"], 2, "unknown preset 'no-such-look'"),
    (["--prompt", "x", "--control", "scribble"], 2, "scribble"),
    (["--instruction", "x", "--control", "pose"], 2, "cannot be combined"),
    (["--instruction", "x", "--range", "100-200"], 2, "outside"),
    (["--instruction", "x"], 1, "timbrooks/instruct-pix2pix; pull them all with `t2vz-edit models pull --for restyle`"),
    ([], 2, "nothing to do"),
])
def test_bad_input_is_one_line_and_leaves_nothing(clip, args, code, needle):
    before = sorted(os.listdir(clip.parent))
    r = cli("restyle", clip, "--progress", "none", *args)
    assert r.returncode == code, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert needle in lines[0]
    assert "Traceback" not in r.stderr
    assert sorted(os.listdir(clip.parent)) == before


def test_output_over_the_source_is_refused(clip):
    r = cli("restyle", clip, "--instruction", "x", "-o", clip, "--progress", "none")
    assert r.returncode == 2 and "input" in r.stderr
    assert clip.stat().st_size > 0


def test_missing_clip(tmp_path):
    r = cli("restyle", tmp_path / "nope.mov", "--instruction", "x")
    assert r.returncode == 2 and "nope.mov" in r.stderr and len(r.stderr.strip().splitlines()) == 1
