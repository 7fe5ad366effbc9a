"""Renders are a function of (spec, weights, source) only: the same edit twice, with the models
loaded afresh from disk and the global RNGs (torch, numpy, random) disturbed in between, gives
bit-identical frames. Several chunks and segments per run exercise the anchor K/V cache, the
per-segment scheduler copies and the per-frame step generators."""
from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from t2vz_edit.engine.models.loading import load_parts
from t2vz_edit.engine.run import run_edit
from t2vz_edit.engine.tiny import save_tiny_controlnet, save_tiny_pipeline
from t2vz_edit.spec.edit_spec import ControlSpec, EditSpec

from engine_helpers import moving_square_clip

# 5 frames in chunks of 2 and segments of 3: two segments, the second re-attending to the anchor
RUN = dict(steps=3, size=64, chunk_size=2, seed=11, device="cpu", dtype="float32")
SEGMENT_FRAMES = 3


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("determinism_models")
    return {"sd": save_tiny_pipeline(root / "sd", "sd", seed=0),
            "instruct": save_tiny_pipeline(root / "instruct", "instruct", seed=3),
            "controlnet": save_tiny_controlnet(root / "canny", seed=1)}


def _disturb_global_rng(k: int) -> None:
    """A different global RNG state before each run, as other code in the process would leave it."""
    torch.manual_seed(1000 + 7 * k)
    torch.randn(17 * (k + 1))
    np.random.seed(k)
    random.seed(k)


def _render_twice(spec: EditSpec, frames=None, controls=None) -> list[np.ndarray]:
    outs = []
    for k in range(2):
        _disturb_global_rng(k)
        parts = load_parts(spec)  # a fresh load from disk each time
        outs.append(run_edit(spec, parts, frames, controls, output="float", segment_frames=SEGMENT_FRAMES))
    return outs


def _assert_bit_identical(outs: list[np.ndarray]) -> None:
    first, second = outs
    assert first.shape == second.shape and first.shape[0] == 5
    assert np.isfinite(first).all() and first.std() > 0  # a real render, not a blank
    assert np.array_equal(first, second), f"max abs difference {np.abs(first - second).max()}"


def test_instruct_euler_a_per_frame_noise_is_bit_identical(model_dirs):
    spec = EditSpec(mode="instruct", instruction="make it snowy", model=str(model_dirs["instruct"]),
                    scheduler="euler_a", noise="per_frame", **RUN)
    outs = _render_twice(spec, frames=moving_square_clip(frames=5, size=64))
    _assert_bit_identical(outs)


def test_controlnet_ddim_is_bit_identical(model_dirs):
    clip = moving_square_clip(frames=5, size=64, seed=1)
    spec = EditSpec(mode="controlnet", prompt="a robot", model=str(model_dirs["sd"]), scheduler="ddim",
                    controls=(ControlSpec("canny", model=str(model_dirs["controlnet"])),), **RUN)
    outs = _render_twice(spec, frames=clip, controls={"canny": 255 - clip})
    _assert_bit_identical(outs)


def test_text2video_motion_dynamics_is_bit_identical(model_dirs):
    spec = EditSpec(mode="text2video", prompt="a horse galloping", model=str(model_dirs["sd"]), frames=5,
                    t0=0.5, t1=0.75, **RUN)
    _assert_bit_identical(_render_twice(spec))
