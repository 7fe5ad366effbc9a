"""Safe outputs: checked up front, claimed, written to a temporary path beside the destination, published on success.

Rules (issue 16): the source is never written; an existing output is replaced only with
``overwrite``; a frame-sequence folder is replaced only when it holds nothing but this tool's
own frames (never a folder holding the source or any other file); two runs on one output
cannot both win — the output is claimed with a lock (``.<name>.t2vz-lock``, released by the
kernel if the process dies) and, without ``overwrite``, published with an exclusive link.

Temporary names start with ``.``, carry the owning process id and end with the real suffix
(so muxers pick the right format): ``.<stem>.t2vz-partial-<pid>-<hex><suffix>``. A failure or
Ctrl-C removes them; after a SIGKILL the next run into the same folder removes those whose
owner is gone (:func:`clean_stale`).
"""
from __future__ import annotations

import atexit
import errno
import fcntl
import os
import re
import shutil
import uuid
from pathlib import Path

from t2vz_edit.spec.errors import DiskFullError, OutputError, T2VZError

DISK_FULL = (errno.ENOSPC, errno.EDQUOT)  # the folder's file system (or the user's quota) is full
_TEMP = re.compile(r"^\..*\.t2vz-(partial|old)-(\d+)-[0-9a-f]{8}[^/]*$")
_LOCK = ".t2vz-lock"
_partials: set[Path] = set()  # temporary outputs this process created (see temp_path_for)
_held: dict[str, tuple[int, Path]] = {}  # absolute output → (lock fd, lock path) held by this process


def _same(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def _inside(item: Path, folder: Path) -> bool:
    try:
        return folder.resolve() in item.resolve().parents
    except OSError:
        return False


def owned_frame_names(name: str) -> re.Pattern:
    """The files a frame-sequence render named ``name`` writes: ``<name>_000000.png`` (or ``.exr``)...,
    ``<name>.wav``."""
    return re.compile(rf"^{re.escape(name)}(_\d{{6}}\.(png|exr)|\.wav)$")


def foreign_files(folder: Path) -> list[str]:
    """Entries of ``folder`` that a frame render named ``folder.name`` did not write (sorted)."""
    mine = owned_frame_names(folder.name)
    return sorted(p.name for p in folder.iterdir() if not (mine.match(p.name) and p.is_file() and not p.is_symlink()))


def check_output_name(out) -> Path:
    """``out`` as a Path, or :class:`OutputError` when its last part is no name at all (``.``, ``..``, ``/``)."""
    out = Path(out)
    if out.name in ("", ".", ".."):
        raise OutputError("is not a new file or folder name; give one such as shot_v2", path=out)
    return out


def check_output_path(out, inputs=(), overwrite: bool = False, *, folder: bool = False, companions=()) -> Path:
    """Refuse an output that is (or holds, or is beside as a companion) an input, exists without
    ``overwrite``, is the wrong kind of thing, or sits in an unwritable folder; then claim it.

    ``folder`` marks a frame-sequence output (a folder); ``companions`` are files written with it
    (its sidecar), held to the same rules. Creates missing parent folders, removes stale
    partials of dead runs there, and claims ``out`` for this process (see :func:`claim`).
    """
    out = check_output_name(out)
    inputs = [Path(i) for i in inputs if i is not None]
    _check_not_input(out, inputs, folder)
    _check_kind(out, folder, overwrite)
    for extra in companions:
        _check_companion(Path(extra), out, inputs, overwrite)
    parent = _writable_parent(out)
    clean_stale(parent)
    claim(out)
    if os.path.lexists(out) and not overwrite:  # written by a run that finished since the check
        release(out)
        raise OutputError("already exists; pass --overwrite to replace it or choose another path", path=out)
    return out


def _check_not_input(out: Path, inputs: list[Path], folder: bool) -> None:
    for item in inputs:
        if _same(out, item):
            raise OutputError(f"is also an input ({item}); write the render to a different path", path=out)
        if folder and out.is_dir() and _inside(item, out):
            raise OutputError(f"holds the source {item.name}; write the frames to a new folder", path=out)


def _check_kind(out: Path, folder: bool, overwrite: bool) -> None:
    if out.is_dir() and not folder:
        raise OutputError("is a folder; give a file name such as render.mp4 (or --codec png/exr for frames)", path=out)
    if folder and os.path.lexists(out) and (out.is_symlink() or not out.is_dir()):
        raise OutputError("exists and is not a folder; frames go into a new folder — choose another -o", path=out)
    if os.path.lexists(out) and not overwrite:
        raise OutputError("already exists; pass --overwrite to replace it or choose another path", path=out)
    if folder and out.is_dir():
        foreign = foreign_files(out)
        if foreign:
            shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
            raise OutputError(f"holds files this tool did not write ({shown}); only a folder of its own frames is "
                              "replaced — choose a new folder", path=out)


def _check_companion(extra: Path, out: Path, inputs: list[Path], overwrite: bool) -> None:
    for item in inputs:
        if _same(extra, item):
            raise OutputError(f"its sidecar {extra.name} would replace the input {item}; choose another output name",
                              path=out)
    if extra.is_dir():
        raise OutputError(f"its sidecar {extra.name} is a folder; move it or choose another output name", path=out)
    if os.path.lexists(extra) and not overwrite:
        raise OutputError(f"its sidecar {extra.name} already exists; pass --overwrite to replace it or choose "
                          "another path", path=out)


def _writable_parent(out: Path) -> Path:
    folder = out.parent if str(out.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {folder} ({exc.strerror}); choose a writable folder",
                          path=out) from exc
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"the output folder {folder} is not writable; choose a writable folder", path=out)
    return folder


