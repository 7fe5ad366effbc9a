"""On-disk cache of control maps, keyed by what decides them.

Key = SHA-256 of (source content id, frame range, working size, kind, annotator params,
weights id, cache format). A finished entry is a folder ``<root>/<kind>/<key>/`` with
``maps_<start>.npz`` chunks (uint8 (n, H, W, 3)) and a ``manifest.json`` written last; work in
progress lives in ``<key>.partial-<pid>`` and is renamed into place only when complete, so an
interrupted run never leaves an entry that looks finished.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "t2vz-conditions.1"


def cache_root() -> Path:
    """``$T2VZ_CACHE`` or ``~/.cache/t2vz-edit/conditions``."""
    env = os.environ.get("T2VZ_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "t2vz-edit" / "conditions"


def cache_key(fields: dict[str, Any]) -> str:
    """Stable hash of the key fields (JSON with sorted keys)."""
    blob = json.dumps({"format": FORMAT, **fields}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def chunk_name(start: int) -> str:
    return f"maps_{start:09d}.npz"


def save_chunk(folder: Path, start: int, maps: np.ndarray) -> None:
    np.savez_compressed(folder / chunk_name(start), maps=maps)


def load_chunk(folder: Path, start: int) -> np.ndarray:
    with np.load(folder / chunk_name(start)) as data:
        return data["maps"]


class CacheEntry:
    """One key's folder: :meth:`lookup` a finished manifest, or :meth:`begin` / :meth:`commit` one."""

    def __init__(self, root: Path, kind: str, key: str):
        self.folder = root / kind / key
        self.partial = root / kind / f"{key}.partial-{os.getpid()}"

    def lookup(self) -> dict | None:
        manifest = self.folder / "manifest.json"
        if not manifest.is_file():
            return None
        return json.loads(manifest.read_text())

    def begin(self) -> Path:
        shutil.rmtree(self.partial, ignore_errors=True)
        self.partial.mkdir(parents=True)
        return self.partial

    def commit(self, manifest: dict) -> None:
        (self.partial / "manifest.json").write_text(json.dumps(manifest, indent=1))
        shutil.rmtree(self.folder, ignore_errors=True)  # a stale entry without manifest
        os.replace(self.partial, self.folder)

    def abort(self) -> None:
        shutil.rmtree(self.partial, ignore_errors=True)
