"""Render a list of requests: each distinct render key once, reuse what exists, collect failures.

A failed render never stops the others: its outcome is a
:class:`~t2vz_edit.pipeline.render_job.RenderFailure`. A cancel (Ctrl-C or a progress callback
returning ``False``) does stop the loop: :class:`~t2vz_edit.spec.errors.Cancelled` propagates
after the renderer removed its partial file.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from t2vz_edit.pipeline.render_job import (Outcome, RenderFailure, Renderer, RenderRequest, RenderResult,
                                           is_reusable)
from t2vz_edit.spec.errors import Cancelled
from t2vz_edit.spec.progress import ProgressCallback, reporter


# What a runner (anything with ``run(requests, emit)``: t2vz_edit.batch's local and Ray runners)
# reports to the process that drives it.
@dataclass(frozen=True)
class Started:
    key: str
    node: str


@dataclass(frozen=True)
class Progress:
    key: str
    stage: str
    done: int
    total: int


@dataclass(frozen=True)
class Finished:
    key: str
    outcome: Outcome
    node: str
    seconds: float


Event = Started | Progress | Finished
Emit = Callable[[Event], None]


def unique_requests(requests: list[RenderRequest]) -> dict[str, RenderRequest]:
    """render key -> request, first one wins (same key = same render)."""
    unique: dict[str, RenderRequest] = {}
    for request in requests:
        unique.setdefault(request.render_key, request)
    return unique


def reused(request: RenderRequest) -> RenderResult | None:
    """The existing render of ``request`` when its sidecar names the same key."""
    return RenderResult(request.out_path, request.frame_count, reused=True) if is_reusable(request) else None


def render_one(request: RenderRequest, renderer: Renderer, progress: ProgressCallback | None = None) -> Outcome:
    """One render; any error becomes a failure record (a cancel propagates)."""
    try:
        return renderer(request, progress)
    except Cancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - recorded as a typed failure, never swallowed
        return RenderFailure.from_error(exc)


def render_all(requests: list[RenderRequest], renderer: Renderer, *, force: bool = False,
               progress: ProgressCallback | None = None) -> dict[str, Outcome]:
    """render key -> RenderResult or RenderFailure, for every distinct key of ``requests``."""
    report = reporter(progress)
    unique = unique_requests(requests)
    outcomes: dict[str, Outcome] = {}
    for index, (key, request) in enumerate(unique.items()):
        report("clips", index, len(unique))
        found = None if force else reused(request)
        outcomes[key] = found or render_one(request, renderer, progress)
    report("clips", len(unique), len(unique))
    return outcomes


def render_on(runner, requests: list[RenderRequest], *, force: bool = False,
              progress: ProgressCallback | None = None) -> dict[str, Outcome]:
    """:func:`render_all`'s contract on a runner (``runner.run(requests, emit)``), e.g. a Ray cluster."""
    report = reporter(progress)
    unique = unique_requests(requests)
    outcomes: dict[str, Outcome] = {}
    todo = []
    for key, request in unique.items():
        found = None if force else reused(request)
        if found is not None:
            outcomes[key] = found
        else:
            todo.append(request)

    def emit(event: Event) -> None:
        if isinstance(event, Progress):
            report(event.stage, event.done, event.total)
        elif isinstance(event, Finished):
            outcomes[event.key] = event.outcome
            report("clips", len(outcomes), len(unique))

    if todo:
        runner.run(todo, emit)
    return outcomes
