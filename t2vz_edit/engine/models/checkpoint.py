"""Reading model files without building anything: checkpoints, architecture, configs (a leaf).

Everything here looks at files only (tensor names and shapes, JSON), so the store, the
loaders, LoRA fusing and draft mode share it without importing one another.

>>> detect_architecture({UNET_IN: (320, 8, 3, 3)})
'instruct'
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import torch

from t2vz_edit.spec.errors import ModelError

UNET_IN = "model.diffusion_model.input_blocks.0.0.weight"  # (C, in_channels, 3, 3)
CONTROL_HINT = ("control_model.input_hint_block.0.weight", "input_hint_block.0.weight")


def read_checkpoint(path: Path) -> dict[str, torch.Tensor]:
    """Tensors of a .safetensors file, or of a pickle loaded weights-only (no code runs)."""
    path = Path(path)
    if path.suffix.lower() == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except (SafetensorError, OSError, ValueError) as exc:
            raise ModelError(f"corrupt or truncated safetensors file ({' '.join(str(exc).split())}); "
                             "download or export it again", path=path) from None
    try:
        data = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - UnpicklingError and friends: refuse, one line
        raise ModelError(f"pickle refused: it holds more than plain tensors ({type(exc).__name__}); pickles can run "
                         "code, so convert it to .safetensors with a trusted tool first", path=path) from None
    if isinstance(data, dict) and isinstance(data.get("state_dict"), dict):
        data = data["state_dict"]  # Lightning-style .ckpt
    if not isinstance(data, dict) or not all(isinstance(v, torch.Tensor) for v in data.values()):
        raise ModelError("not a checkpoint: expected a mapping of parameter names to tensors", path=path)
    return data


def _shapes(path: Path) -> dict[str, tuple[int, ...]]:
    if path.suffix.lower() != ".safetensors":
        return {k: tuple(v.shape) for k, v in read_checkpoint(path).items()}
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            return {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelError(f"corrupt or truncated safetensors file ({' '.join(str(exc).split())}); "
                         "download or export it again", path=path) from None


_LORA_KEY = re.compile(r"^(lora_unet_|lora_te\d?_)|\.(lora_A|lora_B|lora_down|lora_up)\.|\.lora\.(down|up)\.|"
                       r"\.lora_linear_layer\.(down|up)\.")


def is_lora(shapes: dict[str, tuple[int, ...]]) -> bool:
    """True for a LoRA file (kohya ``lora_unet_*`` / diffusers ``*.lora_A`` ...): low-rank updates, no UNet.

    >>> is_lora({"lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight": (4, 320, 1, 1)})
    True
    """
    return bool(shapes) and UNET_IN not in shapes and any(_LORA_KEY.search(k) for k in shapes)


def detect_architecture(shapes: dict[str, tuple[int, ...]], *, path: Path | str = "checkpoint") -> str:
    """'sd', 'instruct' or 'controlnet' from parameter names and shapes; ModelError otherwise."""
    if any(k in shapes for k in CONTROL_HINT):
        return "controlnet"
    if any(k.startswith("conditioner.embedders.1") for k in shapes):
        raise ModelError("this is an SDXL checkpoint; only the SD1.5 family is supported", path=path)
    if any(k.startswith("cond_stage_model.model.") for k in shapes):
        raise ModelError("this is an SD2.x (OpenCLIP) checkpoint; only the SD1.5 family is supported", path=path)
    if is_lora(shapes):
        raise ModelError("this is a LoRA file, not a base model; pass it with --lora FILE[:SCALE] (or draft_lora)",
                         path=path)
    if UNET_IN not in shapes:
        raise ModelError("not a Stable Diffusion checkpoint (no model.diffusion_model.* UNet weights); "
                         "give an SD1.5-family .safetensors or a diffusers folder", path=path)
    in_channels = shapes[UNET_IN][1]
    if in_channels not in (4, 8):
        raise ModelError(f"UNet takes {in_channels} input channels (9 = inpainting); supported: 4 (SD1.5) "
                         "and 8 (Instruct-Pix2Pix)", path=path)
    return "instruct" if in_channels == 8 else "sd"


def detect_architecture_of_file(path: Path) -> str:
    return detect_architecture(_shapes(Path(path)), path=path)


def file_kind(path: Path) -> str:
    """'lora', or what :func:`detect_architecture` says, of a single weights file."""
    shapes = _shapes(Path(path))
    return "lora" if is_lora(shapes) else detect_architecture(shapes, path=path)


def has_tokenizer_files(folder: Path) -> bool:
    """A CLIP BPE tokenizer: slow-format vocab + merges, or the fast ``tokenizer.json``."""
    return (folder / "tokenizer.json").is_file() or ((folder / "vocab.json").is_file() and (folder / "merges.txt").is_file())


def read_json(path: Path) -> dict[str, Any]:
    """A model's JSON config; :class:`ModelError` naming the file when it cannot be read."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"unreadable config ({exc})", path=path) from None


__all__ = ["read_checkpoint", "detect_architecture", "detect_architecture_of_file", "has_tokenizer_files",
           "read_json", "UNET_IN", "CONTROL_HINT"]
