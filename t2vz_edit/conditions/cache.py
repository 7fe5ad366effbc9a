"""On-disk cache of control maps, keyed by what decides them.

Key = SHA-256 of (source content id, frame range, working size, kind, annotator params,
weights id, cache format). A finished entry is a folder ``<root>/<kind>/<key>/`` with
``maps_<start>.npz`` chunks (uint8 (n, H, W, 3)) and a ``manifest.json`` written last; work in
progress lives in ``<key>.partial-<pid>`` and is renamed into place only when complete, so an
interrupted run never leaves an entry that looks finished.

Several processes may fill the same key at once (two ``conditions`` runs on one clip): a
finished entry that appeared while this run worked is kept and used — never deleted under a
reader — and this run's copy is dropped. Partials of processes that are gone are removed
when the next run begins an entry of that kind.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
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


_STALE = re.compile(r"^[0-9a-f]+\.(?:partial|old)-(\d+)(?:-[0-9a-f]{8})?$")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class CacheEntry:
    """One key's folder: :meth:`lookup` a finished manifest, or :meth:`begin` / :meth:`commit` one."""

    def __init__(self, root: Path, kind: str, key: str):
        self.folder = root / kind / key
        self.partial = root / kind / f"{key}.partial-{os.getpid()}"
        self._replaces: dict | None = None  # the finished entry seen at begin(), which commit() replaces

    def lookup(self) -> dict | None:
        """The finished entry's manifest, or None (absent or damaged: recompute)."""
        try:
            return json.loads((self.folder / "manifest.json").read_text())
        except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError, UnicodeDecodeError):
            return None

    def begin(self) -> Path:
        self.clean_stale()
        self._replaces = self.lookup()
        shutil.rmtree(self.partial, ignore_errors=True)
        self.partial.mkdir(parents=True)
        return self.partial

    def commit(self, manifest: dict) -> dict:
        """Move the partial into place; returns the manifest of the entry now in place.

        If another process finished the same key meanwhile, its entry is kept and returned.
        """
        (self.partial / "manifest.json").write_text(json.dumps(manifest, indent=1))
        current = self.lookup()
        if current is not None and current != self._replaces:
            self.abort()
            return current
        if os.path.lexists(self.folder):  # the entry this run replaces (refresh) or one without manifest
            aside = self.folder.with_name(f"{self.folder.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}")
            os.rename(self.folder, aside)
            shutil.rmtree(aside, ignore_errors=True)
        try:
            os.rename(self.partial, self.folder)
        except OSError:  # another process committed between our check and rename: use theirs
            self.abort()
            current = self.lookup()
            if current is None:
                raise
            return current
        return manifest

    def abort(self) -> None:
        shutil.rmtree(self.partial, ignore_errors=True)

    def clean_stale(self) -> list[str]:
        """Remove partial and replaced folders of this kind whose process is gone."""
        removed = []
        try:
            entries = list(self.folder.parent.iterdir())
        except OSError:
            return removed
        for entry in entries:
            match = _STALE.match(entry.name)
            if match and not _alive(int(match.group(1))):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry.name)
        return removed
