"""The local model store: hub ids resolved without network, filled by ``pull`` and ``import``.

Layout (one folder per model, named from its hub id; ``@revision`` only when not the default)::

    <store>/stable-diffusion-v1-5--stable-diffusion-v1-5/      diffusers pipeline snapshot
    <store>/lllyasviel--control_v11p_sd15_canny/              single-model folder
    <store>/someone--dreamshaper@v8/dreamshaper_8.safetensors single-file checkpoint
    <store>/<entry>/t2vz-model.json                           {"id", "revision", "commit", "origin", "source",
                                                               "files": {path: {"bytes", "sha256"}}}

A hub id resolves from the store first, then from the Hugging Face cache (``local_files_only``);
otherwise a one-line :class:`ModelError` names the command that pulls it.

>>> entry_name("stable-diffusion-v1-5/stable-diffusion-v1-5", "")
'stable-diffusion-v1-5--stable-diffusion-v1-5'
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from t2vz_edit.engine.models.checkpoint import file_kind, has_tokenizer_files
from t2vz_edit.engine.models.sources import SINGLE_FILE_SUFFIXES, ModelSource, parse_source
from t2vz_edit.engine.store import model_store_dir
from t2vz_edit.spec.errors import InputNotFoundError, ModelError, OutputError, UsageError

MANIFEST = "t2vz-model.json"
KINDS = ("sd", "instruct", "controlnet", "lora", "taesd", "annotator", "tokenizer", "unknown")


@dataclass(frozen=True)
class StoreEntry:
    """One model in the store: its hub id, what it is and how much disk it takes."""

    id: str
    revision: str
    kind: str
    size_bytes: int
    path: str
    origin: str  # "pull" | "import" | "unknown"

    def to_dict(self) -> dict:
        return asdict(self)


def entry_name(hub_id: str, revision: str = "") -> str:
    name = hub_id.replace("/", "--")
    return f"{name}@{revision.replace('/', '--')}" if revision else name


def entry_dir(hub_id: str, revision: str = "") -> Path:
    return model_store_dir() / entry_name(hub_id, revision)


def pull_hint(source: ModelSource) -> str:
    rev = f" --revision {source.revision}" if source.revision else ""
    return f"t2vz-edit models pull {source.hub_id}{rev}"


def resolve_hub(source: ModelSource) -> Path:
    """Local path (folder or single file) of a hub-id source: store, then HF cache, else error."""
    folder = entry_dir(source.hub_id, source.revision)
    if folder.is_dir():
        return entry_payload(folder)
    cached = _hf_cache_snapshot(source)
    if cached is not None:
        return cached
    raise ModelError(f"model {source.label} is not in the model store ({model_store_dir()}) nor in the Hugging Face "
                     f"cache and no download happens at load time; run `{pull_hint(source)}` (network) or "
                     f"`t2vz-edit models import FOLDER --as {source.hub_id}` (offline copy)")


def resolve_path(source_text: str) -> Path:
    """Local folder or file for a model source (no network)."""
    source = parse_source(source_text)
    return resolve_hub(source) if source.kind == "hub" else Path(source.path)


def entry_payload(folder: Path) -> Path:
    """The folder itself, or the one checkpoint file of a single-file entry."""
    if (folder / "model_index.json").is_file() or (folder / "config.json").is_file():
        return folder
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SINGLE_FILE_SUFFIXES)
    return files[0] if len(files) == 1 else folder


def _hf_cache_snapshot(source: ModelSource) -> Path | None:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        path = snapshot_download(source.hub_id, revision=source.revision or None, local_files_only=True)
    except (LocalEntryNotFoundError, FileNotFoundError):
        return None
    return entry_payload(Path(path))


# -- what is there -----------------------------------------------------------------------------

def model_kind(path: Path) -> str:
    """sd / instruct / controlnet / lora / taesd / annotator / tokenizer / unknown, from configs or
    tensor shapes (a LoRA file, or a folder holding one such as latent-consistency/lcm-lora-sdv1-5,
    is ``lora``; an ``AutoencoderTiny`` folder such as madebyollin/taesd is ``taesd``)."""
    path = Path(path)
    if path.is_file():
        return file_kind(path)
    index = path / "model_index.json"
    if index.is_file():
        unet_cfg = _read_json(path / "unet" / "config.json")
        return "instruct" if int(unet_cfg.get("in_channels", 4)) == 8 else "sd"
    config = _read_json(path / "config.json")
    if config.get("_class_name") == "ControlNetModel":
        return "controlnet"
    if config.get("_class_name") == "AutoencoderTiny":
        return "taesd"  # draft mode's tiny autoencoder
    if "model_type" in config or any(path.glob("*.pth")) or any(path.glob("*.pt")):
        return "annotator"  # transformers estimators (depth) and controlnet-aux weights
    if has_tokenizer_files(path):
        return "tokenizer"
    payload = entry_payload(path)
    return model_kind(payload) if payload.is_file() else "unknown"


def _read_json(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"unreadable JSON ({exc}); re-pull or re-import this model", path=path) from None
    return data if isinstance(data, dict) else {}


def size_on_disk(path: Path) -> int:
    """Bytes of every file under ``path`` (symlinks followed once, as the HF cache uses them)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def list_models() -> list[StoreEntry]:
    """Every entry of the store, sorted by id."""
    root = model_store_dir()
    if not root.is_dir():
        return []
    entries = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        meta = _read_json(folder / MANIFEST)
        name, _, rev = folder.name.partition("@")
        entries.append(StoreEntry(id=meta.get("id", name.replace("--", "/", 1)), revision=meta.get("revision", rev),
                                  kind=model_kind(folder), size_bytes=size_on_disk(folder), path=str(folder),
                                  origin=meta.get("origin", "unknown")))
    return entries


