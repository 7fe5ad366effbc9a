"""Where annotator weights come from: the model store, or a folder given directly.

The store layout is ``<store>/<org>--<name>/`` (``T2VZ_MODEL_STORE``, default
``~/.cache/t2vz-edit/models``). A missing file is a :class:`ModelError` naming what to pull.
"""
from __future__ import annotations

import os
from pathlib import Path

from t2vz_edit.spec.errors import ModelError

ANNOTATORS_REPO = "lllyasviel/Annotators"


def model_store_dir() -> Path:
    env = os.environ.get("T2VZ_MODEL_STORE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "t2vz-edit" / "models"


def resolve_weights(source: str, required: tuple[str, ...]) -> Path:
    """A folder holding every file in ``required``: ``source`` itself or its store folder."""
    folder = Path(source).expanduser()
    if not folder.is_dir():
        folder = model_store_dir() / source.replace("/", "--")
    missing = [name for name in required if not (folder / name).is_file()]
    if missing:
        raise ModelError(f"annotator weights {source}: {', '.join(missing)} not found in {folder}; "
                         f"pull them with `t2vz-edit models pull {source}` (or pass a folder)")
    return folder