# ---- a full disk -------------------------------------------------------------------------------
def is_disk_full(exc: BaseException) -> bool:
    """True for an OSError or PyAV error whose errno says the disk or quota is full."""
    return not isinstance(exc, T2VZError) and getattr(exc, "errno", None) in DISK_FULL


def disk_full_error(out, exc: BaseException, role: str = "output folder") -> DiskFullError:
    """One line naming the output's folder (never the hidden temporary file that was being written).

    ``out``: the output being written, or any file in the folder (``None``: the folder is unknown).
    """
    reason = getattr(exc, "strerror", None) or "No space left on device"
    if out is None:
        return DiskFullError(f"a disk is full ({reason}); free space on the disk of the output, the cache "
                             "(T2VZ_CACHE) or the model store and rerun — nothing was written")
    out = Path(out)
    folder = Path(os.path.abspath(out.parent))
    what = "" if out.name.startswith(".") else f" while writing {out.name}"  # temporaries are hidden: not named
    hint = "write elsewhere with -o" if role == "output folder" else "rerun"
    return DiskFullError(f"the {role}'s disk is full ({reason}){what}; free space there or {hint} — nothing was "
                         "written", path=folder)


class disk_full_named:  # noqa: N801 - used as a context manager: ``with disk_full_named(out): ...``
    """Re-raise a disk-full OSError inside the block as :func:`disk_full_error` for ``out``."""

    def __init__(self, out):
        self.out = out

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is not None and is_disk_full(exc):
            raise disk_full_error(self.out, exc) from exc
        return False


# ---- claims ------------------------------------------------------------------------------------
def _lock_path(out: Path) -> Path:
    return out.with_name(f".{out.name}{_LOCK}")


def claim(out) -> None:
    """Hold an exclusive lock on ``out`` for this process (no-op if already held here).

    Another live run holding it → :class:`OutputError`. The lock dies with its process, so a
    killed run never blocks the next one.
    """
    out = Path(out)
    key = os.path.abspath(out)
    if key in _held:
        return
    lock = _lock_path(out)
    for _ in range(8):
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputError("is being written by another t2vz-edit run; wait for it to finish or choose "
                              "another path", path=out) from None
        if _still_linked(fd, lock):
            _held[key] = (fd, lock)
            return
        os.close(fd)  # the previous holder removed the file between our open and lock: retry
    raise OutputError("could not be claimed (its lock file keeps changing); retry", path=out)


def _still_linked(fd: int, path: Path) -> bool:
    try:
        st, now = os.fstat(fd), os.stat(path)
    except FileNotFoundError:
        return False
    return (st.st_ino, st.st_dev) == (now.st_ino, now.st_dev)


def release(out) -> None:
    """Give up the claim on ``out`` (removes its lock file)."""
    entry = _held.pop(os.path.abspath(Path(out)), None)
    if entry is None:
        return
    fd, lock = entry
    try:
        os.unlink(lock)
    except OSError:
        pass
    os.close(fd)


@atexit.register
def release_all() -> None:
    """Give up every claim this process holds and remove its unpublished partials (the CLI does this
    when a command ends; a published partial no longer exists under its temporary name)."""
    for temp in list(_partials):
        remove_quietly(temp)
        _partials.discard(temp)
    for key in list(_held):
        release(key)


