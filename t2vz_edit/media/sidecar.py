"""The JSON sidecar written beside every render: provenance that survives any NLE round trip.

``render.mp4`` → ``render.mp4.json``; a PNG sequence folder ``shot/`` → ``shot.json``.
Versioned (``"schema": "t2vz.sidecar.1"``) so readers can tell what they hold.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from t2vz_edit.media.atomic import write_text_atomic
from t2vz_edit.spec.errors import MediaError, UsageError

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


MAX_BYTES = 16 * 1024 * 1024   # a real sidecar is a few kB; anything this large is not one
MAX_FRAME = 10_000_000         # ~46 h at 60 fps: a frame index beyond this is not a real clip's


def _bad(path, what: str) -> UsageError:
    return UsageError(f"sidecar {what}; restore the .json written beside the render or re-render it", path=path)


def read_sidecar(render) -> dict:
    """Read the sidecar of ``render`` (or a sidecar path itself): a JSON object of this schema.

    Refuses, in one line each and without reading more than :data:`MAX_BYTES`: a missing file,
    invalid or absurdly nested JSON, anything but an object, and an unknown schema version.
    """
    path = Path(render)
    if path.suffix != ".json":
        path = sidecar_path(path)
    try:
        with open(path, "rb") as handle:
            blob = handle.read(MAX_BYTES + 1)
    except FileNotFoundError as exc:
        raise MediaError("has no sidecar; it was not rendered by t2vz-edit or the .json was moved", path=render) from exc
    except IsADirectoryError as exc:
        raise MediaError("sidecar is a folder, not a file; pass the render's .json", path=path) from exc
    if len(blob) > MAX_BYTES:
        raise _bad(path, f"is over {MAX_BYTES // 2**20} MiB (a real one is a few kB)")
    try:
        data = json.loads(blob.decode("utf-8"), parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise MediaError(f"sidecar is not valid JSON ({exc.msg}); restore it from the render folder", path=path) from exc
    except (UnicodeDecodeError, RecursionError, ValueError) as exc:
        detail = "nested too deeply" if isinstance(exc, RecursionError) else " ".join(str(exc).split())[:120]
        raise _bad(path, f"is not readable JSON ({detail})") from None
    if not isinstance(data, dict):
        raise _bad(path, f"holds a JSON {type(data).__name__}, not an object")
    if data.get("schema") != SCHEMA:
        raise _bad(path, f"schema {data.get('schema')!r} is not supported (this version reads {SCHEMA})")
    return data


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number a sidecar may hold")


def render_fields(data: dict, path) -> dict:
    """The fields a re-render uses, checked like the CLI checks its options.

    Returns ``{"source", "start_frame", "stop_frame", "codec", "crf", "preset", "spec"}``; the
    spec dict itself is validated by :class:`~t2vz_edit.spec.edit_spec.EditSpec`, the range
    against the clip when it is probed (as ``--range`` is).
    """
    from t2vz_edit.media.encode import CODECS  # encode writes sidecars: imported here, not at the top

    codec = data.get("codec", "h264")
    if codec not in CODECS:
        raise _bad(path, f"codec {codec!r} is not one of {', '.join(CODECS)}")
    prov = _field(data, "provenance", dict, path)
    span = _field(prov, "range", dict, path, "provenance.range")
    start = _whole(span, "start_frame", path, 0, MAX_FRAME - 1)
    stop = _whole(span, "stop_frame", path, 1, MAX_FRAME)
    if stop <= start:
        raise _bad(path, f"range {start}-{stop} is empty or reversed (stop_frame must be after start_frame)")
    source = _field(prov, "source", str, path, "provenance.source")
    if not source.strip():
        raise _bad(path, "provenance.source is empty")
    crf = _whole(prov, "crf", path, 0, 51, default=18)
    preset = prov.get("preset")
    if preset is not None and not isinstance(preset, str):
        raise _bad(path, f"provenance.preset must be text, got {type(preset).__name__}")
    spec = _field(prov, "spec", dict, path, "provenance.spec")
    _spec_shapes(spec, path)
    return {"source": source, "start_frame": start, "stop_frame": stop, "codec": codec, "crf": crf,
            "preset": preset, "spec": spec}


def _field(obj: dict, key: str, kind: type, path, name: str | None = None):
    if key not in obj:
        raise _bad(path, f"has no {name or key}")
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _bad(path, f"{name or key} must be {_KIND_NAMES[kind]}, got {type(value).__name__}")
    return value


_KIND_NAMES = {dict: "an object", str: "text"}
_PLURAL = {dict: "objects", str: "paths"}


def _whole(obj: dict, key: str, path, lo: int, hi: int, default=None) -> int:
    value = obj.get(key, default)
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise _bad(path, f"{key} must be a whole number, got {value!r}")
    if not lo <= value <= hi:
        raise _bad(path, f"{key} {value!r} is outside {lo}..{hi}")
    return int(value)


def _spec_shapes(spec: dict, path) -> None:
    """Shapes EditSpec.from_dict relies on (the values are its own validation's job)."""
    for key, item_kinds in (("controls", (dict,)), ("loras", (dict, str))):
        items = spec.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, item_kinds) for i in items):
            raise _bad(path, f"spec.{key} must be a list of {' or '.join(_PLURAL[k] for k in item_kinds)}")
    motion = spec.get("motion", [1.0, 1.0])
    if not (isinstance(motion, list) and len(motion) == 2 and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in motion)):
        raise _bad(path, f"spec.motion must be two finite numbers [dx, dy], got {motion!r}")
