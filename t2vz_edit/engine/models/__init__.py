"""Model sources, the model store, offline loading, single-file checkpoints, devices and LoRA.

The public face of model handling for the engine (see docs/models.md):

- :func:`load_parts` — base model + ControlNets + LoRAs → ``EngineParts`` on a device;
- :func:`parse_source` — hub id / diffusers folder / single ``.safetensors``;
- :func:`resolve_device_dtype`, :func:`check_finite`, :func:`vae_dtype` — device and fp16 guards;
- :func:`save_single_file` — original-layout (LDM keys) checkpoint from a diffusers model;
- store: :func:`list_models`, :func:`import_model`, :func:`pull_model`, :func:`model_store_dir`.
"""
from __future__ import annotations

from t2vz_edit.engine.models.device import NonFiniteError, check_finite, resolve_device_dtype, vae_dtype
from t2vz_edit.engine.models.loading import load_base, load_controlnet, load_parts, make_scheduler, resolve_path
from t2vz_edit.engine.models.pull import choose_pull_files, pull_model
from t2vz_edit.engine.models.single_file import load_single_file, read_checkpoint, save_single_file
from t2vz_edit.engine.models.sources import ModelSource, parse_source
from t2vz_edit.engine.models.store import StoreEntry, import_model, list_models, model_kind
from t2vz_edit.engine.store import model_store_dir

load_pipeline_parts = load_parts  # the name docs/CONTRACTS.md announced

__all__ = ["load_parts", "load_pipeline_parts", "load_base", "load_controlnet", "make_scheduler", "resolve_path",
           "parse_source", "ModelSource", "resolve_device_dtype", "check_finite", "vae_dtype", "NonFiniteError",
           "save_single_file", "load_single_file", "read_checkpoint", "list_models", "import_model", "pull_model",
           "choose_pull_files", "model_kind", "StoreEntry", "model_store_dir"]
