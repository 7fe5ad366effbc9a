"""Random-weight annotator files, written once per test session (OpenPose body alone is ~200 MB)."""
from __future__ import annotations

import numpy as np
import pytest

from t2vz_edit.conditions.factory import populate_store


@pytest.fixture(scope="session")
def annotator_store_dir(tmp_path_factory):
    return populate_store(tmp_path_factory.mktemp("annotator-store"), ("pose", "softedge", "depth"),
                          softedge_backends=("pidinet", "hed"))


@pytest.fixture
def annotator_store(annotator_store_dir, monkeypatch):
    """Point the model store at the session's random annotators."""
    monkeypatch.setenv("T2VZ_MODEL_STORE", str(annotator_store_dir))
    return annotator_store_dir


def _square_clip(frames: int = 4, h: int = 48, w: int = 64) -> np.ndarray:
    """A bright square moving right over a dark gradient: (F, H, W, 3) uint8."""
    clip = np.zeros((frames, h, w, 3), np.uint8)
    clip[...] = np.linspace(0, 60, w, dtype=np.uint8)[None, None, :, None]
    for k in range(frames):
        clip[k, 12:36, 6 + 6 * k: 26 + 6 * k] = (230, 200, 40)
    return clip


@pytest.fixture
def square_clip():
    return _square_clip
