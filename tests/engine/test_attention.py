"""Cross-frame attention: groups from the batch, anchor-only projection, install, no silent drop."""
from __future__ import annotations

import pytest
import torch
from diffusers.models.attention_processor import AttnProcessor2_0
from diffusers.pipelines.deprecated.text_to_video_synthesis.pipeline_text_to_video_zero import (
    CrossFrameAttnProcessor as ReferenceCrossFrame)

from t2vz_edit.engine.attention import (CrossFrameAttnProcessor, CrossFrameContext, CrossFrameError,
                                        install_cross_frame, self_attention_names, verify_cross_frame)

FRAMES = 3


@pytest.fixture()
def attn1(sd_components):
    block = sd_components["unet"].down_blocks[0].attentions[0].transformer_blocks[0]
    return block.attn1


@pytest.mark.parametrize("groups", [1, 2, 3])
def test_group_count_comes_from_the_batch(attn1, groups):
    hidden = torch.randn(groups * FRAMES, 64, attn1.to_q.in_features)
    context = CrossFrameContext()
    with context.batch(frames=FRAMES):
        ours = CrossFrameAttnProcessor(context)(attn1, hidden)
    reference = ReferenceCrossFrame(batch_size=groups)(attn1, hidden)
    assert torch.allclose(ours, reference, atol=1e-5)
    # each group's anchor is its own: a different anchor in group 0 changes group 0 only
    changed = hidden.clone()
    changed[0] += 1.0
    with context.batch(frames=FRAMES):
        out = CrossFrameAttnProcessor(context)(attn1, changed)
    assert not torch.allclose(out[:FRAMES], ours[:FRAMES])
    assert torch.allclose(out[FRAMES:], ours[FRAMES:])


def test_keys_and_values_are_projected_for_the_anchors_only(attn1):
    seen = []
    hooks = [m.register_forward_hook(lambda mod, inp, out: seen.append(tuple(inp[0].shape)))
             for m in (attn1.to_k, attn1.to_v)]
    context = CrossFrameContext()
    with context.batch(frames=FRAMES):
        CrossFrameAttnProcessor(context)(attn1, torch.randn(2 * FRAMES, 64, attn1.to_q.in_features))
    for h in hooks:
        h.remove()
    assert seen == [(2, 64, attn1.to_q.in_features)] * 2  # G anchors, not G·F frames


def test_batch_that_does_not_split_into_groups_is_refused(attn1):
    context = CrossFrameContext()
    with context.batch(frames=4), pytest.raises(CrossFrameError, match="not a whole number"):
        CrossFrameAttnProcessor(context)(attn1, torch.randn(6, 64, attn1.to_q.in_features))


def test_installed_on_every_self_attention_of_unet_and_controlnet(sd_components, sd_parts):
    unet, net = sd_components["unet"], sd_parts.controlnets["canny"]
    blocks = lambda m: sum(type(x).__name__ == "BasicTransformerBlock" for x in m.modules())
    context = CrossFrameContext()
    try:
        assert install_cross_frame(unet, context) == blocks(unet) == 4
        assert install_cross_frame(net, context) == blocks(net) == 2
        for model in (unet, net):
            procs = model.attn_processors
            assert all(isinstance(procs[n], CrossFrameAttnProcessor) for n in self_attention_names(model))
            assert not any(isinstance(p, CrossFrameAttnProcessor) for n, p in procs.items() if "attn2" in n)
            verify_cross_frame(model, context)
    finally:
        for model in (unet, net):
            model.set_attn_processor(AttnProcessor2_0())


@pytest.mark.parametrize("drop", ["slicing", "set_processor"])
def test_memory_settings_cannot_silently_drop_it(sd_components, drop):
    unet, context = sd_components["unet"], CrossFrameContext()
    install_cross_frame(unet, context)
    try:
        if drop == "slicing":
            unet.set_attention_slice(1)
        else:
            unet.set_attn_processor(AttnProcessor2_0())
        with pytest.raises(CrossFrameError, match="replaced on 4 self-attention"):
            verify_cross_frame(unet, context)
    finally:
        unet.set_attn_processor(AttnProcessor2_0())


def _unet_chunked(unet, context, x, emb, t, bounds):
    """Anchor pass (recorded) then chunks reusing its K/V; (G, F, ...) inputs."""
    g = x.shape[0]
    with torch.no_grad():
        with context.record_anchor():
            outs = [unet(x[:, 0], t, encoder_hidden_states=emb[:, 0]).sample[:, None]]
        with context.reuse_anchor():
            for lo, hi in bounds:
                flat = lambda a: a[:, lo:hi].reshape(-1, *a.shape[2:])
                outs.append(unet(flat(x), t, encoder_hidden_states=flat(emb)).sample.view(g, hi - lo, *x.shape[2:]))
    return torch.cat(outs, 1)


@pytest.mark.parametrize("mode", ["anchor", "anchor+previous"])
def test_recorded_anchor_reused_by_chunks_equals_one_batch(sd_components, mode):
    unet, context = sd_components["unet"], CrossFrameContext(mode)
    x, emb, t = torch.randn(2, 5, 4, 8, 8), torch.randn(2, 5, 77, 32), torch.tensor(500)
    install_cross_frame(unet, context)
    try:
        with torch.no_grad(), context.batch(frames=5):
            whole = unet(x.reshape(10, 4, 8, 8), t, encoder_hidden_states=emb.reshape(10, 77, 32)).sample
        chunked = _unet_chunked(unet, context, x, emb, t, [(1, 2), (2, 4), (4, 5)])
    finally:
        unet.set_attn_processor(AttnProcessor2_0())
    assert torch.allclose(chunked.reshape(10, 4, 8, 8), whole, atol=1e-5)


def test_unknown_mode_is_refused():
    with pytest.raises(CrossFrameError, match="anchor, anchor\\+previous"):
        CrossFrameContext("everything")
