"""Progress stages are distinct, each counts one thing upward, and `load` comes before the models load."""
from __future__ import annotations

import os
import subprocess
import sys

from t2vz_edit.pipeline.restyle import restyle

KNOWN = ("load", "conditions", "vae-encode", "denoise", "vae-decode", "encode")


def test_each_stage_counts_one_thing_upward_starting_with_load(clip, tiny_models, tmp_path):
    seen = []
    restyle(clip, instruction="make it snowy", model=str(tiny_models["instruct"]), frame_range="0+6", steps=2,
            size=64, chunk_size=2, output=tmp_path / "a.mov", score=False,
            progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert seen[0] == ("load", 0, 1) and seen[1] == ("load", 1, 1)
    stages = list(dict.fromkeys(s for s, _, _ in seen))
    assert set(stages) <= set(KNOWN), stages
    for stage in stages:
        events = [(d, t) for s, d, t in seen if s == stage]
        assert len({t for _, t in events}) == 1, (stage, events)           # one total per stage
        assert [d for d, _ in events] == sorted(d for d, _ in events), (stage, events)  # never goes back
    assert ("denoise", 12, 12) in seen  # 6 frames x 2 steps, counted as frame-steps


def test_no_third_party_progress_bars_with_progress_none(clip, tiny_models, tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    env.pop("HF_HUB_DISABLE_PROGRESS_BARS", None)
    r = subprocess.run([sys.executable, "-m", "t2vz_edit", "restyle", str(clip), "-i", "make it snowy", "--model",
                        str(tiny_models["instruct"]), "--steps", "2", "--size", "64", "--range", "0+2",
                        "-o", str(tmp_path / "b.mov"), "--progress", "none"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert "it/s" not in r.stderr and "%|" not in r.stderr, r.stderr
