"""Cross-frame attention: every frame's queries attend to its guidance group's anchor frame.

Text2Video-Zero (Khachatryan et al. 2023, eq. 7) replaces each self-attention (``attn1``) of
the UNet, and of any ControlNet, by ``softmax(Q_k K_1^T / sqrt(d)) V_1``: queries from frame
k, keys and values from frame 1. Here:

* K/V are projected for the anchor only (``to_k(hidden[anchor])``), never for every frame.
* All F·S queries of a group attend to the same S anchor keys, so a group is ONE fused
  ``scaled_dot_product_attention`` call of shape (G, heads, F·S, d) × (G, heads, S, d).
* The group count G is derived from the batch: G = batch // frames, where ``frames`` (frames
  per group in the call) is set by the caller on the shared :class:`CrossFrameContext`; 1
  without guidance, 2 with text or ControlNet guidance, 3 for Instruct-Pix2Pix.
* Step-major chunking: in the ``record`` phase the batch holds only the G anchors and their
  K/V are kept per layer; in the ``reuse`` phase a chunk of non-anchor frames attends to the
  recorded K/V, so the anchor is computed once per step whatever the chunk count.
* ``anchor+previous``: keys/values of the anchor and of the previous frame (concatenated); a
  chunk's first frame takes its previous frame's K/V recorded from the chunk before, and a
  segment's first frame those of the previous segment's last frame, kept per step (on the CPU:
  one frame's K/V per layer and step, e.g. ~180 MB per step for SD1.5 at 512² with guidance in
  float32), so segments do not change frames in this mode either.

>>> ctx = CrossFrameContext()
>>> with ctx.batch(frames=8):
...     ctx.frames, ctx.phase
(8, 'batch')
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import torch
import torch.nn.functional as F

from t2vz_edit.spec.errors import T2VZError

MODES = ("anchor", "anchor+previous")
SELF_ATTENTION_SUFFIX = "attn1.processor"


class CrossFrameError(T2VZError, RuntimeError):
    """Cross-frame attention is missing, was replaced, or got a batch it cannot split."""


class CrossFrameContext:
    """What the processors of one model set share: the batch layout and the anchor K/V cache."""

    def __init__(self, mode: str = "anchor"):
        if mode not in MODES:
            raise CrossFrameError(f"cross_frame {mode!r} is not allowed here; use one of: {', '.join(MODES)}")
        self.mode = mode
        self.phase = "batch"  # batch | record | reuse
        self.frames = 1  # frames per guidance group in the next model call (phase "batch")
        self.anchor_kv: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}  # per layer: (G, S, D) each
        self.previous_kv: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        # anchor+previous across segments: last frame's K/V per layer, per step index
        self.last_kv: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self.carry_in: dict[int, dict[int, tuple[torch.Tensor, torch.Tensor]]] = {}
        self.carry_out: dict[int, dict[int, tuple[torch.Tensor, torch.Tensor]]] = {}
        self.carrying, self.step = False, -1

    @contextmanager
    def _set(self, phase: str, frames: int) -> Iterator["CrossFrameContext"]:
        saved = (self.phase, self.frames)
        self.phase, self.frames = phase, frames
        try:
            yield self
        finally:
            self.phase, self.frames = saved

    def batch(self, frames: int):
        """Anchors are in the batch: frames 0, F, 2F, ... of a (G·F)-sample batch."""
        return self._set("batch", int(frames))

    def record_anchor(self):
        """The batch is the G anchors alone; keep their K/V for the ``reuse`` calls of this step."""
        self.anchor_kv.clear()
        self.previous_kv.clear()
        return self._set("record", 1)

    def reuse_anchor(self):
        """The batch is a chunk of non-anchor frames, in frame order; use the recorded K/V."""
        if not self.anchor_kv:
            raise CrossFrameError("reuse_anchor() before record_anchor(): run the anchor first in each step")
        return self._set("reuse", 0)

    def clear(self) -> None:
        self.anchor_kv.clear()
        self.previous_kv.clear()

    # -- anchor+previous across segments -------------------------------------------------------
    def start_segment(self, continues: bool) -> None:
        """Before a segment's denoising: its first frame continues the last segment (or not)."""
        self.carry_in = self.carry_out if continues else {}
        self.carry_out, self.carrying = {}, self.mode == "anchor+previous"

    def stop_carrying(self) -> None:
        """Denoising that is not a segment of the clip (the anchor's own backward run)."""
        self.carry_in, self.carrying = {}, False

    def start_step(self, index: int) -> None:
        self.step = index
        self.last_kv.clear()

    def finish_step(self, index: int) -> None:
        """Keep the last frame's K/V of this step for the next segment."""
        if self.carrying and self.last_kv:
            self.carry_out[index] = {key: (k.cpu(), v.cpu()) for key, (k, v) in self.last_kv.items()}
        self.last_kv.clear()

    def carried(self, key: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
        """K/V (G, S, D) of the frame before this segment's first frame at this step, or None."""
        kv = self.carry_in.get(self.step, {}).get(key)
        return None if kv is None else tuple(x.to(like.device, like.dtype) for x in kv)


def _heads(x: torch.Tensor, groups: int, heads: int) -> torch.Tensor:
    """(G·F, S, D) → (G, heads, F·S, D/heads): a group's frames become one long sequence."""
    return x.reshape(groups, -1, heads, x.shape[-1] // heads).transpose(1, 2)


class CrossFrameAttnProcessor:
    """Attention processor with diffusers' signature; installed on self-attention only."""

    def __init__(self, context: CrossFrameContext):
        self.context = context

    def __call__(self, attn: Any, hidden_states: torch.Tensor, encoder_hidden_states: torch.Tensor | None = None,
                 attention_mask: torch.Tensor | None = None, temb: torch.Tensor | None = None,
                 *args: Any, **kwargs: Any) -> torch.Tensor:
        if encoder_hidden_states is not None or attention_mask is not None:
            raise CrossFrameError("cross-frame attention is for self-attention without a mask; "
                                  "install it on attn1 layers only (install_cross_frame does)")
        residual, shape4d = hidden_states, None
        if attn.spatial_norm is not None:
            hidden_states = attn.spatial_norm(hidden_states, temb)
        if hidden_states.ndim == 4:  # (B, C, H, W) → (B, H·W, C)
            shape4d = hidden_states.shape
            hidden_states = hidden_states.flatten(2).transpose(1, 2)
        if attn.group_norm is not None:
            hidden_states = attn.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)
        out = self._attend(attn, hidden_states)  # (B, S, D)
        out = attn.to_out[1](attn.to_out[0](out))
        if shape4d is not None:
            out = out.transpose(1, 2).reshape(shape4d)
        if attn.residual_connection:
            out = out + residual
        return out / attn.rescale_output_factor

    # -- K/V of the anchors --------------------------------------------------------------------
    def _anchor_kv(self, attn: Any, hidden: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int]:
        """(K, V) of each group's anchor, each (G, S, D), and frames per group in this batch."""
        ctx, batch = self.context, hidden.shape[0]
        if ctx.phase == "reuse":
            k, v = ctx.anchor_kv[id(self)]
            if batch % k.shape[0]:
                raise CrossFrameError(f"a batch of {batch} cannot be split into {k.shape[0]} guidance groups")
            return k, v, batch // k.shape[0]
        frames = ctx.frames
        if frames < 1 or batch % frames:
            raise CrossFrameError(f"a batch of {batch} samples is not a whole number of groups of {frames} frames; "
                                  "set CrossFrameContext.batch(frames=...) to the frames per guidance group")
        anchors = hidden[::frames]  # (G, S, D): frame 0 of each group, projected alone
        k, v = attn.to_k(anchors), attn.to_v(anchors)
        if ctx.phase == "record":
            ctx.anchor_kv[id(self)] = (k, v)
            ctx.previous_kv[id(self)] = (k, v)  # frame 1's previous frame is the anchor
        return k, v, frames

    def _attend(self, attn: Any, hidden: torch.Tensor) -> torch.Tensor:
        k_anchor, v_anchor, frames = self._anchor_kv(attn, hidden)
        groups, heads = k_anchor.shape[0], attn.heads
        query = attn.to_q(hidden)  # (G·F, S, D)
        if self.context.mode == "anchor+previous":
            k_anchor, v_anchor = self._with_previous(attn, hidden, k_anchor, v_anchor, frames)
            groups = hidden.shape[0]  # one "group" per frame: each frame has its own keys
        q = _heads(query, groups, heads)  # (G, h, F·S, d)
        k, v = _heads(k_anchor, groups, heads), _heads(v_anchor, groups, heads)  # (G, h, S', d)
        if attn.norm_q is not None:
            q, k = attn.norm_q(q), attn.norm_k(k)
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.0, scale=attn.scale)
        return out.transpose(1, 2).reshape(hidden.shape[0], hidden.shape[1], -1).to(query.dtype)

    def _with_previous(self, attn: Any, hidden: torch.Tensor, k_anchor: torch.Tensor, v_anchor: torch.Tensor,
                       frames: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-frame keys [anchor ; previous frame], each (G·F, 2S, D); frame 0's previous is itself.

        In a segment after the first, position 1 (the segment's first frame) gets the carried
        K/V of the frame before it instead of the anchor's.
        """
        ctx, (batch, seq, dim), key = self.context, hidden.shape, id(self)
        groups = batch // frames
        k_all = attn.to_k(hidden).view(groups, frames, seq, -1)
        v_all = attn.to_v(hidden).view(groups, frames, seq, -1)
        carried = ctx.carried(key, k_all)
        if ctx.phase == "reuse":
            k_first, v_first = ctx.previous_kv[key]  # last frame of the chunk before, (G, S, D)
            k_prev = torch.cat([k_first[:, None], k_all[:, :-1]], dim=1)  # (G, F, S, D)
            v_prev = torch.cat([v_first[:, None], v_all[:, :-1]], dim=1)
            ctx.previous_kv[key] = (k_all[:, -1], v_all[:, -1])
        else:  # position 0 is the anchor, its own previous frame
            k_prev = torch.cat([k_all[:, :1], k_all[:, :-1]], dim=1)
            v_prev = torch.cat([v_all[:, :1], v_all[:, :-1]], dim=1)
            if carried is not None and frames > 1:
                k_prev[:, 1], v_prev[:, 1] = carried
            if ctx.phase == "record":
                ctx.previous_kv[key] = carried if carried is not None else (k_all[:, 0], v_all[:, 0])
        ctx.last_kv[key] = (k_all[:, -1], v_all[:, -1])
        expand = (groups, frames, seq, k_anchor.shape[-1])
        k = torch.cat([k_anchor[:, None].expand(expand), k_prev], dim=2).reshape(batch, 2 * seq, -1)
        v = torch.cat([v_anchor[:, None].expand(expand), v_prev], dim=2).reshape(batch, 2 * seq, -1)
        return k, v


# -- installing and checking -------------------------------------------------------------------

def self_attention_names(model: torch.nn.Module) -> list[str]:
    """Processor names of every self-attention (``...attn1.processor``) of a UNet or ControlNet."""
    return [name for name in model.attn_processors if name.endswith(SELF_ATTENTION_SUFFIX)]


def install_cross_frame(model: torch.nn.Module, context: CrossFrameContext) -> int:
    """Put a cross-frame processor on every self-attention of ``model``; returns how many.

    Other processors (cross-attention ``attn2``) are kept as they are.
    """
    current = model.attn_processors
    names = self_attention_names(model)
    if not names:
        raise CrossFrameError(f"{type(model).__name__} has no self-attention (attn1) layers to make cross-frame")
    new = {name: (CrossFrameAttnProcessor(context) if name in names else proc) for name, proc in current.items()}
    model.set_attn_processor(new)
    return len(names)


def dropped_layers(model: torch.nn.Module, context: CrossFrameContext) -> list[str]:
    """Self-attention layers whose processor is not this context's cross-frame processor."""
    procs = model.attn_processors
    return [name for name in self_attention_names(model)
            if not (isinstance(procs[name], CrossFrameAttnProcessor) and procs[name].context is context)]


def verify_cross_frame(model: torch.nn.Module, context: CrossFrameContext) -> None:
    """Raise when attention slicing, xformers or ``set_attn_processor`` replaced the processor."""
    missing = dropped_layers(model, context)
    if missing:
        found = type(model.attn_processors[missing[0]]).__name__
        raise CrossFrameError(
            f"cross-frame attention was replaced on {len(missing)} self-attention layer(s) of "
            f"{type(model).__name__} (e.g. {missing[0]} now uses {found}); attention slicing, xformers or "
            "set_attn_processor after install drop it: call install_cross_frame again or leave them off")


__all__ = ["CrossFrameAttnProcessor", "CrossFrameContext", "CrossFrameError", "install_cross_frame",
           "verify_cross_frame", "dropped_layers", "self_attention_names", "MODES"]
