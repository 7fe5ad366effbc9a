"""What every mode shares: prompt encoding, guidance groups, conditions per position.

A mode's batch for n frames is group-major, (G·n): group g holds frames 0..n-1 in order, which
is the layout :class:`~t2vz_edit.engine.attention.CrossFrameAttnProcessor` splits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import torch

from t2vz_edit.engine.parts import EngineParts


@dataclass
class Conditions:
    """Per-position inputs of one segment (position 0 is the anchor)."""

    image_latents: torch.Tensor | None = None  # (P, C, h, w), Instruct-Pix2Pix image latents (unscaled)
    controls: dict[str, torch.Tensor] = field(default_factory=dict)  # kind → (P, 3, H, W) in [0, 1]


def encode_prompt(parts: EngineParts, text: str, device, dtype) -> torch.Tensor:
    """CLIP last hidden state of ``text`` padded to the tokenizer's length: (1, L, D)."""
    tok = parts.tokenizer
    ids = tok([text], padding="max_length", max_length=tok.model_max_length, truncation=True,
              return_tensors="pt").input_ids.to(device)
    with torch.no_grad():
        return parts.text_encoder(ids)[0].to(dtype)


def per_frame(embeds: torch.Tensor, frames: int) -> torch.Tensor:
    """(G, L, D) → (G·n, L, D), group-major."""
    return embeds.repeat_interleave(frames, dim=0)


class Mode:
    """Base: ``groups`` guidance groups over ``embeds`` (G, L, D); subclasses give ``eps_fn``."""

    name = "base"
    needs_frames = False
    embeds: torch.Tensor

    def __init__(self, spec, parts: EngineParts, device, dtype):
        self.spec, self.parts, self.device, self.dtype = spec, parts, device, dtype
        self.guidance = float(spec.resolved_guidance)

    @property
    def groups(self) -> int:
        return int(self.embeds.shape[0])

    def models(self) -> list[torch.nn.Module]:
        return [self.parts.unet]

    def eps_fn(self, cond: Conditions, scheduler):
        raise NotImplementedError

    def _cfg_embeds(self, prompt: str) -> torch.Tensor:
        """[uncond, cond] with guidance > 1 (the reference's order), else [cond]."""
        cond = encode_prompt(self.parts, prompt, self.device, self.dtype)
        if self.guidance <= 1.0:
            return cond
        uncond = encode_prompt(self.parts, self.spec.negative_prompt, self.device, self.dtype)
        return torch.cat([uncond, cond])

    def _cfg_combine(self, eps: torch.Tensor) -> torch.Tensor:
        if self.groups == 1:
            return eps
        uncond, cond = eps.chunk(2)
        return uncond + self.guidance * (cond - uncond)

