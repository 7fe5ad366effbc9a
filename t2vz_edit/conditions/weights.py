"""Where annotator weights come from: the model store (engine's layout), or a folder given directly.

The store keeps one folder per hub id, ``<store>/<org>--<name>/`` (see
:mod:`t2vz_edit.engine.models.store`). A missing file is a :class:`ModelError` naming the
command that pulls exactly those files (controlnet-aux weights are ``.pth``, which ``models
pull`` only fetches when asked with ``--include``).
"""
from __future__ import annotations

from pathlib import Path

from t2vz_edit.engine.models.store import entry_dir
from t2vz_edit.spec.errors import ModelError

ANNOTATORS_REPO = "lllyasviel/Annotators"


def resolve_weights(source: str, required: tuple[str, ...]) -> Path:
    """A folder holding every file in ``required``: ``source`` itself or its model-store entry."""
    folder = Path(source).expanduser()
    if not folder.is_dir():
        folder = entry_dir(source)
    missing = [name for name in required if not (folder / name).is_file()]
    if missing:
        include = " ".join(f"--include {name}" for name in missing)
        raise ModelError(f"annotator weights {source}: {', '.join(missing)} not found in {folder}; "
                         f"pull them with `t2vz-edit models pull {source} {include}` (or pass a folder)")
    return folder
