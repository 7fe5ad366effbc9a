"""What a restyle render records about itself: the one place its sidecar provenance is assembled.

Enough to reproduce the render on another machine: the spec (which already holds seed, steps,
guidance, ...), the preset, the codec settings, the working size the engine (and the quality
figures) ran at, every model with where it resolved to and what it was (store revision and
commit, file sizes, SHA-256 of weights), and the versions of the libraries that shape the pixels.
The media layer adds the source, range and timecode when it writes the sidecar; callers add
their own keys (a timeline's render key) through ``extra``.

>>> from t2vz_edit.spec.edit_spec import EditSpec
>>> p = render_provenance(EditSpec(mode="instruct", instruction="x"), None, 18, (64, 48), {"job_id": 3})
>>> p["working_size"], p["job_id"], p["models"]["base"], "diffusers" in p["libraries"]
([64, 48], 3, 'timbrooks/instruct-pix2pix', True)
"""
from __future__ import annotations

import fnmatch
import importlib.metadata
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from t2vz_edit.spec.edit_spec import EditSpec
from t2vz_edit.spec.errors import ModelError, T2VZError

LIBRARIES = ("torch", "diffusers", "transformers", "av", "numpy", "opencv-python-headless", "controlnet-aux")
STORE_MANIFEST = "t2vz-model.json"
WEIGHT_SUFFIXES = (".safetensors", ".pth", ".pt", ".bin", ".ckpt")


def render_provenance(spec: EditSpec, preset: str | None, crf: int, working_size: tuple[int, int],
                      extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The provenance dict of a restyle render (``model_files`` gets :func:`model_identity` once loaded).

    Local model paths are recorded absolute (:func:`absolute_sources`), so ``--from-sidecar``
    reproduces the render from any working folder.
    """
    spec = absolute_sources(spec)
    text = {"instruction": spec.instruction} if spec.mode == "instruct" else {"prompt": spec.prompt}
    models = {"base": spec.resolved_model, **{f"controlnet_{c.kind}": c.resolved_model for c in spec.controls}}
    if spec.draft:  # a draft says so: the distilled LoRA and tiny autoencoder it used
        from t2vz_edit.engine.draft import draft_sources

        models["draft_lora"], models["draft_vae"] = draft_sources(spec)
    from t2vz_edit.pipeline.tiny_models import is_tiny, tiny_loras

    if is_tiny(spec):  # --tiny: say so where a reader of the sidecar looks first
        extra = {"random_weights": True, "tiny": "tiny RANDOM-weight models (--tiny): a path check, not a restyle",
                 **(extra or {})}
        if spec.loras:  # the user's LoRA files were read and checked; random ones of their rank were fused
            extra["tiny_loras"] = tiny_loras(spec)
    return {"job": "restyle", "mode": spec.mode, **text, "seed": spec.seed, "models": models, "draft": spec.draft,
            "loras": [lo.path for lo in spec.loras], "preset": preset, "crf": crf,
            "working_size": list(working_size), "libraries": library_versions(), "spec": spec.to_dict(),
            **(extra or {})}


def absolute_sources(spec: EditSpec) -> EditSpec:
    """``spec`` with every model source that names an existing local path (base model, ControlNets,
    LoRAs, draft LoRA and autoencoder) made absolute; hub ids and empty defaults are kept as written.

    A relative path such as ``--model models/mine`` only means something in the folder it was
    typed in; the sidecar must work from anywhere.
    """
    def absolute(text: str) -> str:
        path = Path(text).expanduser() if text else None
        return str(path.resolve()) if path is not None and path.exists() else text

    return replace(spec, model=absolute(spec.model), draft_lora=absolute(spec.draft_lora),
                   draft_vae=absolute(spec.draft_vae),
                   controls=tuple(replace(c, model=absolute(c.model)) for c in spec.controls),
                   loras=tuple(replace(lo, path=absolute(lo.path)) for lo in spec.loras))


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
    """Each model of ``spec`` (base, ControlNets, annotator weights, LoRAs, draft models): what it
    resolved to on this machine, its revision and commit, and the SHA-256 of its weight files."""
    from t2vz_edit.pipeline.model_plan import models_needed

    try:
        needed = models_needed([spec]).models
    except T2VZError:  # parts were handed in by the caller; describe what can be found
        needed = ()
    sources = {"base": (spec.resolved_model, ()), **{f"controlnet_{c.kind}": (c.resolved_model, ()) for c in spec.controls},
               **{f"lora_{i}": (lo.path, ()) for i, lo in enumerate(spec.loras)}}
    sources.update({m.role: (m.source, m.files if m.role.startswith("annotator_") else ()) for m in needed})
    return {role: _identity(source, files) for role, (source, files) in sources.items()}


def _identity(source: str, files: tuple[str, ...]) -> dict[str, Any]:
    from t2vz_edit.engine.models.loading import resolve_path
    from t2vz_edit.engine.models.store import entry_dir

    try:
        path = resolve_path(source)
    except ModelError:
        if not files or not entry_dir(source).is_dir():
            return {"source": source, "resolved": None}
        path = entry_dir(source)  # annotator weights: a store folder without configs
    return {"source": source, "resolved": str(path), **_describe(path, files)}


def _describe(path: Path, only: tuple[str, ...] = ()) -> dict[str, Any]:
    if path.is_file():
        manifest = _manifest(path.parent)
        return {"sha256": _known_sha256(path, path.name, manifest), "bytes": path.stat().st_size,
                **_revision(path.parent, manifest)}
    manifest = _manifest(path)
    files = {p.relative_to(path).as_posix(): p.stat().st_size for p in sorted(path.rglob("*"))
             if p.is_file() and p.name != STORE_MANIFEST and not p.relative_to(path).parts[0].startswith(".")}
    if only:
        files = {n: b for n, b in files.items() if any(fnmatch.fnmatchcase(n, pattern) for pattern in only)}
    weights = {name: _known_sha256(path / name, name, manifest) for name in files if name.endswith(WEIGHT_SUFFIXES)}
    return {**_revision(path, manifest), "files": files, "sha256": weights}


def _manifest(folder: Path) -> dict:
    manifest = folder / STORE_MANIFEST
    try:
        return json.loads(manifest.read_text()) if manifest.is_file() else {}
    except (OSError, ValueError):
        return {}


def _revision(folder: Path, manifest: dict) -> dict[str, str]:
    """The revision asked for and the commit it was at (a store entry records both when pulled)."""
    snapshot = _snapshot_revision(folder)
    return {"revision": manifest.get("revision") or snapshot, "commit": manifest.get("commit") or snapshot}


def _known_sha256(path: Path, name: str, manifest: dict) -> str:
    """The store manifest's hash when the file still has the recorded size, else hashed now."""
    known = (manifest.get("files") or {}).get(name) or {}
    if known.get("sha256") and known.get("bytes") == path.stat().st_size:
        return known["sha256"]
    from t2vz_edit.engine.models.store import sha256_file  # the store's own hashing (imported on use)

    return sha256_file(path)


def _snapshot_revision(path: Path) -> str:
    """A Hugging Face cache snapshot folder is named by its commit; a store entry records its own."""
    return path.name if path.parent.name == "snapshots" else ""
