"""Suite-wide settings: offline, CPU, deterministic, no writes outside tmp paths."""
from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path_factory, monkeypatch):
    """Every test gets its own empty model store and cache unless it sets one."""
    root = tmp_path_factory.mktemp("store")
    monkeypatch.setenv("T2VZ_MODEL_STORE", str(root / "models"))
    monkeypatch.setenv("T2VZ_CACHE", str(root / "cache"))
    monkeypatch.setenv("HF_HOME", str(root / "hf"))


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, Path]:
    """Tiny random SD, Instruct-Pix2Pix and ControlNet models saved as diffusers folders."""
    from t2vz_edit.engine.tiny import save_tiny_controlnet, save_tiny_pipeline

    root = tmp_path_factory.mktemp("tiny-models")
    return {"sd": save_tiny_pipeline(root / "sd", "sd"),
            "instruct": save_tiny_pipeline(root / "instruct", "instruct"),
            "controlnet": save_tiny_controlnet(root / "controlnet")}


@pytest.fixture
def small_disk(tmp_path):
    """``small_disk(size)`` → an empty folder on its own tmpfs of ``size`` (e.g. "160k"): a real full disk.

    Needs root (mount); skipped elsewhere. Unmounted when the test ends.
    """
    import shutil
    import subprocess

    mounted = []

    def make(size: str) -> Path:
        if os.geteuid() != 0 or not shutil.which("mount"):
            pytest.skip("a size-limited tmpfs needs root and mount")
        folder = tmp_path / f"disk-{size}"
        folder.mkdir()
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
        mounted.append(folder)
        return folder

    yield make
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.fixture
def loads(monkeypatch) -> list:
    """Every model load the command reaches (none should, for a refused command)."""
    calls: list = []

    def record(spec, *args, **kwargs):
        calls.append(spec)
        raise AssertionError("a model was loaded")

    monkeypatch.setattr("t2vz_edit.engine.models.loading.load_parts", record)
    monkeypatch.setattr("t2vz_edit.cli.cmd_generate._parts", lambda spec, *args: record(spec))
    return calls
