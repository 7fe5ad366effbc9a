"""Ctrl-C and SIGTERM held until the CLI can act on them, from the first line of the package on.

``t2vz_edit/__init__.py`` installs the holding handler in its first lines (built-in modules
only), so from the first line of this project's code that runs in the command's process a
signal is recorded instead of raising ``KeyboardInterrupt`` from inside some import (a
traceback, exit 1) or killing the process mid-way; :func:`t2vz_edit.cli.app.main` then exits 130 / 143 with one line and writes
nothing. Only the command is affected: a program that imports ``t2vz_edit`` as a library keeps
its own signal handling. Standard library only, on purpose.
"""
from __future__ import annotations

import signal
import threading

import t2vz_edit as _package

SIGNALS = (signal.SIGINT, signal.SIGTERM)
pending: list[int] = _package._held_signals  # signals that arrived while held, oldest first
ORIGINAL = {sig: _package._original_handlers.get(sig, signal.getsignal(sig)) for sig in SIGNALS}
hold = _package._hold_signal
launched_as_cli = _package._launched_as_cli


def set_handlers(handler) -> None:
    """Install ``handler`` for SIGINT and SIGTERM (``None``: the process's original ones); main thread only."""
    if threading.current_thread() is threading.main_thread():
        for sig, original in ORIGINAL.items():
            signal.signal(sig, original if handler is None else handler)


def hold_if_cli() -> None:
    if launched_as_cli():
        set_handlers(hold)


__all__ = ["pending", "hold", "set_handlers", "launched_as_cli", "hold_if_cli", "ORIGINAL"]
