"""Runners, and the local one (one process, models loaded once per model set).

A runner takes plain :class:`~t2vz_edit.pipeline.render_job.RenderRequest` s and calls ``emit``
with the :mod:`t2vz_edit.pipeline.render_loop` events (``Started``, ``Progress``, ``Finished``)
*in the driver process*;
the driver alone turns them into journal lines. Renderers are given as a factory (a picklable
callable returning a renderer, e.g. ``RENDERERS.load("trim")``) so each worker builds its own and
keeps its models between jobs. Runners are found by name in :data:`RUNNERS`, the registry of the
``t2vz_edit.runners`` entry-point group: a runner class takes ``(renderer_factory, **options)`` and
lists the options it takes in ``options``.
"""
from __future__ import annotations

import signal
import socket
import threading
import time
from contextlib import contextmanager
from typing import Callable

from t2vz_edit.pipeline.model_cache import models_key
from t2vz_edit.pipeline.render_job import Renderer, RenderRequest
from t2vz_edit.pipeline.render_loop import Emit, Finished, Progress, Started, render_one
from t2vz_edit.spec.registry import Registry


RendererFactory = Callable[[], Renderer]


def by_model_set(requests: list[RenderRequest]) -> list[RenderRequest]:
    """Requests grouped so each model set comes once (first-seen order kept within and between groups)."""
    groups: dict[tuple, list[RenderRequest]] = {}
    for request in requests:
        groups.setdefault(models_key(request.spec), []).append(request)
    return [request for group in groups.values() for request in group]


class LocalRunner:
    """Render one request after another in this process.

    Ctrl-C asks the current render to stop at its next progress report (after the frame chunk
    being encoded); the renderer then raises ``Cancelled`` and removes its partial file. A
    second Ctrl-C interrupts at once.
    """

    name = "local"
    options: tuple[str, ...] = ()

    def __init__(self, renderer_factory: RendererFactory):
        self.renderer_factory = renderer_factory
        self.renderer: Renderer | None = None
        self.node = socket.gethostname()
        self._stop = threading.Event()

    def run(self, requests: list[RenderRequest], emit: Emit) -> None:
        if self.renderer is None:
            self.renderer = self.renderer_factory()
        with self._soft_interrupt():
            for request in by_model_set(requests):
                emit(Started(request.render_key, self.node))
                began = time.monotonic()
                outcome = render_one(request, self.renderer, self._progress(request.render_key, emit))
                emit(Finished(request.render_key, outcome, self.node, time.monotonic() - began))

    def _progress(self, key: str, emit: Emit):
        def progress(stage: str, done: int, total: int):
            emit(Progress(key, stage, done, total))
            return not self._stop.is_set()

        return progress

    @contextmanager
    def _soft_interrupt(self):
        self._stop.clear()
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.getsignal(signal.SIGINT)

        def first(signum, frame):
            self._stop.set()  # the next progress report returns False: Cancelled after this chunk
            signal.signal(signal.SIGINT, previous if callable(previous) else signal.default_int_handler)

        signal.signal(signal.SIGINT, first)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def close(self) -> None:
        self.renderer = None


# The one runner registry: name -> runner class. ``--runner`` (batch run, timeline restyle) names its entries.
RUNNERS = Registry("t2vz_edit.runners", "runner", flag="--runner", check=callable, expected="a runner class")


def make_runner(name: str, renderer_factory: RendererFactory, **options) -> object:
    """The runner registered as ``name``, given those of ``options`` it lists in its ``options``."""
    cls = RUNNERS.load(name)
    takes = set(getattr(cls, "options", ()))
    return cls(renderer_factory, **{k: v for k, v in options.items() if k in takes})
