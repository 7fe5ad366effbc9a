"""Shared fixtures for timeline tests: synthesized media and timelines built in code.

Every timeline has a 01:00:00:00 start, several tracks, gaps, a transition between two
unselected clips, and markers; media are tiny H.264 clips made by the media layer's synthesizer
at the timeline's exact rate, so a render's frame count can be checked against its clip.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from t2vz_edit.media.synth import make_clip

from timeline_helpers import MEDIA_FRAMES, build_timeline, one_hour  # noqa: F401  (re-exported for fixtures)


@pytest.fixture(scope="session")
def media_factory(tmp_path_factory):
    """rate -> {name: path} of four 60-frame clips at that rate (built once per rate)."""
    made: dict = {}

    def build(rate: Fraction) -> dict[str, Path]:
        if rate not in made:
            folder = tmp_path_factory.mktemp(f"media_{float(rate):.3f}")
            made[rate] = {name: Path(make_clip(folder / f"{name}.mov", frames=MEDIA_FRAMES, width=64, height=48,
                                               rate=rate, gop=6))
                          for name in ("shotA", "shotB", "shotC", "shotD")}
        return made[rate]

    return build


@pytest.fixture
def timeline_24(media_factory):
    return build_timeline(media_factory(Fraction(24)), Fraction(24))
