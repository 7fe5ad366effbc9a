"""Run a planned batch on a runner, journaling every step, resuming what an earlier run left.

Resume rules: a job is skipped only when its render and sidecar exist and the sidecar names
the job's render key (whatever the journal says: a deleted render is made again, a render
finished just before a crash is kept); a job left ``started`` is queued again; a retryable
failure is tried again up to ``max_attempts`` times per run; a usage failure never.
"""
from __future__ import annotations

import fcntl
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from t2vz_edit.batch.journal import FOLDER, Journal, JobState, replay
from t2vz_edit.batch.plan import Plan
from t2vz_edit.pipeline.render_loop import Finished, Progress, Started
from t2vz_edit.pipeline.render_job import RenderRequest, RenderResult, is_reusable
from t2vz_edit.spec.errors import OutputError
from t2vz_edit.spec.progress import ProgressCallback, reporter

PARTIAL_GLOB = ".*.t2vz-partial-*"


@dataclass
class BatchResult:
    output: Path
    states: dict[str, JobState]  # this plan's jobs only

    def count(self, *statuses: str) -> int:
        return sum(1 for s in self.states.values() if s.status in statuses)

    @property
    def failed(self) -> list[JobState]:
        return [s for s in self.states.values() if s.status == "failed"]


def run_batch(plan: Plan, runner, *, max_attempts: int = 2, force: bool = False,
              progress: ProgressCallback | None = None, notify: Callable[[dict], None] | None = None) -> BatchResult:
    """Render every job of ``plan`` that has no valid render yet; returns the final job states."""
    output = plan.batch.output
    with _driver_lock(output):
        journal = Journal(output)                                          # 1. journal and leftovers
        remove_partials(output)
        states = replay(journal.read())
        driver = _Driver(journal, states, plan, progress, notify)
        driver.plan_new()
        todo = [r for r in plan.requests if driver.needs_render(r, force)]  # 2. what is left to do
        for _ in range(max(1, max_attempts)):                              # 3. rounds of attempts
            if not todo:
                break
            try:
                runner.run(todo, driver.handle)
            finally:
                remove_partials(output)  # a killed worker cannot clean up after itself
            todo = [r for r in todo if driver.retry(r.render_key)]
        states = replay(journal.read())
    return BatchResult(output, {job.key: states[job.key] for job in plan.jobs})


class _Driver:
    """Turns runner events into journal lines (the only writer) and progress reports."""

    def __init__(self, journal: Journal, states: dict[str, JobState], plan: Plan, progress, notify):
        self.journal, self.states, self.plan = journal, states, plan
        self.progress, self.report = progress, reporter(progress)
        self.notify = notify or (lambda event: None)
        self.started: set[str] = set()
        self.outcomes: dict = {}
        self.finished = 0

    def write(self, event: str, key: str, **fields) -> None:
        self.journal.append(event, key, **fields)
        self.notify({"event": event, "key": key, **fields})

    def plan_new(self) -> None:
        for job in self.plan.jobs:
            if job.key not in self.states:
                request = job.request
                self.write("planned", job.key, source=job.source, media=str(request.media_path),
                           output=str(request.out_path),
                           start_frame=request.start_frame, stop_frame=request.stop_frame,
                           instruction=request.instruction, spec=request.spec.to_dict())
                self.states[job.key] = JobState(job.key, source=job.source, output=str(request.out_path))

    def needs_render(self, request: RenderRequest, force: bool) -> bool:
        state = self.states[request.render_key]
        if not force and is_reusable(request):
            reason = "done before" if state.status in ("done", "skipped") else "a matching render exists"
            self.write("skipped", request.render_key, reason=reason, output=str(request.out_path))
            return False
        if not force and state.status == "failed" and state.error and not state.error.get("retryable"):
            return False  # a usage error does not heal by itself; fix the batch file
        return True

    def retry(self, key: str) -> bool:
        outcome = self.outcomes.get(key)
        return outcome is not None and not isinstance(outcome, RenderResult) and outcome.retryable

    def handle(self, event) -> None:
        if isinstance(event, Progress):
            if self.progress is not None:
                self.report(event.stage, event.done, event.total)
            return
        if isinstance(event, Started) or event.key not in self.started:
            self.started.add(event.key)
            state = self.states[event.key]
            state.attempts += 1
            self.write("started", event.key, attempt=state.attempts, node=event.node)
        if isinstance(event, Finished):
            self._finished(event)

    def _finished(self, event: Finished) -> None:
        self.started.discard(event.key)
        self.outcomes[event.key] = event.outcome
        attempt = self.states[event.key].attempts
        if isinstance(event.outcome, RenderResult):
            self.write("done", event.key, attempt=attempt, node=event.node, output=str(event.outcome.path),
                       frames=event.outcome.frame_count, seconds=round(event.seconds, 3))
        else:
            self.write("failed", event.key, attempt=attempt, node=event.node, error=event.outcome.to_dict(),
                       seconds=round(event.seconds, 3))
        self.finished += 1
        self.report("jobs", self.finished, len(self.plan.jobs))


def remove_partials(output: Path) -> list[Path]:
    """Remove the hidden temporary files a killed render left in ``output``; returns them."""
    from t2vz_edit.media.atomic import remove_quietly

    found = sorted(Path(output).rglob(PARTIAL_GLOB)) if Path(output).is_dir() else []
    for path in found:
        remove_quietly(path)
    return found


@contextmanager
def _driver_lock(output: Path):
    """One driver per output folder: the journal has a single writer."""
    folder = Path(output) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError("another batch run is writing to this output folder; wait for it or choose "
                              "another output", path=output) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
