"""The engine layer: EditSpec + loaded parts + frames in, frames out (see docs/engine.md).

Heavy imports (torch, diffusers) happen on first use, so ``t2vz_edit.engine.store`` stays cheap.

>>> from t2vz_edit import engine
>>> engine.run_edit.__name__
'run_edit'
"""
from __future__ import annotations

_LAZY = {
    "run_edit": "t2vz_edit.engine.run",
    "stream_edit": "t2vz_edit.engine.run",
    "EngineInput": "t2vz_edit.engine.run",
    "EngineParts": "t2vz_edit.engine.parts",
    "CrossFrameContext": "t2vz_edit.engine.attention",
    "install_cross_frame": "t2vz_edit.engine.attention",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 't2vz_edit.engine' has no attribute {name!r}")


__all__ = sorted(_LAZY)
