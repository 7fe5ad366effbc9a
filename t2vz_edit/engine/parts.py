"""EngineParts: the loaded components the engine runs with (what model loading returns).

>>> from t2vz_edit.engine.tiny import build_tiny
>>> parts = EngineParts.from_components(build_tiny("sd"))
>>> parts.latent_channels, parts.vae_scale_factor, parts.is_instruct
(4, 4, False)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import torch


@dataclass
class EngineParts:
    """UNet, VAE, text encoder, tokenizer, scheduler and ControlNets keyed by control kind."""

    unet: Any
    vae: Any
    text_encoder: Any
    tokenizer: Any
    scheduler: Any
    controlnets: dict[str, Any] = field(default_factory=dict)
    draft_vae: Any = None  # TAESD (AutoencoderTiny) of draft mode; it replaces ``vae`` for encode/decode
    dtype_choice: str = ""  # why the compute dtype is what it is (``--dtype auto`` says; shown and recorded)

    @classmethod
    def from_components(cls, components: Mapping[str, Any], controlnets: Mapping[str, Any] | None = None,
                        draft_vae: Any = None) -> "EngineParts":
        """From a diffusers-style dict (``pipe.components`` or :func:`~t2vz_edit.engine.tiny.build_tiny`)."""
        return cls(unet=components["unet"], vae=components["vae"], text_encoder=components["text_encoder"],
                   tokenizer=components["tokenizer"], scheduler=components["scheduler"],
                   controlnets=dict(controlnets or {}), draft_vae=draft_vae)

    @property
    def device(self) -> torch.device:
        return next(self.unet.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.unet.parameters()).dtype

    @property
    def latent_channels(self) -> int:
        return int(self.vae.config.latent_channels)

    @property
    def vae_scale_factor(self) -> int:
        """Pixels per latent pixel (8 for SD1.5)."""
        return 2 ** (len(self.vae.config.block_out_channels) - 1)

    @property
    def is_instruct(self) -> bool:
        """Instruct-Pix2Pix UNets take the image latent as 4 extra input channels."""
        return int(self.unet.config.in_channels) == 2 * self.latent_channels

    def models(self) -> list[Any]:
        """The torch modules whose self-attention carries the cross-frame processor."""
        return [self.unet, *self.controlnets.values()]
