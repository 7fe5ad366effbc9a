"""Motion dynamics: t0/t1 for any step count, translation at any aspect ratio, DDPM re-noising."""
from __future__ import annotations

import pytest
import torch

from t2vz_edit.engine.motion import frame_shifts, motion_step_indices, renoise, translate
from t2vz_edit.engine.sampler import make_scheduler
from t2vz_edit.engine.tiny import SCHEDULER
from t2vz_edit.spec.errors import UsageError


@pytest.mark.parametrize("steps", [20, 30, 50])
def test_default_t0_t1_are_valid_for_common_step_counts(steps):
    sched = make_scheduler("ddim", SCHEDULER)
    sched.set_timesteps(steps)
    i1, i0 = motion_step_indices(sched.timesteps, 0.88, 0.94, 1000)
    assert 0 <= i1 < i0 < steps
    t1, t0 = int(sched.timesteps[i1]), int(sched.timesteps[i0])
    assert abs(t1 - 940) <= 1000 / steps / 2 + 1 and abs(t0 - 880) <= 1000 / steps / 2 + 1


def test_reference_50_step_values():
    sched = make_scheduler("ddim", SCHEDULER)
    sched.set_timesteps(50)
    i1, i0 = motion_step_indices(sched.timesteps, 0.88, 0.94, 1000)
    assert (int(sched.timesteps[i1]), int(sched.timesteps[i0])) == (941, 881)  # T, T' of the paper


def test_t0_t1_on_the_same_timestep_is_a_clear_error():
    sched = make_scheduler("ddim", SCHEDULER)
    sched.set_timesteps(4)
    with pytest.raises(UsageError, match=r"t0=0.88 and t1=0.94 map to the same timestep.*among: 0.751, 0.501"):
        motion_step_indices(sched.timesteps, 0.88, 0.94, 1000)


@pytest.mark.parametrize("hw", [(9, 16), (16, 9), (12, 12), (7, 31)])
def test_translation_is_exact_for_whole_pixels_at_any_aspect_ratio(hw):
    h, w = hw
    x = torch.randn(2, 4, h, w)
    shifts = torch.tensor([[0.0, 0.0], [2.0, 1.0]])
    out = translate(x, shifts, mode="bilinear", padding="border")
    assert torch.allclose(out[0], x[0], atol=1e-5)
    assert torch.allclose(out[1, :, : h - 1, : w - 2], x[1, :, 1:, 2:], atol=1e-5)


def test_border_padding_repeats_the_edge_instead_of_mirroring():
    x = torch.arange(8.0).view(1, 1, 1, 8).repeat(1, 1, 4, 1)
    border = translate(x, torch.tensor([[3.0, 0.0]]), padding="border")
    mirror = translate(x, torch.tensor([[3.0, 0.0]]), mode="nearest", padding="reflection")
    assert torch.allclose(border[0, 0, 0, -3:], torch.tensor([7.0, 7.0, 7.0]))
    assert mirror[0, 0, 0, -1] < 7.0  # the reference mirrors content back in


def test_shift_is_in_output_pixels_whatever_the_latent_size():
    shifts = frame_shifts([0, 1, 3], (1.0, -0.5), strength_px=12.0, vae_scale_factor=8)
    assert torch.allclose(shifts, torch.tensor([[0.0, 0.0], [1.5, -0.75], [4.5, -2.25]]))


def test_renoise_follows_the_ddpm_forward_marginal():
    acp = make_scheduler("ddim", SCHEDULER).alphas_cumprod
    x = torch.ones(1, 4, 2, 2)
    out = renoise(x, acp, 881, 941, torch.zeros_like(x))
    assert torch.allclose(out, x * (acp[941] / acp[881]).sqrt())
