"""What a restyle render records about itself: the one place its sidecar provenance is assembled.

Enough to reproduce the render on another machine: the spec (which already holds seed, steps,
guidance, ...), the preset, the codec settings, the working size the engine (and the quality
figures) ran at, every model with where it resolved to and what it was (store revision, file
sizes, a SHA-256 for single files), and the versions of the libraries that shape the pixels.
The media layer adds the source, range and timecode when it writes the sidecar; callers add
their own keys (a timeline's render key) through ``extra``.

>>> from t2vz_edit.spec.edit_spec import EditSpec
>>> p = render_provenance(EditSpec(mode="instruct", instruction="x"), None, 18, (64, 48), {"job_id": 3})
>>> p["working_size"], p["job_id"], p["models"]["base"], "diffusers" in p["libraries"]
([64, 48], 3, 'timbrooks/instruct-pix2pix', True)
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
from pathlib import Path
from typing import Any

from t2vz_edit.spec.edit_spec import EditSpec
from t2vz_edit.spec.errors import ModelError

LIBRARIES = ("torch", "diffusers", "transformers", "av", "numpy", "opencv-python-headless", "controlnet-aux")
STORE_MANIFEST = "t2vz-model.json"


def render_provenance(spec: EditSpec, preset: str | None, crf: int, working_size: tuple[int, int],
                      extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The provenance dict of a restyle render (``model_files`` gets :func:`model_identity` once loaded)."""
    text = {"instruction": spec.instruction} if spec.mode == "instruct" else {"prompt": spec.prompt}
    models = {"base": spec.resolved_model, **{f"controlnet_{c.kind}": c.resolved_model for c in spec.controls}}
    if spec.draft:  # a draft says so: the distilled LoRA and tiny autoencoder it used
        from t2vz_edit.engine.draft import draft_sources

        models["draft_lora"], models["draft_vae"] = draft_sources(spec)
    return {"job": "restyle", "mode": spec.mode, **text, "seed": spec.seed, "models": models, "draft": spec.draft,
            "loras": [lo.path for lo in spec.loras], "preset": preset, "crf": crf,
            "working_size": list(working_size), "libraries": library_versions(), "spec": spec.to_dict(),
            **(extra or {})}


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries that decide the pixels, and the FFmpeg inside PyAV."""
    found = {}
    for name in LIBRARIES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    try:
        import av

        found["ffmpeg"] = ".".join(map(str, av.library_versions.get("libavcodec", ())))
    except ImportError:
        found["ffmpeg"] = "not installed"
    return found


def model_identity(spec: EditSpec) -> dict[str, dict[str, Any]]:
    """Each model of ``spec`` (base, ControlNets, LoRAs): what it resolved to on this machine."""
    from t2vz_edit.engine.models.loading import resolve_path

    sources = {"base": spec.resolved_model, **{f"controlnet_{c.kind}": c.resolved_model for c in spec.controls},
               **{f"lora_{i}": lo.path for i, lo in enumerate(spec.loras)}}
    out = {}
    for role, source in sources.items():
        try:
            path = resolve_path(source)
        except ModelError:  # parts were handed in by the caller; nothing on disk to describe
            out[role] = {"source": source, "resolved": None}
            continue
        out[role] = {"source": source, "resolved": str(path), **_describe(path)}
    return out


def _describe(path: Path) -> dict[str, Any]:
    if path.is_file():
        return {"sha256": _sha256(path), "bytes": path.stat().st_size}
    manifest = path / STORE_MANIFEST
    meta = json.loads(manifest.read_text()) if manifest.is_file() else {}
    files = {str(p.relative_to(path)): p.stat().st_size for p in sorted(path.rglob("*"))
             if p.is_file() and p.name != STORE_MANIFEST}
    weights = {name: _sha256(path / name) for name in files if name.endswith(".safetensors")}
    return {"revision": meta.get("revision") or _snapshot_revision(path), "files": files, "sha256": weights}


def _snapshot_revision(path: Path) -> str:
    """A Hugging Face cache snapshot folder is named by its commit; a store entry records its own."""
    return path.name if path.parent.name == "snapshots" else ""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
