"""The committed sample clips are what samples/make_samples.py says they are."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from t2vz_edit.media.probe import probe

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_samples_exist_are_small_and_probe_as_described():
    clips = {p.name: probe(p) for p in SAMPLES.iterdir() if p.suffix in (".mov", ".mp4")}
    assert sum((SAMPLES / n).stat().st_size for n in clips) < 2 * 1024 * 1024
    ntsc = clips["ntsc24_tc_stereo.mov"]
    assert (ntsc.rate, ntsc.start_timecode, ntsc.audio[0].channels) == (Fraction(24000, 1001), "01:00:00:00", 2)
    assert (clips["phone_portrait.mp4"].rotation, clips["phone_portrait.mp4"].display_height) == (-90, 320)
    assert clips["vfr.mp4"].is_vfr and clips["ten_bit.mp4"].bit_depth == 10
    assert clips["df2997_tc.mov"].start_timecode == "00:59:59;20"
