"""ControlNet video: a prompt plus one or more controls, cross-frame attention in the UNet and
in every ControlNet, one shared initial latent (Text2Video-Zero Sec. 3.4).

Residuals of several ControlNets are summed, each scaled by its ``ControlSpec.scale``
(Zhang et al. 2023, multi-condition composition).
"""
from __future__ import annotations

import torch

from t2vz_edit.engine.modes.base import Conditions, Mode, per_frame
from t2vz_edit.spec.errors import ModelError


class ControlNetMode(Mode):
    name = "controlnet"

    def __init__(self, spec, parts, device, dtype):
        super().__init__(spec, parts, device, dtype)
        missing = [c.kind for c in spec.controls if c.kind not in parts.controlnets]
        if missing:
            raise ModelError(f"controls {', '.join(missing)}: no ControlNet loaded for them; "
                             f"loaded: {', '.join(parts.controlnets) or 'none'}")
        self.embeds = self._cfg_embeds(spec.prompt)
        self.scales = {c.kind: float(c.scale) for c in spec.controls}

    def models(self):
        return [self.parts.unet] + [self.parts.controlnets[k] for k in self.scales]

    def eps_fn(self, cond: Conditions, scheduler):
        unet, groups = self.parts.unet, self.groups

        def eps(latents: torch.Tensor, t: torch.Tensor, positions) -> torch.Tensor:
            n, idx = latents.shape[0], list(positions)
            x = scheduler.scale_model_input(torch.cat([latents] * groups), t)
            embeds = per_frame(self.embeds, n)
            down, mid = None, None
            for kind, scale in self.scales.items():
                image = torch.cat([cond.controls[kind][idx]] * groups)  # (G·n, 3, H, W)
                d, m = self.parts.controlnets[kind](x, t, encoder_hidden_states=embeds, controlnet_cond=image,
                                                    conditioning_scale=scale, return_dict=False)
                down = d if down is None else [a + b for a, b in zip(down, d)]
                mid = m if mid is None else mid + m
            out = unet(x, t, encoder_hidden_states=embeds, down_block_additional_residuals=down,
                       mid_block_additional_residual=mid, return_dict=False)[0]
            return self._cfg_combine(out)

        return eps
