"""Synthesized clips shared by the media tests, built once per session (each a few hundred kB)."""
from __future__ import annotations

from fractions import Fraction

import pytest

from t2vz_edit.media.synth import make_clip

STEREO = {"channels": 2, "sample_rate": 48000}

# name → (file name, make_clip options). Every kind listed in issue 2.
CLIP_KINDS = {
    "ntsc24_tc_stereo": ("ntsc24.mov", dict(rate=Fraction(24000, 1001), timecode="01:00:00:00", audio=STEREO,
                                             colour_bars=True)),
    "phone_portrait": ("phone.mp4", dict(width=180, height=320, rotation=-90, rate=Fraction(30), audio=STEREO)),
    "vfr": ("vfr.mp4", dict(rate=Fraction(30), vfr=True, audio=STEREO)),
    "ten_bit_prores": ("prores10.mov", dict(codec="prores", ten_bit=True, timecode="10:00:00:00",
                                            colour_bars=True)),
    "ten_bit_h264": ("x264_10.mp4", dict(ten_bit=True, colour_bars=True)),
    "pal25": ("pal25.mp4", dict(rate=Fraction(25), timecode="00:00:10:00", audio=STEREO)),
    "df2997_tc": ("df2997.mov", dict(rate=Fraction(30000, 1001), timecode="00:59:59;20", audio=STEREO)),
    "odd_size": ("odd.mov", dict(width=321, height=181, codec="prores")),
}


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, str]:
    """Path of each kind of clip (48 frames, 2 s at 24 fps)."""
    root = tmp_path_factory.mktemp("clips")
    return {kind: make_clip(root / name, frames=48, **options) for kind, (name, options) in CLIP_KINDS.items()}


@pytest.fixture(scope="session")
def bars_clip(clips) -> str:
    return clips["ntsc24_tc_stereo"]
