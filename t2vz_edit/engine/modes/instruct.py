"""Video Instruct-Pix2Pix: an instruction applied to every frame with cross-frame attention.

Groups (Brooks et al. 2023, eq. 3): [text+image, image only, unconditional]; the image
latents (VAE mode, unscaled) are concatenated on the channel axis: [img, img, 0]. Guidance:
ε = ε_u + s_T·(ε_TI − ε_I) + s_I·(ε_I − ε_u).
"""
from __future__ import annotations

import torch

from t2vz_edit.engine.modes.base import Conditions, Mode, encode_prompt, per_frame
from t2vz_edit.spec.errors import ModelError


class InstructMode(Mode):
    name = "instruct"
    needs_frames = True

    def __init__(self, spec, parts, device, dtype):
        super().__init__(spec, parts, device, dtype)
        if not parts.is_instruct:
            raise ModelError(f"model {spec.resolved_model}: instruct mode needs an Instruct-Pix2Pix UNet "
                             f"({2 * parts.latent_channels} input channels), this one has {parts.unet.config.in_channels}; "
                             "use e.g. --model timbrooks/instruct-pix2pix")
        text = encode_prompt(parts, spec.instruction, device, dtype)
        uncond = encode_prompt(parts, spec.negative_prompt, device, dtype)
        self.embeds = torch.cat([text, uncond, uncond])  # (3, L, D)
        self.image_guidance = float(spec.image_guidance_scale)

    def eps_fn(self, cond: Conditions, scheduler):
        unet, img = self.parts.unet, cond.image_latents  # (P, C, h, w)

        def eps(latents: torch.Tensor, t: torch.Tensor, positions) -> torch.Tensor:
            n, idx = latents.shape[0], list(positions)
            image = img[idx]
            x = scheduler.scale_model_input(torch.cat([latents] * 3), t)
            x = torch.cat([x, torch.cat([image, image, torch.zeros_like(image)])], dim=1)  # (3n, 2C, h, w)
            out = unet(x, t, encoder_hidden_states=per_frame(self.embeds, n), return_dict=False)[0]
            e_ti, e_i, e_u = out.chunk(3)
            return e_u + self.guidance * (e_ti - e_i) + self.image_guidance * (e_i - e_u)

        return eps