def clean_stale(folder: Path) -> list[str]:
    """Remove partials and lock files in ``folder`` left by t2vz-edit runs that are gone; returns their names."""
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP.match(entry.name)
        if match and not _alive(int(match.group(2))):
            if match.group(1) == "old":
                _remove_old_frames(entry)
            else:
                remove_quietly(entry)
            removed.append(entry.name)
        elif entry.name.startswith(".") and entry.name.endswith(_LOCK) and _unheld_lock_removed(entry):
            removed.append(entry.name)
    return removed


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


def _unheld_lock_removed(lock: Path) -> bool:
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    try:
        if _still_linked(fd, lock):
            os.unlink(lock)
            return True
        return False
    finally:
        os.close(fd)


# ---- temporary paths and publishing -------------------------------------------------------------
def temp_path_for(out: Path, kind: str = "partial") -> Path:
    """A unique hidden sibling of ``out`` with the same suffix, naming this process.

    Partials are remembered: :func:`release_all` removes any still there when the command ends,
    so a cancel that lands where no ``except`` of the writer can see it (at the first instruction
    of a context manager's ``__exit__``) still leaves nothing behind.
    """
    out = Path(out)
    temp = out.with_name(f".{out.stem}.t2vz-{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}{out.suffix}")
    if kind == "partial":  # never "old": a replaced folder that kept a user's files stays
        _partials.add(temp)
    return temp


def remove_quietly(path: Path) -> None:
    """Remove a temporary file or folder we created (a failure to clean up must not mask the real error)."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        try:
            path.unlink()
        except OSError:
            pass


def commit(temp: Path, out: Path, *, overwrite: bool = False) -> None:
    """Publish a finished temporary file/folder at ``out`` and release the claim on it.

    Without ``overwrite`` an output that appeared meanwhile is never replaced (exclusive link);
    a folder is replaced only if it holds nothing but this tool's frames.
    """
    temp, out = Path(temp), Path(out)
    try:
        if temp.is_dir():
            _commit_folder(temp, out, overwrite)
        else:
            _commit_file(temp, out, overwrite)
    finally:
        release(out)


def _appeared(out: Path) -> OutputError:
    return OutputError("appeared while this run was writing it (another run?); it was kept — pass --overwrite "
                       "or choose another path", path=out)


def _commit_file(temp: Path, out: Path, overwrite: bool) -> None:
    if out.is_dir() and not out.is_symlink():
        raise OutputError("is a folder; give a file name such as render.mp4", path=out)
    if overwrite:
        os.replace(temp, out)
        return
    try:
        os.link(temp, out)
    except FileExistsError:
        raise _appeared(out) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if os.path.lexists(out):  # a file system without hard links: check, then rename
            raise _appeared(out) from None
        os.replace(temp, out)
        return
    os.unlink(temp)


def _commit_folder(temp: Path, out: Path, overwrite: bool) -> None:
    if os.path.lexists(out):
        if not overwrite:
            raise _appeared(out)
        _check_kind(out, folder=True, overwrite=True)  # again: files may have been added since the check
        old = temp_path_for(out, "old")
        os.rename(out, old)
        os.rename(temp, out)
        _remove_old_frames(old)
        return
    try:
        os.rename(temp, out)
    except OSError as exc:  # a non-empty folder appeared meanwhile
        raise _appeared(out) from exc


def _remove_old_frames(old: Path) -> None:
    """Delete only this tool's frames from a replaced render folder; anything else stays."""
    name = re.sub(r"^\.(.*)\.t2vz-old-\d+-[0-9a-f]{8}(.*)$", r"\1\2", old.name)
    mine = owned_frame_names(name)
    for entry in old.iterdir():
        if mine.match(entry.name) and entry.is_file() and not entry.is_symlink():
            entry.unlink()
    try:
        old.rmdir()
    except OSError:
        pass  # something else was put there: keep it


def write_text_atomic(path: Path, text: str, *, overwrite: bool = True) -> None:
    """Write a small text file atomically (sidecars); without ``overwrite`` an existing file is kept."""
    path = Path(path)
    temp = temp_path_for(path)
    try:
        temp.write_text(text, encoding="utf-8")
        if overwrite:
            os.replace(temp, path)
        else:
            _commit_file(temp, path, overwrite=False)
    finally:
        remove_quietly(temp)
