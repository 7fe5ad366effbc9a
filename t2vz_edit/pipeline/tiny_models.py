"""``--tiny``: any spec rewritten onto tiny RANDOM-weight models, to check the whole path on real footage.

Nothing is downloaded: the models are built by :mod:`t2vz_edit.engine.tiny` (and the annotator
weights by :mod:`t2vz_edit.conditions.factory`) from the production classes, saved once in the
model store's hidden ``.tiny-random`` folder with a ``RANDOM_WEIGHTS.txt`` marker, and loaded
through the ordinary loading path — so the spec (and the sidecar that records it) names folders
that exist, and ``--from-sidecar`` reproduces a tiny render. The pictures are noise-like; every
output says so: ``.tiny-random`` in its name, ``random_weights`` in its sidecar, a warning on the
terminal.

>>> from t2vz_edit.spec.edit_spec import EditSpec
>>> is_tiny(EditSpec(mode="instruct", instruction="x"))
False
"""
from __future__ import annotations

import logging
import os
import shutil
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Callable

from t2vz_edit.spec.edit_spec import ControlSpec, EditSpec, LoraSpec
from t2vz_edit.spec.errors import UsageError

TINY_TAG = "tiny-random"  # in output names
MARKER = "RANDOM_WEIGHTS.txt"
WARNING = "--tiny: tiny RANDOM-weight models — checks the whole path, the pictures are noise"


def tiny_root() -> Path:
    from t2vz_edit.engine.store import model_store_dir

    return model_store_dir() / f".{TINY_TAG}"


def _built(name: str, build: Callable[[Path], object]) -> Path:
    """``tiny_root()/name``, built once (in a temporary folder renamed into place: no half folders)."""
    folder = tiny_root() / name
    if (folder / MARKER).is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".tmp-{name}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        build(tmp)
        (tmp / MARKER).write_text("Random weights built by t2vz-edit --tiny: for checking the path, not pictures.\n")
        if not (folder / MARKER).is_file():  # another process may have finished first
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def _annotator_weights(kind: str, params: dict) -> str | None:
    """A folder of random weights for ``kind``'s annotator with ``params``; None for weight-free kinds."""
    from t2vz_edit.conditions import factory

    if kind == "pose":  # the body net alone is ~200 MB of random weights: hands and face only when asked
        extra = params.get("hands", False) or params.get("face", False)
        return str(_built("annotators-pose" + ("-hands-face" if extra else ""),
                          lambda d: factory.write_openpose(d, hands=extra, face=extra)))
    if kind == "softedge":
        hed = params.get("backend") == "hed"
        return str(_built("annotators-hed" if hed else "annotators-pidinet",
                          factory.write_hed if hed else factory.write_pidinet))
    if kind == "depth":
        return str(_built("depth", factory.write_depth_anything))
    return None


def _tiny_control(control: ControlSpec) -> ControlSpec:
    from t2vz_edit.conditions.registry import annotator_class
    from t2vz_edit.engine.tiny import save_tiny_controlnet

    params = dict(control.params)
    if "weights" in annotator_class(control.kind).PARAMS:
        weights = _annotator_weights(control.kind, params)
        if weights is None:
            raise UsageError(f"--tiny: no random weights for the {control.kind} annotator (a plugin kind); "
                             "drop --tiny or this control")
        params["weights"] = weights
    return replace(control, model=str(_built("controlnet", save_tiny_controlnet)), params=tuple(params.items()))


LORA_FILE = "pytorch_lora_weights.safetensors"
STANDS_IN_FOR = "STANDS_IN_FOR.json"  # beside a stand-in LoRA: the user's file it replaces, and its rank


def _tiny_lora(lora: LoraSpec, kind: str) -> dict:
    """The user's LoRA file read and checked as a real run reads it (format, ranks, finite values),
    then a random tiny LoRA of the same rank (capped at a layer's width) over the tiny UNet in its place, same scale.

    A LoRA for SD1.5 cannot fit the tiny UNet's layers; the stand-in exercises the same fusing path.
    Its folder is per user file (``STANDS_IN_FOR.json`` names it) so the sidecar can say which file
    it replaced (:func:`tiny_loras`).
    """
    import hashlib
    import json

    from t2vz_edit.engine.models.lora import read_lora
    from t2vz_edit.engine.tiny import save_tiny_lora

    path = Path(lora.path).expanduser().resolve()
    layers = read_lora(path)
    rank = max(layer.down.shape[0] for layer in layers)
    digest = hashlib.sha256(f"{path}:{rank}".encode()).hexdigest()[:10]

    def build(folder: Path) -> None:
        save_tiny_lora(folder / LORA_FILE, kind, rank=rank)
        (folder / STANDS_IN_FOR).write_text(json.dumps({"file": str(path), "rank": rank, "layers": len(layers)}))

    folder = _built(f"lora-{kind}-r{rank}-{digest}", build)
    logging.getLogger("t2vz_edit.pipeline").warning(
        "--tiny: LoRA %s read and checked (%d layers, rank %d); a RANDOM tiny rank-%d LoRA stands in for it",
        path.name, len(layers), rank, rank)
    return {"path": str(folder / LORA_FILE), "scale": lora.scale}


def tiny_loras(spec: EditSpec) -> list[dict]:
    """The ``--tiny`` stand-in LoRAs of ``spec``: ``{"path", "file" (the user's), "rank", "random_weights"}`` each."""
    import json

    out = []
    for lora in spec.loras:
        note = Path(lora.path).parent / STANDS_IN_FOR
        if (note.parent / MARKER).is_file() and note.is_file():
            out.append({"path": lora.path, **json.loads(note.read_text()), "random_weights": True})
    return out


def tiny_spec(spec: EditSpec) -> EditSpec:
    """``spec`` with every model replaced by its tiny random-weight stand-in (same mode and controls)."""
    from t2vz_edit.engine.tiny import save_tiny_lora, save_tiny_pipeline, save_tiny_taesd

    if spec.smooth_background and spec.mask_provider == "depth_model":
        # the provider loads the default depth model by name and the spec has no field for another folder
        raise UsageError("--tiny: mask_provider depth_model loads the real depth model (no tiny stand-in); "
                         "set mask_provider to motion or depth (or smooth_background off) for the tiny check")
    kind = "instruct" if spec.mode == "instruct" else "sd"
    overrides: dict = {"model": str(_built(kind, lambda d: save_tiny_pipeline(d, kind))),
                       "controls": tuple(_tiny_control(c) for c in spec.controls)}
    if spec.loras:
        overrides["loras"] = tuple(_tiny_lora(lora, kind) for lora in spec.loras)
    if spec.draft:
        overrides["draft_lora"] = str(_built(f"draft-lora-{kind}",
                                             lambda d: save_tiny_lora(d / "pytorch_lora_weights.safetensors", kind)))
        overrides["draft_vae"] = str(_built("taesd", save_tiny_taesd))
    return spec.with_overrides(**overrides)


def is_tiny(spec: EditSpec) -> bool:
    """True when ``spec``'s base model is one of the ``--tiny`` random-weight stand-ins."""
    return spec.model != "" and (Path(spec.model) / MARKER).is_file()


__all__ = ["tiny_spec", "is_tiny", "tiny_loras", "tiny_root", "TINY_TAG", "WARNING"]
