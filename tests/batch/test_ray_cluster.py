"""Ray on a simulated multi-node cluster: a node dies mid-job, a worker process crashes.

``ray.cluster_utils.Cluster`` runs a head node (no GPU-like resource) and two worker nodes with
one unit of the custom resource each, all on this machine; one cluster serves the module and is
always shut down.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from batch_helpers import CLIPS, CrashOnce, GPU, Slow
from t2vz_edit.batch.instructions import read_batch_file
from t2vz_edit.batch.journal import Journal
from t2vz_edit.batch.plan import plan_batch
from t2vz_edit.batch.run import run_batch
from t2vz_edit.media.probe import probe

NODE = dict(num_cpus=1, resources={GPU: 1}, object_store_memory=80 * 1024 * 1024)


@pytest.fixture(scope="module")
def cluster():
    import ray
    from ray.cluster_utils import Cluster

    import batch_helpers

    ray.cloudpickle.register_pickle_by_value(batch_helpers)
    made = Cluster(initialize_head=True, head_node_args=dict(num_cpus=1, object_store_memory=80 * 1024 * 1024))
    try:
        ray.init(address=made.address, log_to_driver=False)
        yield made
    finally:
        ray.shutdown()
        made.shutdown()


@pytest.fixture
def two_workers(cluster):
    while len(cluster.worker_nodes) < 2:
        cluster.add_node(**NODE)
    cluster.wait_for_nodes()
    return cluster


def _runner(factory):
    from t2vz_edit.batch.ray_runner import RayRunner

    return RayRunner(factory, resource=GPU)


def _check_outputs(project, plan):
    for job in plan.jobs:
        assert probe(job.request.out_path).frame_count == CLIPS[job.source]
    assert [p for p in project.rglob("*") if "t2vz-partial" in p.name] == []


def test_a_node_killed_mid_job_and_its_job_finishes_on_another(project, two_workers):
    plan = plan_batch(read_batch_file(project / "batch.toml"), check_models=False)
    killed = {}

    def kill_first_node(event):  # the driver sees the job start on a node: take that node down
        if event["event"] == "started" and not killed:
            node_id = event["node"].split("/")[1]
            victim = next(n for n in two_workers.worker_nodes if n.node_id.startswith(node_id))
            two_workers.remove_node(victim, allow_graceful=False)
            killed.update(key=event["key"], node=event["node"])

    runner = _runner(Slow(0.4))
    try:
        result = run_batch(plan, runner, notify=kill_first_node, max_attempts=2)
    finally:
        runner.close()
    assert result.count("done") == len(CLIPS), [s.error for s in result.failed]
    mine = [e for e in Journal(project / "out").read() if e["key"] == killed["key"]]
    assert [e["event"] for e in mine] == ["planned", "started", "failed", "started", "done"]
    assert mine[2]["error"]["kind"] == "worker_lost" and mine[2]["node"] == killed["node"]
    assert mine[4]["node"] != killed["node"] and mine[4]["attempt"] == 2
    _check_outputs(project, plan)


def test_a_crashed_worker_is_restarted_and_its_job_retried(project, two_workers, tmp_path):
    import os

    plan = plan_batch(read_batch_file(project / "batch.toml"), check_models=False)
    runner = _runner(CrashOnce(tmp_path / "marks", "b.mov"))
    try:
        result = run_batch(plan, runner, max_attempts=2)
        restarted = runner.actors
    finally:
        runner.close()
    assert result.count("done") == len(CLIPS)
    crashed_pid = int((tmp_path / "marks" / "crashed").read_text())
    assert crashed_pid != os.getpid()
    b = next(s for s in result.states.values() if s.source == "day1/b.mov")
    events = [e for e in Journal(project / "out").read() if e["key"] == b.key]
    assert [e["event"] for e in events] == ["planned", "started", "failed", "started", "done"]
    assert events[2]["error"]["kind"] == "worker_lost" and len(restarted) == 2
    _check_outputs(project, plan)
