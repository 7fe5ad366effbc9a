"""Configs of a single-file checkpoint: its ``<stem>.config/`` folder, else the SD1.5 configs shipped in the package.

Kept apart from :mod:`.single_file` (which also resolves tokenizers from the model store) so the
store's import check (:mod:`.shapes`) can read them without an import cycle.

>>> shipped_config("unet_instruct")["in_channels"]
8
"""
from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from t2vz_edit.spec.errors import ModelError


def sibling_config_dir(path: Path) -> Path | None:
    folder = Path(path).with_name(Path(path).stem + ".config")
    return folder if folder.is_dir() else None


def _json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ModelError("config file missing from the checkpoint's config folder; it needs unet/, vae/, "
                         "text_encoder/, scheduler/ and tokenizer/ as in a diffusers pipeline folder", path=path)
    return json.loads(path.read_text())


def shipped_config(name: str) -> dict[str, Any]:
    """One of the SD1.5 configs shipped with the package (``configs/sd15/<name>.json``)."""
    text = resources.files("t2vz_edit.engine.models.configs.sd15").joinpath(f"{name}.json").read_text()
    return json.loads(text)


def component_configs(arch: str, config_dir: Path | None) -> dict[str, Any]:
    """unet / vae / text_encoder / scheduler configs (dicts), from ``config_dir`` or shipped."""
    if config_dir is not None:
        d = Path(config_dir)
        return {"unet": _json(d / "unet" / "config.json"), "vae": _json(d / "vae" / "config.json"),
                "text_encoder": _json(d / "text_encoder" / "config.json"),
                "scheduler": _json(d / "scheduler" / "scheduler_config.json")}
    return {"unet": shipped_config("unet_instruct" if arch == "instruct" else "unet"), "vae": shipped_config("vae"),
            "text_encoder": shipped_config("text_encoder"), "scheduler": shipped_config("scheduler")}


__all__ = ["sibling_config_dir", "shipped_config", "component_configs"]
