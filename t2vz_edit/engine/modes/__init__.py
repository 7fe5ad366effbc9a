"""Edit modes: each turns an EditSpec and per-position conditions into a guided noise predictor.

>>> sorted(MODE_BUILDERS)
['controlnet', 'instruct', 'text2video']
"""
from __future__ import annotations

from t2vz_edit.engine.modes.controlnet import ControlNetMode
from t2vz_edit.engine.modes.instruct import InstructMode
from t2vz_edit.engine.modes.text2video import Text2VideoMode

MODE_BUILDERS = {"text2video": Text2VideoMode, "instruct": InstructMode, "controlnet": ControlNetMode}


def build_mode(spec, parts, device, dtype):
    """The mode object for ``spec.mode`` with its prompt embeddings computed once."""
    return MODE_BUILDERS[spec.mode](spec, parts, device, dtype)


__all__ = ["build_mode", "MODE_BUILDERS"]
