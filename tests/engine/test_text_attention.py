"""Prompt K/V of the text cross-attention (attn2) projected once per guidance group, same outputs."""
from __future__ import annotations

import numpy as np
import torch
from diffusers.models.attention_processor import AttnProcessor2_0

from t2vz_edit.engine.run import run_edit
from t2vz_edit.engine.text_attention import SharedTextAttnProcessor, distinct_runs, install_shared_text
from t2vz_edit.spec.edit_spec import EditSpec

from engine_helpers import moving_square_clip

FRAMES = 4


def _attn2(unet):
    return unet.down_blocks[0].attentions[0].transformer_blocks[0].attn2


def test_same_output_as_diffusers_processor(sd_components):
    attn = _attn2(sd_components["unet"])
    g = torch.Generator().manual_seed(0)
    hidden = torch.randn(2 * FRAMES, 64, attn.to_q.in_features, generator=g)
    embeds = torch.randn(2, 77, attn.to_k.in_features, generator=g).repeat_interleave(FRAMES, dim=0)
    ours = SharedTextAttnProcessor()(attn, hidden, embeds)
    reference = AttnProcessor2_0()(attn, hidden, embeds)
    assert torch.equal(ours, reference)


def test_uneven_runs_gather_per_row_with_the_same_output(sd_components):
    attn = _attn2(sd_components["unet"])
    g = torch.Generator().manual_seed(1)
    hidden = torch.randn(3, 64, attn.to_q.in_features, generator=g)
    embeds = torch.randn(2, 77, attn.to_k.in_features, generator=g)[[0, 0, 1]]  # runs of 2 and 1
    reference = AttnProcessor2_0()(attn, hidden, embeds)
    torch.testing.assert_close(SharedTextAttnProcessor()(attn, hidden, embeds), reference, rtol=0, atol=1e-6)


def test_rows_that_differ_are_projected_each():
    embeds = torch.randn(5, 3, 2)
    rows, index = distinct_runs(embeds)
    assert torch.equal(rows, embeds) and index.tolist() == [0, 1, 2, 3, 4]


def _to_k_rows(unet):
    """Rows each attn2.to_k call of ``unet`` gets (a list that fills as the model runs)."""
    seen, hooks = [], []
    for name, module in unet.named_modules():
        if name.endswith("attn2.to_k"):
            hooks.append(module.register_forward_hook(lambda m, inp, out: seen.append(inp[0].shape[0])))
    return seen, hooks


def test_engine_projects_prompt_once_per_group_and_keeps_its_frames(instruct_parts):
    """Instruct-Pix2Pix: 3 groups (text+image, image, uncond; the last two share a text) × 4 frames.
    The prompt goes through to_k for 2 distinct rows per call, not 12, and the frames are the ones
    diffusers' default processor gives."""
    parts, clip = instruct_parts, moving_square_clip(FRAMES, 64)
    spec = EditSpec(mode="instruct", instruction="make it snowy", steps=3, size=64, seed=4, chunk_size=FRAMES)
    seen, hooks = _to_k_rows(parts.unet)
    try:
        ours = run_edit(spec, parts, frames=clip, output="float")
    finally:
        for h in hooks:
            h.remove()
    assert seen and set(seen) == {2}  # per call: [text ; uncond] — not 3 groups × 4 frames
    import t2vz_edit.engine.run as run_module
    original = run_module.install_shared_text
    run_module.install_shared_text = lambda model: 0  # the per-frame path: diffusers' processor
    try:
        per_frame = run_edit(spec, parts, frames=clip, output="float")
    finally:
        run_module.install_shared_text = original
    assert np.array_equal(ours, per_frame)


def test_processors_found_are_restored_after_a_run(sd_parts):
    before = {k: type(v).__name__ for k, v in sd_parts.unet.attn_processors.items()}
    spec = EditSpec(mode="text2video", prompt="a horse", frames=2, steps=2, size=64, t0=0.5, t1=0.75)
    run_edit(spec, sd_parts)
    assert {k: type(v).__name__ for k, v in sd_parts.unet.attn_processors.items()} == before
    assert install_shared_text(sd_parts.unet) == sum(k.endswith("attn2.processor") for k in before)
    sd_parts.unet.set_attn_processor(AttnProcessor2_0())
