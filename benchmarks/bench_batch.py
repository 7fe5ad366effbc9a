"""Batch runners: Ray's per-job overhead against the local runner, and throughput with N workers; JSON.

Cases
  overhead    the same batch of N short clips through the local runner and the Ray runner with one
              worker (cluster and actor start-up measured apart): per-job seconds of each, their ratio
              (Ray / local; 1.0 = no overhead) and Ray's added milliseconds per job
  scaling     the same batch on 1, 2 and 4 simulated GPU workers (a custom Ray resource), with a
              renderer that encodes the clip for real (CPU) and then holds its "GPU" for
              ``--gpu-seconds`` (a sleep: the time a diffusion step would take): jobs/s and the
              speed-up over one worker (linear = N, until the CPU is full)

    RAY_AUTH_MODE=disabled python benchmarks/bench_batch.py --jobs 16 --gpu-seconds 0.5
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RAY_AUTH_MODE", "disabled")

from t2vz_edit.batch.instructions import read_batch_file  # noqa: E402
from t2vz_edit.batch.plan import plan_batch  # noqa: E402
from t2vz_edit.batch.run import run_batch  # noqa: E402
from t2vz_edit.batch.runners import LocalRunner  # noqa: E402
from t2vz_edit.media.synth import make_clip  # noqa: E402
from t2vz_edit.pipeline.renderers import trim_renderer  # noqa: E402

RESOURCE = "bench_gpu"


def trim_factory():
    return trim_renderer


class SimulatedGpu:
    """Factory of a renderer that encodes for real, then holds the GPU for ``seconds``."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def __call__(self):
        def render(request, progress=None):
            result = trim_renderer(request, progress)
            time.sleep(self.seconds)
            return result

        return render


def make_footage(root: Path, jobs: int, frames: int) -> Path:
    (root / "footage").mkdir(parents=True)
    for i in range(jobs):
        make_clip(root / "footage" / f"clip{i:03d}.mov", frames=frames + i % 3, width=128, height=72, gop=8)
    (root / "batch.toml").write_text('version = 1\nroot = "footage"\noutput = "out"\n[defaults]\n'
                                     'instruction = "make it snowy"\n[[job]]\nglob = "*.mov"\n')
    return root / "batch.toml"


def timed_run(toml: Path, runner) -> float:
    shutil.rmtree(toml.parent / "out", ignore_errors=True)
    plan = plan_batch(read_batch_file(toml), check_models=False)
    began = time.perf_counter()
    result = run_batch(plan, runner)
    seconds = time.perf_counter() - began
    assert result.count("done") == len(plan.jobs), [s.error for s in result.failed]
    return seconds


def ray_runner(factory, workers: int):
    from t2vz_edit.batch.ray_runner import RayRunner

    runner = RayRunner(factory, resource=RESOURCE, workers=workers)
    began = time.perf_counter()
    runner._connect()
    runner._start_actors()
    import ray

    ray.get([a.ready.remote() for a in runner.actors])  # actors up and renderers built
    return runner, time.perf_counter() - began


def overhead(toml: Path, jobs: int) -> dict:
    local = min(timed_run(toml, LocalRunner(trim_factory)) for _ in range(2))
    runner, startup = ray_runner(trim_factory, 1)
    try:
        ray = min(timed_run(toml, runner) for _ in range(2))
    finally:
        runner.close()
    return {"jobs": jobs, "local_s_per_job": round(local / jobs, 4), "ray_s_per_job": round(ray / jobs, 4),
            "ratio_ray_over_local": round(ray / local, 3), "ray_added_ms_per_job": round(1000 * (ray - local) / jobs, 1),
            "ray_actor_startup_s": round(startup, 2)}


def scaling(toml: Path, jobs: int, gpu_seconds: float) -> dict:
    rows, base = [], None
    for workers in (1, 2, 4):
        runner, _ = ray_runner(SimulatedGpu(gpu_seconds), workers)
        try:
            seconds = timed_run(toml, runner)
        finally:
            runner.close()
        rate = jobs / seconds
        base = base or rate
        rows.append({"workers": workers, "seconds": round(seconds, 2), "jobs_per_s": round(rate, 3),
                     "speedup": round(rate / base, 2)})
    return {"gpu_seconds_per_job": gpu_seconds, "cpus": os.cpu_count(), "runs": rows}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=16)
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--gpu-seconds", type=float, default=0.5)
    args = parser.parse_args(argv)
    import ray

    work = Path(tempfile.mkdtemp(prefix="bench_batch_"))
    try:
        toml = make_footage(work, args.jobs, args.frames)
        began = time.perf_counter()
        ray.init(num_cpus=os.cpu_count(), resources={RESOURCE: 4}, include_dashboard=False, log_to_driver=False,
                 object_store_memory=100 * 1024 * 1024)
        init = time.perf_counter() - began
        try:
            report = {"ray_init_s": round(init, 2), "overhead": overhead(toml, args.jobs),
                      "scaling": scaling(toml, args.jobs, args.gpu_seconds)}
        finally:
            ray.shutdown()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
