"""t2vz-edit: restyle and edit real footage with zero-shot diffusion (Text2Video-Zero).

The Python API mirrors the CLI::

    import t2vz_edit
    info = t2vz_edit.probe("clip.mov")
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "probe", "restyle"]


def probe(path):
    """Probe a media file; see :func:`t2vz_edit.media.probe.probe`."""
    from t2vz_edit.media.probe import probe as _probe

    return _probe(path)


def restyle(path, preset=None, **overrides):
    """Restyle one clip; see :func:`t2vz_edit.pipeline.restyle.restyle`."""
    from t2vz_edit.pipeline.restyle import restyle as _restyle

    return _restyle(path, preset=preset, **overrides)
