"""Helpers of the batch tests: the footage layout, batch files, and the renderers handed to runners.

The module is pickled by value for Ray workers (they do not have tests/ on their path).

All of them render for real through the trim renderer (media layer, sidecar and all); they only
add a failure, a crash or a delay where a test needs one.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from t2vz_edit.pipeline.renderers import trim_renderer
from t2vz_edit.spec.errors import MediaError, UsageError

GPU = "t2vz_gpu"  # the custom resource that schedules like a GPU on CPU-only machines
CLIPS = {"day1/a.mov": 10, "day1/b.mov": 12, "day2/c.mov": 14}  # distinct content: distinct lengths


def write_toml(path: Path, jobs: str, defaults: str = 'instruction = "make it snowy"\nsteps = 2\n') -> Path:
    path.write_text(f'version = 1\nroot = "footage"\noutput = "out"\n[defaults]\n{defaults}\n{jobs}')
    return path


def trim_factory():
    return trim_renderer


class FlakyRenderer:
    """Fails sources named in ``fail`` once (retryable, marker file), ``usage`` always (not retryable)."""

    def __init__(self, marks: str, fail=(), usage=()):
        self.marks, self.fail, self.usage = Path(marks), tuple(fail), tuple(usage)

    def __call__(self, request, progress=None):
        name = Path(request.media_path).name
        if name in self.usage:
            raise UsageError(f"{name}: impossible request")
        mark = self.marks / f"{name}.failed"
        if name in self.fail and not mark.exists():
            mark.parent.mkdir(parents=True, exist_ok=True)
            mark.write_text("x")
            raise MediaError("network share dropped the read; try again", path=request.media_path)
        return trim_renderer(request, progress)


class Flaky:
    """Picklable factory of :class:`FlakyRenderer`."""

    def __init__(self, marks, fail=(), usage=()):
        self.args = (str(marks), tuple(fail), tuple(usage))

    def __call__(self):
        return FlakyRenderer(*self.args)


class CrashOnce:
    """A factory whose renderer kills its own process (like a segfault) the first time it sees ``name``."""

    def __init__(self, marks, name: str):
        self.marks, self.name = str(marks), name

    def __call__(self):
        def render(request, progress=None):
            mark = Path(self.marks) / "crashed"
            if Path(request.media_path).name == self.name and not mark.exists():
                mark.parent.mkdir(parents=True, exist_ok=True)
                mark.write_text(str(os.getpid()))
                os._exit(9)
            return trim_renderer(request, progress)

        return render


class Slow:
    """A factory whose renderer waits ``seconds`` per progress report: long enough to be killed mid-job."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def __call__(self):
        def render(request, progress=None):
            def slow(stage, done, total):
                time.sleep(self.seconds)
                return progress(stage, done, total) if progress else None

            return trim_renderer(request, slow)

        return render
