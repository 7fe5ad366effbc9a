"""Where the model store lives (``T2VZ_MODEL_STORE``, default ``~/.cache/t2vz-edit/models``).

Kept free of torch/diffusers imports so ``t2vz-edit doctor`` can show it cheaply. The store's
contents and layout are handled by :mod:`t2vz_edit.engine.models.store`.

>>> model_store_dir().is_absolute()
True
"""
from __future__ import annotations

import os
from pathlib import Path

STORE_ENV = "T2VZ_MODEL_STORE"
DEFAULT_STORE = Path("~/.cache/t2vz-edit/models")


def model_store_dir() -> Path:
    """The model store folder (not created here; pulls and imports create it)."""
    value = os.environ.get(STORE_ENV, "").strip()
    return Path(value or DEFAULT_STORE).expanduser()


__all__ = ["model_store_dir", "STORE_ENV", "DEFAULT_STORE"]
