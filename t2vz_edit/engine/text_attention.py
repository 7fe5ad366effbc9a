"""Text cross-attention (``attn2``) with the prompt's keys/values projected once per guidance group.

Every frame of a guidance group attends to the same prompt embedding: a mode's batch is
group-major, ``per_frame(embeds, n)`` repeats each group's (L, D) embedding n times. Diffusers'
``AttnProcessor2_0`` projects ``to_k`` / ``to_v`` for all G·n rows; here the rows are
deduplicated first — consecutive rows that are bitwise equal share one projection — so the
projections run on G rows (fewer when two groups share a text, as Instruct-Pix2Pix's image-only
and unconditional groups do) and are gathered back per frame. Nothing is assumed about the
layout: rows are compared, so a batch whose rows all differ is projected row by row as before,
and the attention itself is the same fused call on the same tensors (outputs are identical).

>>> e = torch.tensor([[[1.0]], [[1.0]], [[2.0]], [[2.0]], [[1.0]]])
>>> rows, index = distinct_runs(e)
>>> rows.flatten().tolist(), index.tolist()
([1.0, 2.0, 1.0], [0, 0, 1, 1, 2])
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

CROSS_ATTENTION_SUFFIX = "attn2.processor"
DEFAULT_PROCESSORS = ("AttnProcessor2_0", "AttnProcessor")  # what diffusers installs; others are left alone


def distinct_runs(encoder_hidden_states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(U, L, D) rows that start a run of equal consecutive rows, and each of the B rows' run (B,)."""
    rows = encoder_hidden_states
    same = (rows[1:] == rows[:-1]).flatten(1).all(dim=1)  # (B-1,): row b+1 repeats row b
    starts = torch.cat([same.new_ones(1), ~same])  # (B,)
    return rows[starts], starts.long().cumsum(0) - 1


class SharedTextAttnProcessor:
    """``AttnProcessor2_0``'s computation with K/V projected per distinct prompt row (diffusers' signature)."""

    def __init__(self) -> None:
        from diffusers.models.attention_processor import AttnProcessor2_0

        self.fallback = AttnProcessor2_0()
        # every attn2 of one model call gets the same embedding tensor: deduplicate it once per call
        self._seen: tuple[torch.Tensor, int] | None = None
        self._runs: tuple[torch.Tensor, torch.Tensor, int] | None = None

    def runs(self, encoder_hidden_states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int] | None:
        """(distinct rows, index, run length or 0 when runs differ in length) of this embedding
        tensor, or None when every row differs."""
        version = getattr(encoder_hidden_states, "_version", 0) if not encoder_hidden_states.is_inference() else 0
        if self._seen is None or self._seen[0] is not encoder_hidden_states or self._seen[1] != version:
            rows, index = distinct_runs(encoder_hidden_states)
            self._seen = (encoder_hidden_states, version)  # held, so its identity cannot be reused
            batch, distinct = encoder_hidden_states.shape[0], rows.shape[0]
            even = batch % distinct == 0 and bool((torch.bincount(index) == batch // distinct).all())
            self._runs = None if distinct == batch else (rows, index, batch // distinct if even else 0)
        return self._runs

    def __call__(self, attn: Any, hidden_states: torch.Tensor, encoder_hidden_states: torch.Tensor | None = None,
                 attention_mask: torch.Tensor | None = None, temb: torch.Tensor | None = None,
                 *args: Any, **kwargs: Any) -> torch.Tensor:
        if encoder_hidden_states is None or attention_mask is not None or attn.spatial_norm is not None \
                or attn.group_norm is not None or attn.norm_cross or hidden_states.ndim != 3:
            return self.fallback(attn, hidden_states, encoder_hidden_states, attention_mask, temb, *args, **kwargs)
        runs = self.runs(encoder_hidden_states)  # (U, L, Dc) rows, (B,) index, run length; once per call
        if runs is None:  # every row differs: exactly diffusers' processor
            return self.fallback(attn, hidden_states, encoder_hidden_states, attention_mask, temb, *args, **kwargs)
        rows, index, run = runs
        residual, (batch, seq, _) = hidden_states, hidden_states.shape
        query = attn.to_q(hidden_states)  # (B, S, D)
        key, value = attn.to_k(rows), attn.to_v(rows)  # (U, L, D): the prompt projected once per run
        head_dim = key.shape[-1] // attn.heads
        if run:  # equal runs (the engine's group-major batch): a run's frames are one query sequence
            q = query.view(rows.shape[0], run * seq, attn.heads, head_dim).transpose(1, 2)  # (U, h, r·S, d)
        else:  # uneven runs: K/V gathered per row
            key, value = key.index_select(0, index), value.index_select(0, index)
            q = query.view(batch, seq, attn.heads, head_dim).transpose(1, 2)  # (B, h, S, d)
        k, v = (x.view(x.shape[0], -1, attn.heads, head_dim).transpose(1, 2) for x in (key, value))
        if attn.norm_q is not None:
            q = attn.norm_q(q)
        if attn.norm_k is not None:
            k = attn.norm_k(k)
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.0, is_causal=False)
        out = out.transpose(1, 2).reshape(batch, seq, attn.heads * head_dim).to(q.dtype)
        out = attn.to_out[1](attn.to_out[0](out))
        if attn.residual_connection:
            out = out + residual
        return out / attn.rescale_output_factor


def install_shared_text(model: torch.nn.Module) -> int:
    """Put :class:`SharedTextAttnProcessor` on every cross-attention of ``model`` that runs diffusers'
    default processor; returns how many. Self-attention processors are kept as they are."""
    current = model.attn_processors
    chosen = [name for name, proc in current.items()
              if name.endswith(CROSS_ATTENTION_SUFFIX) and type(proc).__name__ in DEFAULT_PROCESSORS]
    if chosen:
        shared = SharedTextAttnProcessor()
        model.set_attn_processor({name: (shared if name in chosen else proc) for name, proc in current.items()})
    return len(chosen)


__all__ = ["SharedTextAttnProcessor", "install_shared_text", "distinct_runs"]
