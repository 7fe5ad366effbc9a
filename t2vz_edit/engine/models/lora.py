"""LoRA files fused into the UNet / text encoder weights: W ← W + scale · (α / r) · B·A.

Reads the two formats SD1.5 LoRAs come in, from ``.safetensors`` only:

- kohya-ss (A1111, civitai): ``lora_unet_<module_with_underscores>.lora_down.weight`` /
  ``.lora_up.weight`` / ``.alpha`` and ``lora_te_<module>`` for the text encoder; module names
  are matched against the model's own modules with ``.`` written as ``_`` (kohya's rule);
- diffusers: ``unet.<module>.lora_A.weight`` / ``lora_B.weight`` (PEFT), the older
  ``<module>.lora.down/up.weight`` and attention-processor ``…processor.to_q_lora.down.weight``.

Fusing (instead of diffusers' PEFT adapters, which need the ``peft`` package) keeps inference at
the base model's cost and leaves no hooks for the cross-frame attention processor to meet.
Scale 0 leaves the weights untouched.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import torch

from t2vz_edit.engine.models.checkpoint import read_checkpoint
from t2vz_edit.spec.errors import InputNotFoundError, ModelError

_KOHYA = re.compile(r"^(lora_unet|lora_te)_(.+)\.(lora_down|lora_up)\.weight$")
_DIFFUSERS = re.compile(r"^(?:(unet|text_encoder)\.)?(.+?)\.(lora_A|lora_B|lora\.down|lora\.up|"
                        r"lora_linear_layer\.down|lora_linear_layer\.up|down|up)\.weight$")
_PROC = {"to_q_lora": "to_q", "to_k_lora": "to_k", "to_v_lora": "to_v", "to_out_lora": "to_out.0"}
_TE_PROC = {"to_q": "q_proj", "to_k": "k_proj", "to_v": "v_proj", "to_out.0": "out_proj"}


@dataclass
class LoraLayer:
    """One low-rank update: ΔW = (α / r) · up @ down, up (out, r[,1,1]), down (r, in[,k,k])."""

    target: str  # "unet" | "text_encoder"
    module: str  # dotted module name in the target, or kohya's underscored name
    down: torch.Tensor | None = None
    up: torch.Tensor | None = None
    alpha: float | None = None

    @property
    def factor(self) -> float:
        rank = self.down.shape[0]
        return (self.alpha / rank) if self.alpha is not None else 1.0


def read_lora(path: Path) -> list[LoraLayer]:
    """Parse a LoRA file into layers (module names still to be matched)."""
    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError("LoRA file does not exist; check --lora", path=path)
    if path.suffix.lower() != ".safetensors":
        raise ModelError("LoRA files are read as .safetensors only (pickles can run code); convert it first", path=path)
    tensors = read_checkpoint(path)
    layers: dict[tuple[str, str], LoraLayer] = {}
    for key, value in tensors.items():
        if m := _KOHYA.match(key):
            target = "unet" if m[1] == "lora_unet" else "text_encoder"
            layer = layers.setdefault((target, m[2]), LoraLayer(target, m[2]))
            _set(layer, "down" if m[3] == "lora_down" else "up", value)
            alpha = tensors.get(f"{m[1]}_{m[2]}.alpha")
            layer.alpha = None if alpha is None else float(alpha)
        elif m := _DIFFUSERS.match(key):
            target, module = m[1] or "unet", _diffusers_module_name(m[1] or "unet", m[2])
            layer = layers.setdefault((target, module), LoraLayer(target, module))
            _set(layer, "down" if m[3] in ("lora_A", "lora.down", "lora_linear_layer.down", "down") else "up", value)
            alpha = tensors.get(f"{m[1] + '.' if m[1] else ''}{m[2]}.alpha")
            layer.alpha = None if alpha is None else float(alpha)
        elif not key.endswith(".alpha"):
            raise ModelError(f"not a LoRA file: unexpected tensor {key!r} (kohya lora_unet_* / diffusers unet.*.lora_A "
                             "formats are read)", path=path)
    incomplete = [lay.module for lay in layers.values() if lay.down is None or lay.up is None]
    if not layers or incomplete:
        raise ModelError(f"not a usable LoRA file ({'no layers' if not layers else 'half a layer: ' + incomplete[0]})",
                         path=path)
    for layer in layers.values():
        check_layer(layer, path)
    return list(layers.values())


def check_layer(layer: LoraLayer, path: Path) -> None:
    """One line naming the file when a layer's factors cannot be a low-rank update or hold NaN/inf.

    up (out, r[,1,1]) @ down (r, in[,k,k]) needs the same rank r on both sides (a file stitched
    from two LoRAs of different ranks fails here instead of as a matrix-multiply error).
    """
    down, up = layer.down, layer.up
    if down.dim() not in (2, 4) or up.dim() not in (2, 4):
        raise ModelError(f"LoRA layer {layer.module} has up {tuple(up.shape)} and down {tuple(down.shape)}; "
                         "expected 2-D (linear) or 4-D (conv) factors — the file is damaged, export it again",
                         path=path)
    if up.shape[1] != down.shape[0]:
        raise ModelError(f"LoRA layer {layer.module} mixes ranks: up {tuple(up.shape)} has rank {up.shape[1]}, "
                         f"down {tuple(down.shape)} has rank {down.shape[0]}; the file is damaged or merged from "
                         "LoRAs of different ranks — export it again or drop this --lora", path=path)
    for name, tensor in (("up", up), ("down", down)):
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            bad = int((~torch.isfinite(tensor)).sum())
            raise ModelError(f"LoRA layer {layer.module} {name} holds {bad} NaN/inf values; the file is broken "
                             "(an overflowed half-precision export?) — export it again or drop this --lora", path=path)
    if layer.alpha is not None and not math.isfinite(layer.alpha):
        raise ModelError(f"LoRA layer {layer.module} has alpha {layer.alpha}; export it again or drop this --lora",
                         path=path)


def _set(layer: LoraLayer, which: str, value: torch.Tensor) -> None:
    setattr(layer, which, value)


def _diffusers_module_name(target: str, name: str) -> str:
    name = name.replace(".processor.", ".")
    for old, new in _PROC.items():
        if name.endswith(old):
            name = name[: -len(old)] + new
            if target == "text_encoder":
                name = name[: -len(new)] + _TE_PROC[new]
    return name


def _module_table(model: torch.nn.Module, kohya_prefix: str) -> dict[str, torch.nn.Module]:
    """Dotted and kohya-underscored names of every layer a LoRA can touch."""
    table: dict[str, torch.nn.Module] = {}
    for name, module in model.named_modules():
        if isinstance(module, (torch.nn.Linear, torch.nn.Conv2d)):
            names = [name]
            if kohya_prefix == "text_encoder" and not name.startswith("text_model."):
                names.append("text_model." + name)  # LoRAs use "text_model.…"; transformers 5 modules do not
            for alias in names:
                table[alias] = module
                table[f"{kohya_prefix}:{alias.replace('.', '_')}"] = module
    return table


@torch.no_grad()
def fuse_lora(models: dict[str, torch.nn.Module], path: Path, scale: float,
              layers: list[LoraLayer] | None = None) -> int:
    """Add ``scale`` × the LoRA at ``path`` into ``models`` ({'unet': …, 'text_encoder': …}); returns layers fused.

    ``layers``: the file as :func:`read_lora` already read it (else it is read here).
    """
    layers = read_lora(Path(path)) if layers is None else layers
    if scale == 0:
        return 0
    tables = {t: _module_table(m, t) for t, m in models.items()}
    fused = 0
    for layer in layers:
        table = tables.get(layer.target, {})
        module = table.get(layer.module) or table.get(f"{layer.target}:{layer.module}")
        if module is None:
            raise ModelError(f"LoRA layer {layer.target}.{layer.module} has no matching layer in the model; "
                             "is it a LoRA for the SD1.5 family?", path=path)
        up, down = layer.up.float().flatten(1), layer.down.float().flatten(1)
        expected = (module.weight.shape[0], module.weight[0].numel())  # (out, in·k·k)
        if (up.shape[0], down.shape[1]) != expected:  # same element count is not enough: (in, out) is refused too
            raise ModelError(f"LoRA layer {layer.module} makes an update of shape {(up.shape[0], down.shape[1])} but "
                             f"the model's layer is {tuple(module.weight.shape)}; it was trained for another base "
                             "architecture (or its factors are transposed) — use a LoRA for this model", path=path)
        delta = up @ down  # (out, in·k·k)
        update = (scale * layer.factor) * delta.reshape(module.weight.shape)
        module.weight.add_(update.to(device=module.weight.device, dtype=module.weight.dtype))
        fused += 1
    return fused


def read_loras(loras: Iterable) -> list[tuple[Path, float, list[LoraLayer]]]:
    """Read and check every ``LoraSpec`` (path, scale) before any model loads: (path, scale, layers) each."""
    out = []
    for spec in loras:
        path = Path(spec.path).expanduser()
        out.append((path, float(spec.scale), read_lora(path)))
    return out


def apply_loras(models: dict[str, torch.nn.Module], loras: Iterable) -> int:
    """Fuse every ``LoraSpec`` (or :func:`read_loras` item) in order; returns the number of layers changed."""
    read = [item if isinstance(item, tuple) else read_loras([item])[0] for item in loras]
    return sum(fuse_lora(models, path, scale, layers) for path, scale, layers in read)


__all__ = ["read_lora", "read_loras", "check_layer", "fuse_lora", "apply_loras", "LoraLayer"]
