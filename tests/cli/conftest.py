"""A model store holding tiny RANDOM-weight models under the default hub ids, and a small clip.

With ``T2VZ_MODEL_STORE`` pointing at :func:`tiny_store`, the commands a new user types
(``restyle clip -p "..."``, no ``--model``) run end to end offline, through the real store lookup.
"""
from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from unittest import mock

import pytest

from t2vz_edit.media.synth import make_clip


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory, tiny_models) -> Path:
    from t2vz_edit.engine.models.store import import_model
    from t2vz_edit.engine.store import STORE_ENV
    from t2vz_edit.spec.edit_spec import DEFAULT_CONTROLNETS, DEFAULT_MODELS

    store = tmp_path_factory.mktemp("tiny-store")
    with mock.patch.dict(os.environ, {STORE_ENV: str(store)}):
        import_model(tiny_models["sd"], DEFAULT_MODELS["controlnet"])
        import_model(tiny_models["instruct"], DEFAULT_MODELS["instruct"])
        import_model(tiny_models["controlnet"], DEFAULT_CONTROLNETS["canny"])
    return store


@pytest.fixture
def cli_clip(tmp_path) -> Path:
    """8 frames of 96x64 at 23.976 with timecode 01:00:00:00 and stereo audio."""
    return Path(make_clip(tmp_path / "shot.mov", frames=8, width=96, height=64, rate=Fraction(24000, 1001),
                          timecode="01:00:00:00", audio={"channels": 2, "sample_rate": 48000}))
