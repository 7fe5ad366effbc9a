"""Progress display for long commands: a rich bar (stage, frames, ETA) or JSON lines for plugins.

Every long command takes ``--progress rich|json|none`` and passes ``display.callback`` down as
the one progress callback ``(stage, done, total)``. JSON lines go to stdout, one object per
event: ``{"event": "progress", "v": 1, "time": 1764700000.25, "stage": "engine", "done": 12,
"total": 48}``; a final ``{"event": "done", ...}`` (``output``/``previews`` as absolute paths) or
``{"event": "error", "message": ..., "exit_code": ...}`` is printed by the command. The contract
for plugins (version field, timestamps, which events exist) is plugins/README.md.
"""
from __future__ import annotations

import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import typer

PROGRESS_MODES = ("rich", "json", "none")

progress_option = typer.Option(
    "rich", "--progress", help="Progress display: rich (a bar), json (JSON lines for plugins) or none."
)


# Version of the JSON-lines plugin protocol (plugins/README.md); bump when a field changes meaning.
PROTOCOL_VERSION = 1
_PATH_FIELDS = ("output", "previews")  # `done` fields that name files: sent absolute


def _absolute(value):
    if isinstance(value, (list, tuple)):
        return [_absolute(v) for v in value]
    return str(Path(value).absolute()) if value not in (None, "") else value


def emit_json(event: str, **fields) -> None:
    """One JSON line on stdout (flushed, for plugins reading a pipe): event, protocol version, wall time."""
    if event == "done":
        fields = {k: _absolute(v) if k in _PATH_FIELDS else v for k, v in fields.items()}
    line = {"event": event, "v": PROTOCOL_VERSION, "time": round(time.time(), 3), **fields}
    sys.stdout.write(json.dumps(line, default=str) + "\n")
    sys.stdout.flush()


class _JsonDisplay:
    def __init__(self, min_interval_sec: float = 0.2):
        self.min_interval_sec = min_interval_sec
        self._last: dict[str, float] = {}

    def callback(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last.get(stage, 0.0) < self.min_interval_sec:
            return
        self._last[stage] = now
        emit_json("progress", stage=stage, done=done, total=total)


# What each stage counts; frames unless named here ("denoise" counts one frame through one step).
UNITS = {"denoise": "frame-steps", "clips": "clips", "load": "models", "download": "MiB"}


class _RichDisplay:
    def __init__(self, progress):
        self.progress = progress
        self.tasks: dict[str, int] = {}

    def callback(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=total or None, unit=UNITS.get(stage, "frames"))
        self.progress.update(self.tasks[stage], completed=done, total=total or None)


class _NoDisplay:
    def callback(self, stage: str, done: int, total: int) -> None:
        return None


def quiet_third_party_bars() -> None:
    """Our display is the only one: no huggingface_hub / transformers / diffusers tqdm bars."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # read by hub and transformers at import
    if "diffusers" in sys.modules:
        sys.modules["diffusers"].utils.logging.disable_progress_bar()
    if "transformers" in sys.modules:
        sys.modules["transformers"].utils.logging.disable_progress_bar()


@contextmanager
def progress_display(mode: str) -> Iterator[object]:
    """Yield an object whose ``callback`` is the progress callback for ``mode``."""
    quiet_third_party_bars()
    if mode not in PROGRESS_MODES:
        raise typer.BadParameter(f"--progress {mode!r}: use one of {', '.join(PROGRESS_MODES)}")
    if mode == "json":
        yield _JsonDisplay()
    elif mode == "none":
        yield _NoDisplay()
    else:
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)

        columns = (TextColumn("[bold]{task.description:<11}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[unit]}"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
        with Progress(*columns, transient=False, redirect_stdout=False) as progress:
            yield _RichDisplay(progress)
