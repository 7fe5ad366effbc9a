"""Round trip for every kind of clip: probe → decode a range → render → probe the render."""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from t2vz_edit.media.decode import iter_chunks
from t2vz_edit.media.encode import open_render
from t2vz_edit.media.probe import probe
from t2vz_edit.media.ranges import FrameRange
from t2vz_edit.media.sidecar import read_sidecar, sidecar_path
from t2vz_edit.media.synth import bar_samples, make_clip, read_frame_number, tone
from t2vz_edit.media.timecode import offset_timecode
from t2vz_edit.media.timing import frame_pts_table

RANGE = FrameRange(13, 41)  # starts mid-GOP (GOP 12)


def _render(info, out, codec="h264", long_side=96, **kw):
    with open_render(out, info, RANGE, codec=codec, provenance={"mode": "test", "seed": 7}, **kw) as render:
        for chunk in iter_chunks(info, RANGE, chunk_frames=6, long_side=long_side):
            render.write(chunk.frames)
    return out


def _frames(info):
    return np.concatenate([c.frames for c in iter_chunks(info, FrameRange(0, info.frame_count))])


@pytest.mark.parametrize("kind", ["ntsc24_tc_stereo", "phone_portrait", "vfr", "ten_bit_prores", "ten_bit_h264",
                                  "pal25", "df2997_tc", "odd_size"])
@pytest.mark.parametrize("codec, ext", [("h264", ".mp4"), ("prores", ".mov")])
def test_round_trip_keeps_timing_timecode_audio_and_orientation(clips, tmp_path, kind, codec, ext):
    src = probe(clips[kind])
    out = probe(_render(src, tmp_path / f"out{ext}", codec=codec))
    assert out.frame_count == RANGE.count
    assert [read_frame_number(f) for f in _frames(out)] == list(range(RANGE.start, RANGE.stop))
    # display size restored from the working size (4:2:0 H.264 drops an odd row/column)
    even = codec == "h264"
    assert out.display_width == src.display_width - src.display_width % 2  # 4:2:0 and 4:2:2 need even widths
    assert out.display_height == src.display_height - (src.display_height % 2 if even else 0)
    assert out.rotation == 0  # rotation is baked into the pixels
    assert (out.color_primaries, out.color_transfer, out.color_matrix, out.color_range) == \
        ("bt709", "bt709", "bt709", "tv")
    if src.is_vfr:  # keeps the source's timestamps, re-based to 0
        src_pts = frame_pts_table(src.path, 0)[RANGE.start:RANGE.stop]
        out_pts = frame_pts_table(out.path, 0)
        src_sec = [(p - src_pts[0]) * src.time_base for p in src_pts]
        assert [p * out.time_base for p in out_pts] == src_sec
        assert out.is_vfr
    else:
        assert out.rate == src.rate and isinstance(out.rate, Fraction)
    # untimecoded sources: the render starts at the source in-point, frame N at the source rate
    assert out.start_timecode == offset_timecode(src.start_timecode or "00:00:00:00", RANGE.start, src.rate)
    assert len(out.audio) == len(src.audio)
    for audio in out.audio:
        assert abs(audio.duration_sec - out.duration_sec) <= 1 / float(src.rate)
    if codec == "prores":
        assert (out.video_codec, out.pix_fmt, out.bit_depth) == ("prores", "yuv422p10le", 10)
        with av.open(out.path) as c:
            assert c.streams.video[0].codec_context.profile == "HQ"


@pytest.mark.parametrize("kind, codec, ext", [("ntsc24_tc_stereo", "h264", ".mov"),
                                              ("ten_bit_prores", "prores", ".mov"),
                                              ("ten_bit_h264", "h264", ".mp4")])
def test_colour_bars_survive_the_round_trip_within_three_levels(clips, tmp_path, kind, codec, ext):
    src = probe(clips[kind])
    out = probe(_render(src, tmp_path / f"bars{ext}", codec=codec, long_side=None))
    frame = next(iter_chunks(out, FrameRange(0, 1))).frames[0]
    for expected, measured in bar_samples(frame):
        assert np.abs(measured - expected).max() <= 3, (expected, measured)


def _left_channel(path) -> np.ndarray:
    with av.open(str(path)) as c:
        parts = [f.to_ndarray().astype(np.float64).reshape(len(f.layout.channels), -1) if f.format.is_planar
                 else f.to_ndarray().astype(np.float64).reshape(-1, len(f.layout.channels)).T
                 for f in c.decode(audio=0)]
    left = np.concatenate(parts, axis=1)[0]
    return left / np.abs(left).max()


@pytest.mark.parametrize("audio, ext", [({"channels": 2, "sample_rate": 48000}, ".mov"),  # AAC: stream copy
                                        ({"channels": 2, "sample_rate": 48000, "codec": "pcm_s16le"}, ".mp4")])
def test_audio_is_in_sync_with_the_video(tmp_path, audio, ext):
    """Find the render's first audio in the source chirp: it must sit within one frame of the range start."""
    src = probe(make_clip(tmp_path / "src.mov", frames=48, rate=Fraction(25), audio=audio))
    out = _render(src, tmp_path / f"sync{ext}")
    rendered = _left_channel(out)[2048:2048 + 4800]  # skip the codec's first packets
    source = tone(2, 48000, 0, 48 * 48000 // 25)[0].astype(np.float64) / 0.2
    scores = [np.dot(rendered, source[k:k + len(rendered)]) for k in range(0, len(source) - len(rendered))]
    found_sample = int(np.argmax(scores)) - 2048
    expected_sample = RANGE.start * 48000 // 25
    assert abs(found_sample - expected_sample) < 48000 / 25, (found_sample, expected_sample)
    best = source[found_sample + 2048:found_sample + 2048 + len(rendered)]
    assert max(scores) / (np.linalg.norm(rendered) * np.linalg.norm(best)) > 0.9  # a real match, not noise


def test_provenance_in_container_metadata_and_sidecar(clips, tmp_path):
    src = probe(clips["ntsc24_tc_stereo"])
    out_path = _render(src, tmp_path / "prov.mp4")
    meta = json.loads(probe(out_path).metadata["comment"])
    side = read_sidecar(out_path)
    assert sidecar_path(out_path) == Path(str(out_path) + ".json")
    for record in (meta, side["provenance"]):
        assert record["mode"] == "test" and record["seed"] == 7 and record["tool"] == "t2vz-edit"
        assert record["source"] == str(Path(src.path).resolve())
        assert record["range"] == {"start_frame": 13, "stop_frame": 41, "start_timecode": "01:00:00:13"}
    assert side["schema"] == "t2vz.sidecar.1" and side["frame_count"] == 28


def test_png_sequence_folder_with_audio_and_sidecar(clips, tmp_path):
    src = probe(clips["ntsc24_tc_stereo"])
    folder = _render(src, tmp_path / "shot", codec="png")
    pngs = sorted(folder.glob("shot_*.png"))
    assert [p.name for p in pngs[:2]] == ["shot_000000.png", "shot_000001.png"] and len(pngs) == RANGE.count
    with av.open(str(pngs[5])) as c:
        frame = next(c.decode(video=0)).to_ndarray(format="rgb24")
    assert frame.shape == (180, 320, 3) and read_frame_number(frame) == RANGE.start + 5
    assert (folder / "shot.wav").exists()
    assert read_sidecar(folder)["start_timecode"] == "01:00:00:13"


def test_explicit_size(clips, tmp_path):
    src = probe(clips["pal25"])
    out = probe(_render(src, tmp_path / "small.mp4", size=(160, 90)))
    assert (out.display_width, out.display_height) == (160, 90)
