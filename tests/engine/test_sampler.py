"""Scheduler configs are run the way diffusers' Stable Diffusion pipelines run them."""
from __future__ import annotations

import pytest
import torch

from t2vz_edit.engine.sampler import make_scheduler, normalise_scheduler_config

# an old-style SD config: neither steps_offset nor clip_sample (DDIM would then clip x0 to [-1, 1]
# and count timesteps from 0)
OLD_CONFIG = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear")


@pytest.mark.parametrize("name", ["ddim", "euler_a", "euler", "dpmpp_2m", "unipc", "pndm"])
def test_a_config_without_steps_offset_and_clip_sample_is_normalised(name):
    sched = make_scheduler(name, OLD_CONFIG)
    assert sched.config.steps_offset == 1
    if "clip_sample" in sched.config:
        assert sched.config.clip_sample is False


def test_ddim_from_an_old_config_runs_like_the_sd_pipeline():
    from diffusers import DDIMScheduler, StableDiffusionPipeline  # noqa: F401 (the rule's source)

    ours = make_scheduler("ddim", OLD_CONFIG)
    ours.set_timesteps(50)
    assert int(ours.timesteps[0]) == 981 and int(ours.timesteps[-1]) == 1  # offset 1, as SD runs
    raw = DDIMScheduler.from_config(OLD_CONFIG)
    assert raw.config.clip_sample is True and raw.config.steps_offset == 0  # what it would have been
    x = torch.full((1, 4, 2, 2), 3.0)
    eps = torch.zeros_like(x)
    t = ours.timesteps[-1]
    assert ours.step(eps, t, x).pred_original_sample.abs().max() > 1.0  # x0 is not clipped to [-1, 1]


def test_normalising_keeps_everything_else_and_is_idempotent():
    config = dict(OLD_CONFIG, prediction_type="epsilon", timestep_spacing="leading")
    once = normalise_scheduler_config(config)
    assert normalise_scheduler_config(once) == once
    assert {k: once[k] for k in config} == config
