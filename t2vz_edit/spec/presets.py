"""Presets: named looks stored as TOML data that map onto :class:`EditSpec` fields.

A preset file ``<name>.toml`` holds EditSpec settings at top level (``mode``, ``prompt`` or
``instruction``, ``negative_prompt``, ``model``, ``[[controls]]``, ``steps``, ...) plus a
``[preset]`` table with a ``description``. Shipped presets are package data
(``t2vz_edit/presets/``, read through :mod:`importlib.resources`, so a wheel install has them); a user folder (``T2VZ_PRESETS``, default ``~/.config/t2vz-edit/presets``)
overrides them by name. Every preset is validated on load; a bad one raises
:class:`PresetError` naming the file, the key and the allowed values.

>>> spec, meta = load_preset("watercolor")
>>> spec.mode, meta.source
('instruct', 'shipped')
"""
from __future__ import annotations

import os
import tomllib
from importlib import resources
from dataclasses import dataclass
from pathlib import Path

from t2vz_edit.spec.edit_spec import EditSpec
from t2vz_edit.spec.errors import PresetError, UsageError

META_TABLE = "preset"
META_KEYS = ("description", "tags")


@dataclass(frozen=True)
class PresetMeta:
    """What a preset says about itself and where it was found."""

    name: str
    description: str
    path: Path
    source: str  # "shipped" or "user"
    tags: tuple[str, ...] = ()


def shipped_presets_dir() -> Path:
    """The package's ``presets/`` data folder (``t2vz_edit/presets``), found with importlib.resources."""
    return Path(str(resources.files("t2vz_edit").joinpath("presets")))


def user_presets_dir() -> Path:
    """``$T2VZ_PRESETS`` or ``~/.config/t2vz-edit/presets``."""
    env = os.environ.get("T2VZ_PRESETS")
    return Path(env).expanduser() if env else Path.home() / ".config" / "t2vz-edit" / "presets"


def preset_files() -> dict[str, tuple[Path, str]]:
    """Name -> (file, source); user files replace shipped ones of the same name."""
    found: dict[str, tuple[Path, str]] = {}
    for folder, source in ((shipped_presets_dir(), "shipped"), (user_presets_dir(), "user")):
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                found[path.stem] = (path, source)
    return found


def list_presets() -> list[PresetMeta]:
    """Every available preset (validated), sorted by name."""
    return [load_preset(name)[1] for name in sorted(preset_files())]


def load_preset(name: str) -> tuple[EditSpec, PresetMeta]:
    """Load and validate one preset by name (or a path to a ``.toml`` file)."""
    path, source = _locate(name)
    data = _read_toml(path)
    meta = _meta(data.pop(META_TABLE, {}), path, source)
    try:
        spec = EditSpec.from_dict(data, source=str(path))
    except PresetError:
        raise
    except UsageError as exc:
        raise PresetError(_strip_source(str(exc), path), path=path) from None
    return spec, meta


def _locate(name: str) -> tuple[Path, str]:
    if name.endswith(".toml"):
        path = Path(name).expanduser()
        if not path.is_file():
            raise PresetError(f"preset file {name} does not exist; check the path")
        return path, "file"
    files = preset_files()
    if name not in files:
        known = ", ".join(sorted(files)) or "none found"
        raise PresetError(f"unknown preset {name!r}; available: {known} (see `t2vz-edit presets list`)")
    return files[name]


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(f"not valid TOML ({exc}); fix the syntax", path=path) from None
    except UnicodeDecodeError:
        raise PresetError("is not a text file (not UTF-8 TOML); give a preset .toml written as text "
                          "(see `t2vz-edit presets list` for the shipped ones)", path=path) from None
    except OSError as exc:
        raise PresetError(f"cannot be read ({exc.strerror or exc}); check the file's permissions", path=path) from None


def _meta(table: object, path: Path, source: str) -> PresetMeta:
    if not isinstance(table, dict):
        raise PresetError(f"[{META_TABLE}] must be a table with keys {', '.join(META_KEYS)}", path=path)
    unknown = sorted(set(table) - set(META_KEYS))
    if unknown:
        raise PresetError(f"[{META_TABLE}] unknown key(s) {', '.join(unknown)}; allowed: {', '.join(META_KEYS)}",
                          path=path)
    description = table.get("description", "")
    if not isinstance(description, str) or not description.strip():
        raise PresetError(f"[{META_TABLE}] description must be a non-empty string", path=path)
    tags = table.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise PresetError(f"[{META_TABLE}] tags must be a list of strings", path=path)
    return PresetMeta(name=path.stem, description=description.strip(), path=path, source=source, tags=tuple(tags))


def _strip_source(message: str, path: Path) -> str:
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message


__all__ = ["PresetMeta", "load_preset", "list_presets", "preset_files", "shipped_presets_dir", "user_presets_dir"]
