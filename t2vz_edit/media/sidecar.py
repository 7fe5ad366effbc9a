"""The JSON sidecar written beside every render: provenance that survives any NLE round trip.

``render.mp4`` → ``render.mp4.json``; a PNG sequence folder ``shot/`` → ``shot.json``.
Versioned (``"schema": "t2vz.sidecar.1"``) so readers can tell what they hold.
"""
from __future__ import annotations

import json
from pathlib import Path

from t2vz_edit.media.atomic import write_text_atomic
from t2vz_edit.spec.errors import MediaError

SCHEMA = "t2vz.sidecar.1"


def sidecar_path(render) -> Path:
    """Where the sidecar of ``render`` lives."""
    render = Path(render)
    return render.with_name(render.name + ".json")


def write_sidecar(render, data: dict, *, overwrite: bool = True) -> Path:
    """Write ``data`` (plus the schema tag) as the sidecar of ``render``; returns its path.

    Without ``overwrite`` an existing file there is kept and :class:`OutputError` raised.
    """
    path = sidecar_path(render)
    text = json.dumps({"schema": SCHEMA, **data}, indent=2, sort_keys=True, default=str) + "\n"
    write_text_atomic(path, text, overwrite=overwrite)
    return path


def read_sidecar(render) -> dict:
    """Read the sidecar of ``render`` (or a sidecar path itself)."""
    path = Path(render)
    if path.suffix != ".json":
        path = sidecar_path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise MediaError("has no sidecar; it was not rendered by t2vz-edit or the .json was moved", path=render) from exc
    except json.JSONDecodeError as exc:
        raise MediaError(f"sidecar is not valid JSON ({exc.msg}); restore it from the render folder", path=path) from exc
    return data
