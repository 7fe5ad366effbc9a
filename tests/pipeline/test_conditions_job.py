from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from t2vz_edit.conditions.factory import write_depth_anything
from t2vz_edit.media.probe import probe
from t2vz_edit.media.synth import make_clip
from t2vz_edit.pipeline.conditions_job import compute_conditions, content_id, write_conditions_video
from t2vz_edit.spec.errors import OutputError, UsageError


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    return make_clip(folder / "shot.mov", frames=12, width=96, height=64, timecode="01:00:00:00",
                     audio={"channels": 2, "sample_rate": 48000})


@pytest.fixture(scope="module")
def depth_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("store")
    write_depth_anything(store / "depth-anything--Depth-Anything-V2-Small-hf")
    return store


def test_canny_maps_for_a_range_at_working_size(clip):
    maps = compute_conditions(clip, "canny", frame_range="3-9", long_side=48, chunk_frames=4)
    assert maps.computed and maps.chunks == [(3, 4), (7, 2)]
    arr = maps.array()
    assert arr.shape == (6, 32, 48, 3) and arr.dtype == np.uint8 and set(np.unique(arr)) <= {0, 255}
    assert not np.array_equal(arr[0], arr[-1])  # the disc and the pan move
    again = compute_conditions(clip, "canny", frame_range="3-9", long_side=48, chunk_frames=4)
    assert not again.computed and np.array_equal(again.array(), arr)
    assert compute_conditions(clip, "canny", frame_range="3-9", long_side=48, params={"low": 20}).computed


def test_content_id_changes_when_the_file_changes(tmp_path):
    a = make_clip(tmp_path / "a.mp4", frames=4, width=32, height=32)
    before = content_id(a)
    assert content_id(a) == before
    os.utime(a, ns=(1, 1))
    assert content_id(a) != before


def test_maps_video_keeps_rate_timecode_and_audio(clip, tmp_path, depth_store, monkeypatch):
    monkeypatch.setenv("T2VZ_MODEL_STORE", str(depth_store))
    out = write_conditions_video(clip, "depth", tmp_path / "depth.mov", frame_range="2-10", long_side=64)
    info, src = probe(out), probe(clip)
    assert info.frame_count == 8 and info.rate == src.rate == Fraction(24000, 1001)
    assert info.start_timecode == "01:00:00:02"
    assert (info.display_width, info.display_height) == (64, 40)  # the working size, sides multiples of 8
    assert len(info.audio) == 1
    sidecar = json.loads((tmp_path / "depth.mov.json").read_text())
    assert sidecar["provenance"]["kind"] == "depth" and sidecar["provenance"]["cache_key"]


def test_errors_come_before_any_work(clip, tmp_path):
    with pytest.raises(UsageError, match="control kind 'edges' is not known; use --kind"):
        write_conditions_video(clip, "edges", tmp_path / "x.mp4")
    with pytest.raises(UsageError, match="--range '5-50' is outside"):
        compute_conditions(clip, "canny", frame_range="5-50")
    with pytest.raises(OutputError):
        write_conditions_video(clip, "canny", clip)
    assert not (tmp_path / "x.mp4").exists()


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "t2vz_edit", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def test_cli_writes_maps_and_rejects_bad_input(clip, tmp_path):
    out = tmp_path / "edges.mp4"
    r = run_cli("conditions", str(clip), "--kind", "canny", "--range", "0-6", "--size", "48",
                "-p", "low=50", "-o", str(out), "--progress", "none")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out) and probe(out).frame_count == 6
    r = run_cli("conditions", str(clip), "--kind", "scribble", "-o", str(tmp_path / "bad.mp4"))
    assert r.returncode == 2 and "control kind 'scribble' is not known; use --kind" in r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    r = run_cli("conditions", str(clip), "--kind", "canny", "-p", "lo=3", "-o", str(tmp_path / "bad.mp4"))
    assert r.returncode == 2 and "allowed: low, high" in r.stderr
    r = run_cli("conditions", str(clip), "--kind", "pose", "-o", str(tmp_path / "bad.mp4"))
    assert r.returncode == 1 and "models pull lllyasviel/Annotators" in r.stderr
    r = run_cli("conditions", str(tmp_path / "missing.mov"), "--kind", "canny")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert not (tmp_path / "bad.mp4").exists()
