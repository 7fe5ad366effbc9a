"""Suite-wide settings: offline, CPU, deterministic, no writes outside tmp paths."""
from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path_factory, monkeypatch):
    """Every test gets its own empty model store and cache unless it sets one."""
    root = tmp_path_factory.mktemp("store")
    monkeypatch.setenv("T2VZ_MODEL_STORE", str(root / "models"))
    monkeypatch.setenv("T2VZ_CACHE", str(root / "cache"))
    monkeypatch.setenv("HF_HOME", str(root / "hf"))
