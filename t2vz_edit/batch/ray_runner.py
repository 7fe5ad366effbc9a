"""The Ray runner: one actor per GPU (or per unit of a custom resource), models loaded once per actor.

Requests (paths and settings, never frames) go to idle actors; each actor renders into the
shared output folder atomically and reports ``started`` and progress through a
``ray.util.queue.Queue`` that the driver drains; results come back as plain
:class:`~t2vz_edit.pipeline.render_job.RenderResult` / ``RenderFailure`` records, and only the
driver turns them into journal lines. An actor that dies (crash, killed node) is restarted by
Ray (``max_restarts``); its job is reported as a retryable ``worker_lost`` failure and runs
again on whichever actor is free. ``address=None`` starts a local cluster; ``"auto"`` or
``host:port`` joins a running one.
"""
from __future__ import annotations

import collections
import socket
import time

from t2vz_edit.batch.runners import RendererFactory, by_model_set
from t2vz_edit.pipeline.render_loop import Finished, Progress, Started
from t2vz_edit.pipeline.render_job import RenderFailure
from t2vz_edit.spec.errors import T2VZError, UsageError

LOST_WORKERS_TIMEOUT_SEC = 120.0  # how long to wait for a restarted actor when none is left
PROGRESS_INTERVAL_SEC = 0.5


class RenderWorker:
    """Actor body: one renderer (and its loaded models) per actor, kept between jobs."""

    def __init__(self, renderer_factory: RendererFactory, queue) -> None:
        import ray

        self.renderer = renderer_factory()
        self.queue = queue
        self.node = f"{socket.gethostname()}/{ray.get_runtime_context().get_node_id()[:8]}"

    def ready(self) -> str:
        return self.node

    def render(self, request):
        from t2vz_edit.pipeline.render_loop import render_one

        self.queue.put(Started(request.render_key, self.node))
        began, last = time.monotonic(), {}

        def progress(stage: str, done: int, total: int):
            now = time.monotonic()
            if done >= total or now - last.get(stage, 0.0) >= PROGRESS_INTERVAL_SEC:
                last[stage] = now
                self.queue.put_nowait(Progress(request.render_key, stage, done, total))

        outcome = render_one(request, self.renderer, progress)
        return Finished(request.render_key, outcome, self.node, time.monotonic() - began)


class RayRunner:
    """Run requests on Ray actors; see the module docstring."""

    name = "ray"
    options = ("address", "resource", "workers", "max_restarts", "init_options")

    def __init__(self, renderer_factory: RendererFactory, *, address: str | None = None, resource: str = "GPU",
                 workers: int | None = None, max_restarts: int = 3, init_options: dict | None = None):
        self.renderer_factory = renderer_factory
        self.address, self.resource, self.workers = address, resource, workers
        self.max_restarts = max_restarts
        self.init_options = init_options or {}
        self.actors: list = []
        self.queue = None
        self._started_ray = False
        self._nodes: dict[str, str] = {}  # render key -> node it last started on
        self._idle: collections.deque = collections.deque()  # actors ready for a job
        self._waking: dict = {}  # object ref of actor.ready() -> actor restarting after a crash

    # ---- cluster and actors ---------------------------------------------------------------
    def _connect(self) -> None:
        import ray

        if ray.is_initialized():
            return
        if self.address:
            ray.init(address=self.address, log_to_driver=False, **self.init_options)
        else:
            units = self.workers or 1
            extra = {} if self.resource == "GPU" else {"resources": {self.resource: units}}
            ray.init(include_dashboard=False, log_to_driver=False, **extra, **self.init_options)
            self._started_ray = True

    def _start_actors(self) -> None:
        import ray
        from ray.util.queue import Queue

        if self.actors:
            return
        available = int(ray.cluster_resources().get(self.resource, 0))
        count = self.workers or available
        if count < 1 or available < 1:
            raise UsageError(f"the Ray cluster has no {self.resource!r} resource ({available}); start nodes with "
                             f"it or pass --ray-resource NAME")
        self.queue = Queue(actor_options={"num_cpus": 0})
        need = {"num_gpus": 1} if self.resource == "GPU" else {"resources": {self.resource: 1}}
        actor_class = ray.remote(RenderWorker).options(num_cpus=0, max_restarts=self.max_restarts,
                                                        max_task_retries=0, **need)
        self.actors = [actor_class.remote(self.renderer_factory, self.queue) for _ in range(count)]
        self._idle = collections.deque(self.actors)

    # ---- the dispatch loop ----------------------------------------------------------------
    def run(self, requests, emit) -> None:
        import ray

        self._connect()
        self._start_actors()
        pending = collections.deque(by_model_set(requests))
        idle, waking = self._idle, self._waking  # kept between runs: a lost actor stays out until it is back
        running: dict = {}  # object ref -> (actor, request)
        lost_since = None
        while pending or running:
            while pending and idle:
                actor, request = idle.popleft(), pending.popleft()
                running[actor.render.remote(request)] = (actor, request)
            if not running:
                lost_since = lost_since or time.monotonic()
                if not waking or time.monotonic() - lost_since > LOST_WORKERS_TIMEOUT_SEC:
                    raise T2VZError(f"every Ray worker was lost and none came back; {len(pending)} job(s) left "
                                    "(resume with the same command once the cluster has workers)")
            else:
                lost_since = None
            ready, _ = ray.wait([*running, *waking], num_returns=1, timeout=0.2)
            self._drain(emit)
            for ref in ready:
                if ref in waking:
                    self._woken(ref, waking, idle)
                else:
                    actor, request = running.pop(ref)
                    self._collect(ref, actor, request, emit, idle, waking)
        self._drain(emit)

    def _collect(self, ref, actor, request, emit, idle, waking) -> None:
        import ray

        try:
            finished = ray.get(ref)
        except ray.exceptions.RayActorError as exc:  # the actor died: crash, OOM kill or lost node
            self._drain(emit)
            message = f"worker lost while rendering ({type(exc).__name__}); retried on another worker"
            node = self._nodes.get(request.render_key, "")
            emit(Finished(request.render_key, RenderFailure("worker_lost", message, True), node, 0.0))
            waking[actor.ready.remote()] = actor  # back in the pool once Ray has restarted it
            return
        idle.append(actor)
        emit(finished)

    @staticmethod
    def _woken(ref, waking, idle) -> None:
        import ray

        actor = waking.pop(ref)
        try:
            ray.get(ref)
        except ray.exceptions.ActorUnavailableError:  # still restarting: ask again shortly
            time.sleep(0.2)
            waking[actor.ready.remote()] = actor
            return
        except ray.exceptions.RayActorError:
            return  # out of restarts: this worker is gone for good
        idle.append(actor)

    def _drain(self, emit) -> None:
        while self.queue is not None and not self.queue.empty():
            event = self.queue.get_nowait()
            if isinstance(event, Started):
                self._nodes[event.key] = event.node
            emit(event)

    def close(self) -> None:
        """Stop the actors, and the local cluster when this runner started it."""
        import ray

        if not ray.is_initialized():
            return
        for actor in self.actors:
            ray.kill(actor, no_restart=True)
        if self.queue is not None:
            self.queue.shutdown()
        self.actors, self.queue = [], None
        self._idle.clear()
        self._waking.clear()
        if self._started_ray:
            ray.shutdown()
            self._started_ray = False
