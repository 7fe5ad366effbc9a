"""Progress reporting and cancel: one callback type for every long loop.

A progress callback is called as ``callback(stage, done, total)``; returning ``False`` asks
the loop to stop, which it does by raising :class:`~t2vz_edit.spec.errors.Cancelled` after
cleaning up. Returning ``None`` or ``True`` continues.

>>> seen = []
>>> report = reporter(lambda s, d, t: seen.append((s, d, t)))
>>> report("decode", 1, 10)
>>> seen
[('decode', 1, 10)]
"""
from __future__ import annotations

from typing import Callable, Optional

from t2vz_edit.spec.errors import Cancelled

ProgressCallback = Callable[[str, int, int], Optional[bool]]


def _ignore(stage: str, done: int, total: int) -> None:
    return None


def reporter(callback: ProgressCallback | None) -> Callable[[str, int, int], None]:
    """Wrap a user callback so that a ``False`` return raises :class:`Cancelled`."""
    fn = callback or _ignore

    def report(stage: str, done: int, total: int) -> None:
        if fn(stage, done, total) is False:
            raise Cancelled(f"cancelled during {stage} at {done}/{total}; no output was written")

    return report
