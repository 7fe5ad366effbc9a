"""Engine entry point: progress and cancel, up-front errors, processors restored."""
from __future__ import annotations

import numpy as np
import pytest

from t2vz_edit.engine.attention import CrossFrameAttnProcessor
from t2vz_edit.engine.run import run_edit
from t2vz_edit.spec.edit_spec import ControlSpec, EditSpec
from t2vz_edit.spec.errors import Cancelled, ModelError, UsageError

from engine_helpers import moving_square_clip

FAST = dict(steps=4, size=64, t0=0.5, t1=0.75)


def _no_cross_frame_left(parts):
    return not any(isinstance(p, CrossFrameAttnProcessor) for p in parts.unet.attn_processors.values())


def test_progress_reports_stages_and_false_cancels(sd_parts):
    seen = []
    spec = EditSpec(mode="text2video", prompt="a horse", frames=3, **FAST)
    frames = run_edit(spec, sd_parts, progress=lambda s, d, t: seen.append((s, d, t)))
    assert frames.dtype == np.uint8 and frames.shape == (3, 64, 64, 3)
    assert ("denoise", 12, 12) in seen and seen[-1] == ("vae-decode", 3, 3)
    stop = lambda s, d, t: False if s == "denoise" and d >= 6 else None
    with pytest.raises(Cancelled, match="cancelled during denoise at 6/12"):
        run_edit(spec, sd_parts, progress=stop)
    assert _no_cross_frame_left(sd_parts)


def test_attention_slicing_before_a_run_is_undone_by_reinstalling(sd_parts):
    spec = EditSpec(mode="text2video", prompt="a horse", frames=3, **FAST)
    before = run_edit(spec, sd_parts, output="float")
    sd_parts.unet.set_attention_slice(1)
    try:
        after = run_edit(spec, sd_parts, output="float")
    finally:
        from diffusers.models.attention_processor import AttnProcessor2_0
        sd_parts.unet.set_attn_processor(AttnProcessor2_0())
    assert np.abs(before - after).max() < 1e-5


def test_cross_frame_makes_a_difference(sd_parts):
    spec = EditSpec(mode="text2video", prompt="a horse", frames=3, **FAST)
    on = run_edit(spec, sd_parts, output="float")
    off = run_edit(spec.with_overrides(cross_frame="off"), sd_parts, output="float")
    assert np.abs(on[0] - off[0]).max() < 1e-5  # the anchor attends to itself either way
    assert np.abs(on[2] - off[2]).max() > 1e-3


def test_instruct_mode_needs_an_instruct_unet(sd_parts):
    spec = EditSpec(mode="instruct", instruction="make it snowy", steps=2, size=64)
    with pytest.raises(ModelError, match="Instruct-Pix2Pix UNet"):
        run_edit(spec, sd_parts, frames=moving_square_clip(2))


def test_missing_control_maps_are_a_usage_error(sd_parts):
    spec = EditSpec(mode="controlnet", prompt="a robot", controls=(ControlSpec("canny"),), steps=2, size=64)
    with pytest.raises(UsageError, match="control canny: no control maps"):
        run_edit(spec, sd_parts, controls={"depth": moving_square_clip(2)})


def test_motion_dynamics_need_ddim():
    with pytest.raises(UsageError, match="--scheduler ddim"):  # the spec refuses it before any model exists
        EditSpec(mode="text2video", prompt="a horse", frames=2, scheduler="euler_a", **FAST)


@pytest.mark.parametrize("scheduler", ["euler_a", "dpmpp_2m", "unipc"])
def test_other_schedulers_run_in_instruct_mode(instruct_parts, scheduler):
    spec = EditSpec(mode="instruct", instruction="make it snowy", steps=3, size=64, scheduler=scheduler)
    frames = run_edit(spec, instruct_parts, frames=moving_square_clip(3, 48))
    assert frames.shape == (3, 64, 64, 3)  # 48² source → 64² working size


@pytest.mark.parametrize("steps", [2, 4, 10])
def test_text2video_default_t0_t1_run_at_few_steps(sd_parts, steps):
    """`generate --steps 4` (or 10) failed after the models loaded: the defaults met on one step."""
    spec = EditSpec(mode="text2video", prompt="a horse", frames=3, steps=steps, size=64)
    assert (spec.t0, spec.t1) == (0.88, 0.94)
    video = run_edit(spec, sd_parts, output="float")
    assert video.shape == (3, 64, 64, 3) and np.isfinite(video).all()


def test_controlnet_with_motion_dynamics_moves_the_shared_latent(sd_parts):
    clip = moving_square_clip(3, 64)
    spec = EditSpec(mode="controlnet", prompt="a robot", controls=(ControlSpec("canny"),), steps=4, size=64,
                    scheduler="ddim", t0=0.5, t1=0.75)  # noise left unset: the mode default, shared
    plain = run_edit(spec, sd_parts, controls={"canny": clip}, output="float")
    explicit = run_edit(spec.with_overrides(noise="shared"), sd_parts, controls={"canny": clip}, output="float")
    moved = run_edit(spec.with_overrides(motion_dynamics=True), sd_parts, controls={"canny": clip}, output="float")
    assert np.array_equal(plain, explicit)  # shared noise alone changes nothing
    assert np.abs(moved - plain).max() > 1e-3  # asked for: the motion dynamics do run
