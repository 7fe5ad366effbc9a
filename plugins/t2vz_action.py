"""Run a t2vz-edit action from an editor plugin and follow its JSON-lines progress.

Plugins (Resolve, Premiere/UXP bridges, Nuke, Kdenlive scripts) call the CLI rather than import
the package, so they work with whatever Python the host application embeds. Standard library only.

    from t2vz_action import restyle_clip
    out = restyle_clip("/media/A001.mov", preset="watercolor",
                       on_progress=lambda stage, done, total: print(stage, done, total))
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Callable, Optional, Sequence


class ActionFailed(RuntimeError):
    """The CLI exited non-zero; ``message`` is its one-line error, ``exit_code`` its code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


def cli_command() -> list[str]:
    """`t2vz-edit` on PATH, else `python -m t2vz_edit` (T2VZ_EDIT_CLI overrides)."""
    if os.environ.get("T2VZ_EDIT_CLI"):
        return os.environ["T2VZ_EDIT_CLI"].split()
    exe = shutil.which("t2vz-edit")
    return [exe] if exe else [sys.executable, "-m", "t2vz_edit"]


def run_action(args: Sequence[str], on_progress: Optional[Callable[[str, int, int], None]] = None) -> dict:
    """Run ``t2vz-edit ARGS --progress json``; returns the final ``done`` event."""
    proc = subprocess.Popen([*cli_command(), *args, "--progress", "json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    final: dict = {}
    for line in proc.stdout:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # a library printed something; only JSON lines are events
        if event.get("event") == "progress" and on_progress:
            on_progress(event["stage"], event["done"], event["total"])
        elif event.get("event") in ("done", "error"):
            final = event
    stderr = proc.stderr.read()
    code = proc.wait()
    if code != 0:
        message = final.get("message") or (stderr.strip().splitlines() or ["t2vz-edit failed"])[-1]
        raise ActionFailed(message.removeprefix("error: "), code)
    return final


def restyle_clip(path: str, *, preset: Optional[str] = None, instruction: Optional[str] = None,
                 output: Optional[str] = None, frame_range: Optional[str] = None, extra: Sequence[str] = (),
                 on_progress: Optional[Callable[[str, int, int], None]] = None) -> str:
    """The "restyle this clip" action: returns the render's path."""
    args = ["restyle", path]
    for flag, value in (("--preset", preset), ("--instruction", instruction), ("-o", output),
                        ("--range", frame_range)):
        if value:
            args += [flag, value]
    return run_action([*args, *extra], on_progress)["output"]
