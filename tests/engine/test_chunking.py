"""Step-major chunking and segments change the cost, never the frames."""
from __future__ import annotations

import numpy as np
import pytest

from t2vz_edit.engine.run import EngineInput, run_edit, stream_edit
from t2vz_edit.spec.edit_spec import ControlSpec, EditSpec

from engine_helpers import moving_square_clip

FRAMES = 10


@pytest.fixture(scope="module")
def text2video_runs(sd_parts):
    spec = EditSpec(mode="text2video", prompt="a horse galloping", frames=FRAMES, steps=4, size=64, t0=0.501,
                    t1=0.751, seed=3)
    return {size: run_edit(spec.with_overrides(chunk_size=size), sd_parts, output="float")
            for size in (1, 3, 8, FRAMES)}


@pytest.mark.parametrize("size", [1, 3, 8])
def test_text2video_chunk_sizes_match_unchunked(text2video_runs, size):
    assert np.abs(text2video_runs[size] - text2video_runs[FRAMES]).max() < 1e-4


def test_frames_are_not_trivially_equal(text2video_runs):
    assert np.abs(np.diff(text2video_runs[FRAMES], axis=0)).mean() > 1e-3


def test_controlnet_two_controls_chunked_equals_unchunked(sd_parts):
    clip = moving_square_clip(5, 64)
    controls = {"canny": clip, "depth": clip[..., ::-1].copy()}
    spec = EditSpec(mode="controlnet", prompt="a robot", steps=3, size=64, scheduler="ddim", noise="per_frame",
                    controls=(ControlSpec("canny", scale=1.0), ControlSpec("depth", scale=0.5)))
    whole = run_edit(spec.with_overrides(chunk_size=8), sd_parts, controls=controls, output="float")
    chunked = run_edit(spec.with_overrides(chunk_size=2), sd_parts, controls=controls, output="float")
    assert np.abs(whole - chunked).max() < 1e-4


def test_instruct_streamed_in_segments_equals_whole_clip(instruct_parts):
    clip = moving_square_clip(7, 64)
    spec = EditSpec(mode="instruct", instruction="make it snowy", steps=3, size=64, chunk_size=2, seed=9)
    whole = run_edit(spec, instruct_parts, frames=clip, output="float")
    feed = [EngineInput(frames=clip[:2]), EngineInput(frames=clip[2:5]), EngineInput(frames=clip[5:])]
    parts = list(stream_edit(spec, instruct_parts, feed, total_frames=7, segment_frames=3, output="float"))
    assert [len(p) for p in parts] == [2, 1, 2, 1, 1]  # decoded per chunk (2) within segments (3)
    assert np.abs(np.concatenate(parts) - whole).max() < 1e-4


@pytest.mark.parametrize("chunk_size", [2, 8])  # chunks inside a segment, or one batch per segment
def test_anchor_plus_previous_segments_equal_whole_clip(instruct_parts, chunk_size):
    """A segment's first frame attends to the previous segment's last frame (its K/V carried per
    step), not to the anchor twice: segments change the cost, never the frames."""
    clip = moving_square_clip(7, 64)
    spec = EditSpec(mode="instruct", instruction="make it snowy", steps=3, size=64, chunk_size=chunk_size, seed=9,
                    cross_frame="anchor+previous")
    whole = run_edit(spec, instruct_parts, frames=clip, output="float")
    feed = [EngineInput(frames=clip[:4]), EngineInput(frames=clip[4:])]
    parts = np.concatenate(list(stream_edit(spec, instruct_parts, feed, total_frames=7, segment_frames=3,
                                            output="float")))
    assert np.abs(parts - whole).max() < 1e-4
    anchor_only = run_edit(spec.with_overrides(cross_frame="anchor"), instruct_parts, frames=clip, output="float")
    assert np.abs(anchor_only - whole).max() > 1e-3  # the previous frame's K/V do change the frames


def test_anchor_plus_previous_text2video_segments_equal_whole_clip(sd_parts):
    spec = EditSpec(mode="text2video", prompt="a horse galloping", frames=7, steps=4, size=64, seed=3,
                    chunk_size=2, cross_frame="anchor+previous")
    whole = run_edit(spec, sd_parts, output="float")
    parts = np.concatenate(list(stream_edit(spec, sd_parts, None, total_frames=7, segment_frames=3,
                                            output="float")))
    assert np.abs(parts - whole).max() < 1e-4