# -- filling it --------------------------------------------------------------------------------

def check_hub_id(hub_id: str, revision: str = "") -> ModelSource:
    source = parse_source(f"{hub_id}@{revision}" if revision else hub_id)
    if source.kind != "hub":
        raise UsageError(f"{hub_id!r} is not a hub id; use the form org/name (e.g. stable-diffusion-v1-5/stable-diffusion-v1-5)")
    return source


def import_model(src: str | Path, hub_id: str, *, revision: str = "", force: bool = False) -> StoreEntry:
    """Copy a local model folder or checkpoint into the store under ``hub_id`` (atomic rename)."""
    source = check_hub_id(hub_id, revision)
    src = Path(src).expanduser()
    if not src.exists():
        raise InputNotFoundError("nothing to import here; give a model folder or a .safetensors file", path=src)
    kind = model_kind(src)  # validates single files (header, architecture) before copying
    if src.is_file() and kind != "lora":  # a LoRA's layers are checked against the model it is fused into
        from t2vz_edit.engine.models.shapes import check_checkpoint_shapes

        check_checkpoint_shapes(src)  # every tensor's shape, not just the first layer's
    if kind == "unknown":
        raise UsageError("not a model: expected a diffusers folder (model_index.json or config.json), "
                         "a tokenizer folder, annotator weights, a .safetensors checkpoint or LoRA", path=src)

    def fill(tmp: Path) -> None:
        if src.is_dir():
            shutil.copytree(src, tmp, dirs_exist_ok=True, ignore=shutil.ignore_patterns(MANIFEST, ".cache"))
            return
        shutil.copy2(src, tmp / src.name)
        sibling = src.with_name(src.stem + ".config")  # optional config folder (see single_file.py)
        if sibling.is_dir():
            shutil.copytree(sibling, tmp / sibling.name)

    return _commit_entry(source, fill, origin="import", where=str(src.resolve()), force=force)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_hashes(folder: Path) -> dict[str, dict]:
    """``{relative path: {"bytes", "sha256"}}`` of every file under ``folder`` but the manifest."""
    return {p.relative_to(folder).as_posix(): {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST}


def read_manifest(folder: Path) -> dict:
    """The store manifest of an entry folder ({} when there is none)."""
    return _read_json(Path(folder) / MANIFEST)


def _commit_entry(source: ModelSource, fill, *, origin: str, where: str, force: bool, commit: str = "") -> StoreEntry:
    """Fill a temporary folder in the store, write the manifest (commit, file hashes), then rename it into place."""
    final = entry_dir(source.hub_id, source.revision)
    if final.exists() and not force:
        raise OutputError(f"{source.label} is already in the model store ({final}); pass --overwrite to replace it")
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".tmp-{final.name}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        fill(tmp)
        shutil.rmtree(tmp / ".cache", ignore_errors=True)  # huggingface_hub's local_dir bookkeeping
        manifest = {"id": source.hub_id, "revision": source.revision, "commit": commit, "origin": origin,
                    "source": where, "files": file_hashes(tmp)}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2))
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    meta_kind = model_kind(final)
    return StoreEntry(source.hub_id, source.revision, meta_kind, size_on_disk(final), str(final), origin)


__all__ = ["StoreEntry", "resolve_hub", "resolve_path", "list_models", "import_model", "model_kind", "size_on_disk",
           "entry_dir", "entry_name", "entry_payload", "pull_hint", "check_hub_id", "MANIFEST", "KINDS",
           "sha256_file", "file_hashes", "read_manifest"]
