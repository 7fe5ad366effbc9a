"""Writing a diffusers model as one original-layout (LDM keys) ``.safetensors`` (see ldm_keys.py).

The inverse of :mod:`.single_file`'s loading, used by tests (tiny models travel as single
files) and by users who want a checkpoint other tools read.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from t2vz_edit.engine.models.ldm_keys import to_ldm_state_dict
from t2vz_edit.engine.models.loading import load_folder_components


def save_single_file(parts_or_folder: Any, path: Path | str, *, with_config: bool = False) -> Path:
    """Write UNet + VAE + text encoder as one original-layout (LDM keys) ``.safetensors``.

    ``parts_or_folder``: a diffusers pipeline folder, an ``EngineParts`` or a components dict.
    ``with_config`` also writes ``<stem>.config/`` (configs + tokenizer) so non-SD1.5 sizes
    (tiny test models) load back without shipped configs.
    """
    from safetensors.torch import save_file

    parts = _components(parts_or_folder)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = to_ldm_state_dict(parts["unet"], parts["vae"], parts["text_encoder"])
    save_file(tensors, str(path), metadata={"format": "pt", "written_by": "t2vz-edit"})
    if with_config:
        cfg = path.with_name(path.stem + ".config")
        parts["unet"].save_config(str(cfg / "unet"))
        parts["vae"].save_config(str(cfg / "vae"))
        parts["text_encoder"].config.to_json_file(str(_mkdir(cfg / "text_encoder") / "config.json"))
        parts["scheduler"].save_config(str(cfg / "scheduler"))
        parts["tokenizer"].save_pretrained(str(cfg / "tokenizer"))
    return path


def _mkdir(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _components(obj: Any) -> dict[str, Any]:
    if isinstance(obj, (str, Path)):
        return load_folder_components(Path(obj))
    if isinstance(obj, dict):
        return obj
    return {name: getattr(obj, name) for name in ("unet", "vae", "text_encoder", "tokenizer", "scheduler")}


__all__ = ["save_single_file"]
