from __future__ import annotations

import json
from fractions import Fraction

import pytest

from t2vz_edit.media.probe import probe
from t2vz_edit.media.synth import make_clip
from t2vz_edit.media.timing import snap_rate


def test_ntsc_clip_with_timecode_and_stereo(clips):
    info = probe(clips["ntsc24_tc_stereo"])
    assert info.rate == Fraction(24000, 1001) and isinstance(info.rate, Fraction)
    assert (info.frame_count, info.start_timecode, info.is_vfr) == (48, "01:00:00:00", False)
    assert (info.video_codec, info.pix_fmt, info.bit_depth) == ("h264", "yuv420p", 8)
    assert (info.color_primaries, info.color_transfer, info.color_matrix, info.color_range) == \
        ("bt709", "bt709", "bt709", "tv")
    assert info.duration_sec == pytest.approx(48 * 1001 / 24000, abs=1e-3)
    (audio,) = info.audio
    assert (audio.codec, audio.channels, audio.sample_rate) == ("aac", 2, 48000)
    assert audio.duration_sec == pytest.approx(info.duration_sec, abs=1 / 24)
    json.dumps(info.to_dict())  # JSON-able
    assert info.to_dict()["rate"] == "24000/1001"


def test_phone_clip_reports_rotation_and_display_size(clips):
    info = probe(clips["phone_portrait"])
    assert (info.width, info.height) == (320, 180)  # stored landscape, like a phone
    assert (info.rotation, info.display_width, info.display_height) == (-90, 180, 320)


def test_vfr_and_ten_bit_and_df(clips):
    assert probe(clips["vfr"]).is_vfr is True
    assert probe(clips["pal25"]).is_vfr is False
    prores = probe(clips["ten_bit_prores"])
    assert (prores.video_codec, prores.pix_fmt, prores.bit_depth) == ("prores", "yuv422p10le", 10)
    assert probe(clips["ten_bit_h264"]).bit_depth == 10
    df = probe(clips["df2997_tc"])
    assert (df.rate, df.start_timecode) == (Fraction(30000, 1001), "00:59:59;20")
    odd = probe(clips["odd_size"])
    assert (odd.display_width, odd.display_height) == (321, 181)


@pytest.mark.parametrize("raw, exact", [(Fraction(2997, 125), Fraction(24000, 1001)),
                                        (Fraction(23976, 1000), Fraction(24000, 1001)),
                                        (Fraction(2997, 100), Fraction(30000, 1001)),
                                        (Fraction(5994, 100), Fraction(60000, 1001)),
                                        (Fraction(2500, 100), Fraction(25)),
                                        (Fraction(26777, 1000), Fraction(26777, 1000))])
def test_rates_snap_to_exact_fractions(raw, exact):
    assert snap_rate(raw) == exact


def test_container_written_with_2997_over_125_probes_as_ntsc(tmp_path):
    info = probe(make_clip(tmp_path / "odd_rate.mp4", frames=6, rate=Fraction(2997, 125)))
    assert info.rate == Fraction(24000, 1001)


def test_mxf_container_timecode_is_read(tmp_path):
    """MXF carries timecode in container metadata (not on the stream); the probe looks there too."""
    path = make_clip(tmp_path / "c.mxf", frames=5, rate=Fraction(25), codec="mpeg2", width=720, height=576,
                     timecode="03:00:00:00")
    info = probe(path)
    assert (info.container, info.start_timecode, info.frame_count) == ("mxf", "03:00:00:00", 5)


def test_sd_clip_tagged_bt601(tmp_path):
    info = probe(make_clip(tmp_path / "sd.mp4", frames=4, width=320, height=240, matrix="bt601"))
    assert info.color_matrix == "smpte170m"
