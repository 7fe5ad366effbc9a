"""One error family for everything a user can cause.

Each error is one line that names the file or setting and says what to do. The CLI alone maps
them to exit codes (``exit_code``): 2 for usage errors (bad options, missing inputs, impossible
ranges, invalid presets, outputs that would be clobbered), 1 for failures (corrupt media,
missing models, failed renders), 3 for partial failure of a multi-item job, 130 for a cancel.
Errors also subclass the matching builtin so callers can catch ``ValueError`` etc.
"""
from __future__ import annotations

from pathlib import Path


class T2VZError(Exception):
    """Base of every error a user can cause. ``str(err)`` is the one-line message."""

    exit_code = 1

    def __init__(self, message: str, *, path: str | Path | None = None):
        self.path = None if path is None else str(path)
        message = " ".join(str(message).split())  # always one line
        if self.path and not message.startswith(self.path):
            message = f"{self.path}: {message}"
        super().__init__(message)

    @property
    def message(self) -> str:
        return str(self)


class UsageError(T2VZError, ValueError):
    """The request itself is wrong: bad option, impossible range, conflicting settings."""

    exit_code = 2


class InputNotFoundError(UsageError, FileNotFoundError):
    """An input path does not exist or is the wrong kind of thing (e.g. a directory)."""


class OutputError(UsageError, OSError):
    """An output cannot be written: exists without overwrite, unwritable folder, equals an input."""


class PresetError(UsageError):
    """A preset is unknown or invalid (names file, key and allowed values)."""


class MediaError(T2VZError, OSError):
    """A media file is corrupt, truncated, unsupported or has nothing to decode."""


class DiskFullError(T2VZError, OSError):
    """The disk (or quota) of an output folder filled up while writing; names the folder, not a temp file."""


class ModelError(T2VZError, OSError):
    """A model cannot be found or loaded (offline and absent, wrong format, unsafe pickle)."""


class TimelineError(T2VZError, ValueError):
    """A timeline cannot be read, is unsupported, or a clip on it cannot be processed."""


class PartialFailure(T2VZError):
    """Some items of a multi-item job (timeline, batch) failed; the rest succeeded."""

    exit_code = 3


class Cancelled(BaseException):
    """The user (Ctrl-C, SIGTERM) or a progress callback stopped the work; nothing partial was left.

    Deliberately *not* a :class:`T2VZError` (nor an :class:`Exception`): a cancel must pass
    through every ``except Exception`` — a library's during import, a per-clip
    ``except T2VZError`` in a timeline — and stop the run, like ``KeyboardInterrupt`` (which click
    would turn into "Aborted!", so it is not a subclass of that either).
    ``exit_code`` is 130 (Ctrl-C) or 143 (SIGTERM).
    """

    exit_code = 130

    def __init__(self, message: str = "cancelled; no output was written", *, path: str | Path | None = None,
                 exit_code: int | None = None):
        self.path = None if path is None else str(path)
        message = " ".join(str(message).split())
        if self.path and not message.startswith(self.path):
            message = f"{self.path}: {message}"
        if exit_code is not None:
            self.exit_code = exit_code
        super().__init__(message)

    @property
    def message(self) -> str:
        return str(self)
