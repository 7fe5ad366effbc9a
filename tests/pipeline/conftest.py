"""Tiny models saved in the real on-disk formats and small synthesized clips, built once per session."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from t2vz_edit.media.synth import make_clip

CLIP_FRAMES = 8


@pytest.fixture(scope="session")
def annotator_store_dir(tmp_path_factory):
    from t2vz_edit.conditions.factory import populate_store

    return populate_store(tmp_path_factory.mktemp("annotator-store"), ("pose", "depth"))


@pytest.fixture(scope="session")
def source_clip(tmp_path_factory) -> Path:
    """23.976 fps, timecode 01:00:00:00, stereo audio: what an editor hands over."""
    folder = tmp_path_factory.mktemp("clips")
    return Path(make_clip(folder / "shot.mov", frames=CLIP_FRAMES, width=96, height=64, rate=Fraction(24000, 1001),
                     timecode="01:00:00:00", audio={"channels": 2, "sample_rate": 48000}))


@pytest.fixture
def clip(source_clip, tmp_path) -> Path:
    """A private copy of the session clip so outputs next to it land in this test's folder."""
    copy = tmp_path / source_clip.name
    copy.write_bytes(source_clip.read_bytes())
    return copy
