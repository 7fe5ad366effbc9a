"""Model sources, the model store, offline loading, single-file checkpoints, devices and LoRA.

The public face of model handling for the engine (see docs/models.md):

- :func:`load_parts` — base model + ControlNets + LoRAs → ``EngineParts`` on a device;
- :func:`parse_source` — hub id / diffusers folder / single ``.safetensors``;
- :func:`resolve_device_dtype`, :func:`check_finite`, :func:`vae_dtype` — device and fp16 guards;
- :func:`save_single_file` — original-layout (LDM keys) checkpoint from a diffusers model;
- store: :func:`list_models`, :func:`import_model`, :func:`pull_model`, :func:`model_store_dir`.

Names are imported on first use: importing one module of this package (``.checkpoint`` from
``engine.draft``, say) must not import the others, or the package would tie its modules into a
circle (``tests/test_layers.py`` checks that there is none).

>>> from t2vz_edit.engine import models
>>> models.load_parts.__module__
't2vz_edit.engine.models.loading'
"""
from __future__ import annotations

_LAZY = {
    **dict.fromkeys(("NonFiniteError", "check_finite", "resolve_device_dtype", "vae_dtype"),
                    "t2vz_edit.engine.models.device"),
    **dict.fromkeys(("load_base", "load_controlnet", "load_parts", "make_scheduler"), "t2vz_edit.engine.models.loading"),
    **dict.fromkeys(("choose_pull_files", "pull_model"), "t2vz_edit.engine.models.pull"),
    "read_checkpoint": "t2vz_edit.engine.models.checkpoint",
    "save_single_file": "t2vz_edit.engine.models.export",
    "load_single_file": "t2vz_edit.engine.models.single_file",
    **dict.fromkeys(("ModelSource", "parse_source"), "t2vz_edit.engine.models.sources"),
    **dict.fromkeys(("StoreEntry", "import_model", "list_models", "model_kind", "resolve_path"),
                    "t2vz_edit.engine.models.store"),
    "model_store_dir": "t2vz_edit.engine.store",
}


def __getattr__(name: str):
    if name == "load_pipeline_parts":  # the name docs/CONTRACTS.md announced
        name = "load_parts"
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 't2vz_edit.engine.models' has no attribute {name!r}")


__all__ = sorted([*_LAZY, "load_pipeline_parts"])
