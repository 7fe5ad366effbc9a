"""Shared fixtures for batch tests: a footage folder of distinct tiny clips, batch files, one Ray.

Ray is expensive on a 2-core box (5-15 s and ~630 MB per start), so the contract suite shares
one local cluster per module (``ray_session``), with a custom resource standing in for GPUs,
and always shuts it down.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from t2vz_edit.media.synth import make_clip

os.environ["RAY_AUTH_MODE"] = "disabled"  # a throw-away local cluster; no token files under ~/.ray
sys.path.insert(0, str(Path(__file__).parent))  # batch_helpers

from batch_helpers import CLIPS, GPU, write_toml  # noqa: E402



@pytest.fixture(scope="session")
def footage_master(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("footage_master")
    for rel, frames in CLIPS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        make_clip(root / rel, frames=frames, width=64, height=48, gop=4)
    return root


@pytest.fixture
def project(tmp_path, footage_master) -> Path:
    """A project folder: footage/ (a copy of the master clips) and a batch.toml over all of it."""
    import shutil

    shutil.copytree(footage_master, tmp_path / "footage")
    write_toml(tmp_path / "batch.toml", '[[job]]\nglob = "day*/*.mov"\n')
    return tmp_path


@pytest.fixture(scope="module")
def ray_session():
    """One local Ray cluster for the module: 2 CPUs, two GPU-like custom resource units."""
    import ray

    import batch_helpers

    ray.cloudpickle.register_pickle_by_value(batch_helpers)  # workers do not have tests/ on their path
    ray.init(num_cpus=2, resources={GPU: 2}, include_dashboard=False, log_to_driver=False,
             object_store_memory=80 * 1024 * 1024)
    try:
        yield ray
    finally:
        ray.shutdown()
