from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from t2vz_edit.media.decode import iter_chunks
from t2vz_edit.media.encode import open_render
from t2vz_edit.media.probe import probe
from t2vz_edit.media.ranges import FrameRange
from t2vz_edit.media.synth import make_clip
from t2vz_edit.pipeline.score_job import score
from t2vz_edit.spec.errors import UsageError


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("src") / "src.mov", frames=12, width=128, height=96, crf=8)


def _rerender(source, out, span, edit):
    """Write ``edit(frames, start)`` of ``span`` through the media layer, like a restyle would."""
    info = probe(source)
    with open_render(out, info, span, crf=10) as render:
        for chunk in iter_chunks(info, span, chunk_frames=5):
            render.write(edit(chunk.frames, chunk.start))
    return out


def _flicker(frames, start):
    signs = np.array([1 if (start + k) % 2 else -1 for k in range(len(frames))])[:, None, None, None]
    return np.clip(frames.astype(np.int16) + 30 * signs, 0, 255).astype(np.uint8)


def _brighter(frames, start):
    return np.clip(frames.astype(np.int16) + 30, 0, 255).astype(np.uint8)


def test_unedited_copy_scores_zero_departure_and_tiny_warp_error(source):
    r = score(source, source)
    assert r["frames"] == 12 and r["pairs"] == 11
    assert r["departure_mad"] == 0.0 and r["warp_error"] == r["source_warp_error"] < 5e-3


def test_flickering_render_scores_worse_than_a_steady_one(source, tmp_path):
    span = FrameRange(2, 10)
    steady = _rerender(source, tmp_path / "steady.mp4", span, _brighter)
    flicker = _rerender(source, tmp_path / "flicker.mp4", span, _flicker)
    s = score(source, steady, frame_range="2-10")
    f = score(source, flicker, frame_range="2-10")
    assert s["frames"] == f["frames"] == 8 and s["range"] == {"start_frame": 2, "stop_frame": 10}
    assert f["flicker"] > s["flicker"] + 0.1
    assert f["warp_error"] > 5 * s["warp_error"] and f["warp_ssim"] < s["warp_ssim"]
    assert s["departure_mad"] > 0.05


def test_render_of_a_range_needs_that_range(source, tmp_path):
    steady = _rerender(source, tmp_path / "r.mp4", FrameRange(2, 10), _brighter)
    with pytest.raises(UsageError, match="the render has 8 frames but the source range has 12"):
        score(source, steady)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "t2vz_edit", *args], capture_output=True, text=True,
                          env=dict(os.environ))


def test_cli_json_and_text(source, tmp_path):
    r = run_cli("score", str(source), str(source), "--json", "--size", "64")
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["departure_mad"] == 0.0 and result["long_side"] == 64 and result["frames"] == 12
    r = run_cli("score", str(source), str(source), "--range", "0-4")
    assert r.returncode == 0 and "WarpSSIM" in r.stdout and "4 scored" in r.stdout


def test_cli_bad_input_is_one_line_exit_2(source, tmp_path):
    r = run_cli("score", str(source), str(tmp_path / "nope.mp4"))
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1
    r = run_cli("score", str(source), str(source), "--range", "5-99")
    assert r.returncode == 2 and "outside" in r.stderr
