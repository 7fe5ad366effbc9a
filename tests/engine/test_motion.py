"""Motion dynamics: t0/t1 for any step count, translation at any aspect ratio, DDPM re-noising."""
from __future__ import annotations

import functools

import pytest
import torch

from t2vz_edit.engine.motion import frame_shifts, motion_step_indices, renoise, translate
from t2vz_edit.engine.sampler import make_scheduler
from t2vz_edit.engine.tiny import SCHEDULER
from t2vz_edit.spec.errors import UsageError


def test_default_t0_t1_are_valid_for_every_step_count_the_cli_accepts():
    sched = make_scheduler("ddim", SCHEDULER)
    for steps in [*range(2, 101), *range(101, 1001, 9), 1000]:
        sched.set_timesteps(steps)
        i1, i0 = motion_step_indices(sched.timesteps, 0.88, 0.94, 1000)
        assert 0 <= i1 < i0 < steps, steps
        if steps >= 20:  # enough steps: both land on the step nearest the fraction (within the schedule)
            top, half = int(sched.timesteps[0]), (1000 // steps) / 2 + 1
            t1, t0 = int(sched.timesteps[i1]), int(sched.timesteps[i0])
            assert abs(t1 - min(940, top)) <= half and abs(t0 - min(880, top - 2 * half)) <= 2 * half, steps


@pytest.mark.parametrize("steps, expected", [(4, (751, 501)), (10, (901, 801)), (2, (501, 1))])
def test_few_steps_put_t0_one_step_after_t1(steps, expected):
    sched = make_scheduler("ddim", SCHEDULER)
    sched.set_timesteps(steps)
    i1, i0 = motion_step_indices(sched.timesteps, 0.88, 0.94, 1000)
    assert (int(sched.timesteps[i1]), int(sched.timesteps[i0])) == expected


def test_reference_50_step_values():
    sched = make_scheduler("ddim", SCHEDULER)
    sched.set_timesteps(50)
    i1, i0 = motion_step_indices(sched.timesteps, 0.88, 0.94, 1000)
    assert (int(sched.timesteps[i1]), int(sched.timesteps[i0])) == (941, 881)  # T, T' of the paper


def test_one_step_is_refused_before_anything_loads():
    from t2vz_edit.spec.edit_spec import EditSpec

    with pytest.raises(UsageError, match="at least 2 denoising steps"):
        EditSpec(mode="text2video", prompt="x", steps=1)
    with pytest.raises(UsageError, match="at least 2 denoising steps"):
        motion_step_indices(torch.tensor([981]), 0.88, 0.94, 1000)
    with pytest.raises(UsageError, match="t0 < t1"):
        EditSpec(mode="text2video", prompt="x", steps=4, t0=0.9, t1=0.9)


def test_t0_t1_help_says_which_is_which():
    from t2vz_edit.spec.edit_spec import field_help

    assert "T'" in field_help("t0") and "end of frame 1's DDIM backward" in field_help("t0")
    assert field_help("t1").startswith("motion dynamics: T, the start of the DDIM backward")


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
    border = translate(x, torch.tensor([[3.0, 0.0]]), mode="bilinear", padding="border")
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


def test_nearest_moves_every_pixel_by_the_same_whole_amount_at_half_pixel_shifts():
    x = torch.arange(16.0).view(1, 1, 1, 16).repeat(1, 1, 4, 1)
    for padding in ("reflection", "border", "zeros", "wrap"):
        out = translate(x, torch.tensor([[1.5, 0.0]]), mode="nearest", padding=padding)[0, 0, 0]
        assert torch.equal(out[:14], torch.arange(1.0, 15.0)), padding  # by 1 (half rounds down), never [2,2,4,4..]


def test_spectral_whole_pixel_shift_is_a_circular_roll():
    x = torch.randn(2, 4, 9, 16)
    shifts = torch.tensor([[3.0, -2.0], [-17.0, 11.0]])
    out = translate(x, shifts)  # the default: spectral, wrap
    assert torch.allclose(out[0], torch.roll(x[0], (2, -3), (-2, -1)), atol=1e-5)
    assert torch.allclose(out[1], torch.roll(x[1], (-11, 17), (-2, -1)), atol=1e-5)


def _high_band_power(x: torch.Tensor) -> torch.Tensor:
    """Mean power per frame at spatial frequencies above half Nyquist (1.0 for unit white noise)."""
    h, w = x.shape[-2:]
    power = torch.fft.fft2(x.double()).abs() ** 2 / (h * w)
    fy, fx = torch.fft.fftfreq(h).abs()[:, None], torch.fft.fftfreq(w).abs()[None]
    band = torch.maximum(fy, fx) >= 0.25
    return power[..., band].mean((-1, -2)) if power[..., band].ndim > 2 else power[..., band].mean(-1).mean(-1)


def _std(x: torch.Tensor) -> torch.Tensor:
    return x.double().flatten(1).std(1)


@functools.lru_cache(maxsize=2)
def _plan_starting_latents(frames: int, strength: float, warp: str = "spectral", padding: str = "wrap"):
    """The text-to-video starting latents x_T of frames 0..frames-1 at 512² (latent 64²), as
    run.py builds them, with a fresh Gaussian scaled to unit std standing in for frame 1's x_T'
    (so what the test sees is the warp and the re-noise, not this one draw's sampling error)."""
    from t2vz_edit.engine.sampler import FrameNoise

    acp = make_scheduler("ddim", SCHEDULER).alphas_cumprod
    noise = FrameNoise(5, (4, 64, 64))
    x1_t0 = noise.initial([0])
    x1_t0 = (x1_t0 - x1_t0.mean()) / x1_t0.std()
    shifts = frame_shifts(range(frames), (1.0, 1.0), strength, vae_scale_factor=8)
    warped = translate(x1_t0.expand(frames, -1, -1, -1), shifts, mode=warp, padding=padding)
    return renoise(warped, acp, 881, 941, noise.renoise(range(frames))), warped


def _assert_like_fresh_gaussians(x: torch.Tensor, what: str) -> None:
    """Per-frame std and high-band power within 2 % of 1, beyond the sampling spread that 600
    fresh Gaussians of the same size show (±1.8 % at 4×64×64; measured here, same draws)."""
    fresh = torch.randn(x.shape, generator=torch.Generator().manual_seed(99), dtype=torch.float64)
    for name, stat in (("std", _std), ("high-band power", _high_band_power)):
        got, ref = (stat(x) - 1).abs(), (stat(fresh) - 1).abs()
        assert got.max() < max(0.02, ref.max() + 0.005), (what, name, got.max(), ref.max())


def test_600_frame_plan_keeps_every_starting_latent_a_unit_gaussian():
    start, warped = _plan_starting_latents(600, 12.0)
    # the warp itself keeps every Fourier magnitude: std and spectrum exactly those of x_T'
    assert torch.allclose(_std(warped), torch.ones(600, dtype=torch.float64), atol=1e-6)
    assert torch.allclose(_high_band_power(warped), _high_band_power(warped[:1]).expand(600), atol=1e-6)
    _assert_like_fresh_gaussians(warped, "warped")
    _assert_like_fresh_gaussians(start, "starting latent")


def test_bilinear_border_warp_blurs_and_smears_as_the_issue_reported():
    # the old default, kept selectable: half-pixel frames lose variance, long clips degenerate
    start, warped = _plan_starting_latents(60, 12.0, warp="bilinear", padding="border")
    spatial_std = lambda x: float(x.flatten(-2).std(-1).mean())  # per channel, averaged
    assert spatial_std(warped[1]) < 0.6 and spatial_std(warped[50]) < 0.01
    assert spatial_std(start[1]) < 0.85


def test_smoothing_blend_keeps_the_noise_level_of_the_600_frame_plan():
    from t2vz_edit.engine.modes.base import Conditions
    from t2vz_edit.engine.smoothing import step_hook
    from t2vz_edit.spec.edit_spec import EditSpec

    eps, _ = _plan_starting_latents(600, 12.0)  # the plan's x_T as the predicted noise
    sched = make_scheduler("ddim", SCHEDULER)
    sched.set_timesteps(50)
    t = sched.timesteps[2]  # 941, the default smooth_step's timestep
    acp = float(sched.alphas_cumprod[int(t)])
    # content: a subject (a disk, 2.5 units from the flat background) plus independent per-frame detail
    yy, xx = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    disk = (((yy - 32) ** 2 + (xx - 24) ** 2) < 12 ** 2).float()
    x0 = 2.5 * disk + 0.5 * torch.randn(600, 4, 64, 64, generator=torch.Generator().manual_seed(1))
    latents = acp ** 0.5 * x0 + (1 - acp) ** 0.5 * eps  # x_t as the model sees it
    spec = EditSpec(mode="text2video", prompt="x", smooth_background=True, mask_provider="saliency")
    fractions = []
    for lo in range(1, 600, 63):  # 64-frame segments with the anchor, as run.py cuts them
        ids = [0] + list(range(lo, min(lo + 63, 600)))
        hook = step_hook(spec, ids, sched.timesteps[2:], None, Conditions(), sched, 8, True,
                         observe=lambda _, bg: fractions.append(float(bg[1:].mean())))
        out = hook(0, t, latents[ids], eps[ids])
        for stat in (_std, _high_band_power):  # each frame keeps its own level within 2 %
            assert ((stat(out) / stat(latents[ids])) - 1).abs().max() < 0.02, (stat.__name__, ids[1])
        naive = latents[ids] + 0.6 * (latents[ids][:1] - latents[ids])  # the reference's latent blend
        assert _std(naive[1:]).median() < 0.8  # what blending noisy latents does to the background
    assert 0.1 < sum(fractions) / len(fractions) < 0.9
