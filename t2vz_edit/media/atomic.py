"""Safe outputs: checked up front, written to a temporary path beside the destination, renamed on success.

The temporary name starts with ``.`` and ends with the real suffix (so muxers pick the right
format); a failure or Ctrl-C removes it, so nothing partial is ever left behind.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from t2vz_edit.spec.errors import OutputError


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def check_output_path(out, inputs=(), overwrite: bool = False) -> Path:
    """Refuse an output that is an input, exists without ``overwrite``, or sits in an unwritable folder.

    Creates missing parent folders. Returns the output as a :class:`Path`.
    """
    out = Path(out)
    for item in inputs:
        if item is not None and _same(out, Path(item)):
            raise OutputError(f"is also an input ({item}); write the render to a different path", path=out)
    if out.exists() and not overwrite:
        raise OutputError("already exists; pass --overwrite to replace it or choose another path", path=out)
    folder = out.parent if str(out.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {folder} ({exc.strerror}); choose a writable folder",
                          path=out) from exc
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"the output folder {folder} is not writable; choose a writable folder", path=out)
    return out


def temp_path_for(out: Path) -> Path:
    """A unique hidden sibling of ``out`` with the same suffix."""
    return out.with_name(f".{out.stem}.t2vz-partial-{uuid.uuid4().hex[:8]}{out.suffix}")


def remove_quietly(path: Path) -> None:
    """Remove a temporary file or folder we created (a failure to clean up must not mask the real error)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        try:
            path.unlink()
        except OSError:
            pass


def commit(temp: Path, out: Path) -> None:
    """Move a finished temporary file/folder into place (atomic rename within one folder)."""
    if temp.is_dir():
        if out.exists():
            old = temp_path_for(out)
            os.replace(out, old)  # keep the old render until the new one is in place
            os.replace(temp, out)
            remove_quietly(old)
            return
    os.replace(temp, out)


def write_text_atomic(path: Path, text: str) -> None:
    """Write a small text file atomically (sidecars)."""
    temp = temp_path_for(Path(path))
    try:
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    except BaseException:
        remove_quietly(temp)
        raise
