"""Text-to-video (Text2Video-Zero): a prompt, motion dynamics, cross-frame attention.

Groups: [uncond, cond] with guidance (2), else [cond] (1).
"""
from __future__ import annotations

import torch

from t2vz_edit.engine.modes.base import Conditions, Mode, per_frame


class Text2VideoMode(Mode):
    name = "text2video"

    def __init__(self, spec, parts, device, dtype):
        super().__init__(spec, parts, device, dtype)
        self.embeds = self._cfg_embeds(spec.prompt)  # (G, L, D)

    def eps_fn(self, cond: Conditions, scheduler):
        unet, groups = self.parts.unet, self.groups

        def eps(latents: torch.Tensor, t: torch.Tensor, positions) -> torch.Tensor:
            n = latents.shape[0]
            x = scheduler.scale_model_input(torch.cat([latents] * groups), t)  # (G·n, C, h, w)
            out = unet(x, t, encoder_hidden_states=per_frame(self.embeds, n), return_dict=False)[0]
            return self._cfg_combine(out)

        return eps
