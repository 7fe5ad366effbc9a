"""The engine against diffusers' own Text2Video-Zero pipeline and documented video recipes.

Same tiny random models, same noise, float32 CPU: max abs difference of frames (in [0, 1]).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from diffusers import (DDIMScheduler, EulerAncestralDiscreteScheduler, StableDiffusionControlNetPipeline,
                       StableDiffusionInstructPix2PixPipeline)
from diffusers.pipelines.deprecated.text_to_video_synthesis.pipeline_text_to_video_zero import (
    CrossFrameAttnProcessor as ReferenceCrossFrame, TextToVideoZeroPipeline)
from PIL import Image

from t2vz_edit.engine.attention import CrossFrameContext, install_cross_frame
from t2vz_edit.engine.run import run_edit
from t2vz_edit.spec.edit_spec import ControlSpec, EditSpec

from engine_helpers import FixedNoise, moving_square_clip

TOL = 1e-3
SIZE, FRAMES, STEPS = 64, 4, 6


def _restore(model):
    from diffusers.models.attention_processor import AttnProcessor2_0

    model.set_attn_processor(AttnProcessor2_0())


@pytest.mark.parametrize("strength", [32, 16, 12])
def test_text2video_matches_diffusers_text_to_video_zero(sd_components, sd_parts, strength):
    """λ_ref = 32 moves whole latent pixels here; 16 moves k/2 (half-pixel shifts on odd frames, as
    the paper's λ = 12 does at 512²: 1.5 latent pixels per frame); 12 is the paper's value.
    The reference's grid moves every pixel by the same whole amount, halves rounded down."""
    # 6 DDIM steps: timesteps 834, 667, 501, 334, 167, 1; reference t1=3 → 501, t0=2 → 334
    pipe = TextToVideoZeroPipeline(**sd_components, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    latent = SIZE // sd_parts.vae_scale_factor
    x_t = torch.randn((1, 4, latent, latent), generator=torch.Generator().manual_seed(11))
    eps = torch.randn((FRAMES - 1, 4, latent, latent), generator=torch.Generator().manual_seed(12))
    # the reference's flow lives on a 512² grid: λ_ref = 32 moves 1 latent pixel per frame here
    ref = pipe("a horse galloping", video_length=FRAMES, height=SIZE, width=SIZE, num_inference_steps=STEPS,
               latents=x_t, generator=torch.Generator().manual_seed(12), motion_field_strength_x=strength,
               motion_field_strength_y=strength, t0=2, t1=3).images
    _restore(pipe.unet)
    spec = EditSpec(mode="text2video", prompt="a horse galloping", frames=FRAMES, steps=STEPS, size=SIZE,
                    t0=0.334, t1=0.501, motion_strength=strength * SIZE / 512, warp="nearest",
                    warp_padding="reflection")
    ours = run_edit(spec, sd_parts, noise=FixedNoise(x_t, torch.cat([eps[:1], eps])), output="float")
    assert ours.shape == ref.shape == (FRAMES, SIZE, SIZE, 3)
    assert np.abs(ours - ref).max() < TOL
    assert np.abs(ref[1] - ref[0]).mean() > 1e-3  # frames differ: the comparison is not trivial


def _controlnet_pipe(sd_components, controlnet):
    scheduler = DDIMScheduler.from_config(sd_components["scheduler"].config)
    pipe = StableDiffusionControlNetPipeline(**{**sd_components, "scheduler": scheduler}, controlnet=controlnet,
                                             safety_checker=None, feature_extractor=None,
                                             requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def test_our_processor_in_diffusers_controlnet_recipe(sd_components, sd_parts):
    """The documented recipe, batch_size=2: diffusers' processor vs ours, same shared latent."""
    net = sd_parts.controlnets["canny"]
    pipe = _controlnet_pipe(sd_components, net)
    controls = [Image.fromarray(f) for f in moving_square_clip(FRAMES, SIZE)]
    latent = torch.randn((1, 4, 16, 16), generator=torch.Generator().manual_seed(5)).repeat(FRAMES, 1, 1, 1)
    call = dict(prompt=["a robot"] * FRAMES, image=controls, latents=latent, num_inference_steps=STEPS,
                output_type="np", height=SIZE, width=SIZE)
    for model in (pipe.unet, pipe.controlnet):
        model.set_attn_processor(ReferenceCrossFrame(batch_size=2))
    ref = pipe(**call).images
    context = CrossFrameContext()
    assert install_cross_frame(pipe.unet, context) == 4 and install_cross_frame(pipe.controlnet, context) == 2
    with context.batch(frames=FRAMES):
        ours = pipe(**call).images
    spec = EditSpec(mode="controlnet", prompt="a robot", controls=(ControlSpec("canny"),), steps=STEPS, size=SIZE,
                    guidance_scale=7.5, scheduler="ddim")
    engine = run_edit(spec, sd_parts, frames=None, controls={"canny": moving_square_clip(FRAMES, SIZE)},
                      noise=FixedNoise(latent[:1]), output="float")
    for model in (pipe.unet, pipe.controlnet):
        _restore(model)
    assert np.abs(ours - ref).max() < TOL
    assert np.abs(engine - ref).max() < TOL


def test_our_processor_in_diffusers_instruct_recipe(instruct_parts):
    """Video Instruct-Pix2Pix recipe, batch_size=3 (text+image, image, uncond), Euler ancestral."""
    p = instruct_parts
    scheduler = EulerAncestralDiscreteScheduler.from_config(p.scheduler.config)
    pipe = StableDiffusionInstructPix2PixPipeline(vae=p.vae, text_encoder=p.text_encoder, tokenizer=p.tokenizer,
                                                  unet=p.unet, scheduler=scheduler, safety_checker=None,
                                                  feature_extractor=None, requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    clip = moving_square_clip(FRAMES, SIZE)
    spec = EditSpec(mode="instruct", instruction="make it snowy", steps=STEPS, size=SIZE, seed=4)
    from t2vz_edit.engine.sampler import FrameNoise
    noise = FrameNoise(spec.seed, (4, 16, 16))
    latents = noise.initial(range(FRAMES))
    call = lambda: dict(prompt=["make it snowy"] * FRAMES, image=[Image.fromarray(f) for f in clip],
                        latents=latents, num_inference_steps=STEPS, image_guidance_scale=1.5, output_type="np",
                        generator=noise.step_generators(range(FRAMES)))
    p.unet.set_attn_processor(ReferenceCrossFrame(batch_size=3))
    ref = pipe(**call()).images
    context = CrossFrameContext()
    install_cross_frame(p.unet, context)
    with context.batch(frames=FRAMES):
        ours = pipe(**call()).images
    _restore(p.unet)
    engine = run_edit(spec, p, frames=clip, output="float")
    assert np.abs(ours - ref).max() < TOL
    assert np.abs(engine - ref).max() < TOL
