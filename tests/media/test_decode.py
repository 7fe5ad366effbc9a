from __future__ import annotations

import numpy as np
import pytest

from t2vz_edit.media.decode import iter_chunks, working_size
from t2vz_edit.media.probe import probe
from t2vz_edit.media.ranges import FrameRange, resolve_range
from t2vz_edit.media.synth import bar_samples, draw_frame, make_clip, read_frame_number
from t2vz_edit.spec.errors import UsageError


def _numbers(info, frame_range, **kw):
    return [read_frame_number(f) for c in iter_chunks(info, frame_range, **kw) for f in c.frames]


@pytest.mark.parametrize("kind", ["ntsc24_tc_stereo", "phone_portrait", "vfr", "ten_bit_prores", "ten_bit_h264",
                                  "pal25", "df2997_tc", "odd_size"])
def test_range_from_mid_gop_is_frame_exact(clips, kind):
    info = probe(clips[kind])
    # GOP is 12 with B-frames: 17 is mid-GOP, 30 is two frames past a keyframe at 24... both must be exact
    for frame_range in (FrameRange(17, 30), FrameRange(0, 5), FrameRange(47, 48)):
        assert _numbers(info, frame_range, chunk_frames=5) == list(range(frame_range.start, frame_range.stop))


def test_chunks_are_contiguous_and_independent_of_chunk_size(clips):
    info = probe(clips["ntsc24_tc_stereo"])
    frame_range = FrameRange(3, 40)
    by_size = {}
    for size in (1, 7, 64):
        chunks = list(iter_chunks(info, frame_range, chunk_frames=size))
        assert [c.start for c in chunks] == list(range(3, 40, size))
        assert all(len(c.frames) <= size and c.frames.dtype == np.uint8 for c in chunks)
        by_size[size] = np.concatenate([c.frames for c in chunks])
    assert np.array_equal(by_size[1], by_size[7]) and np.array_equal(by_size[7], by_size[64])


def test_rotation_is_applied_for_display(clips):
    info = probe(clips["phone_portrait"])
    (chunk,) = list(iter_chunks(info, FrameRange(10, 11)))
    assert chunk.frames.shape == (1, 320, 180, 3)  # portrait, as a viewer sees it
    expected = draw_frame(10, 180, 320).astype(int)
    assert np.abs(chunk.frames[0].astype(int) - expected).mean() < 4  # upright, not turned


@pytest.mark.parametrize("kind", ["ntsc24_tc_stereo", "ten_bit_prores", "ten_bit_h264"])
def test_bt709_bars_decode_within_three_levels(clips, kind):
    info = probe(clips[kind])
    (chunk,) = list(iter_chunks(info, FrameRange(0, 1)))
    for expected, measured in bar_samples(chunk.frames[0]):
        assert np.abs(measured - expected).max() <= 3, (expected, measured)


def test_sd_clip_decodes_with_bt601(tmp_path):
    info = probe(make_clip(tmp_path / "sd.mp4", frames=2, width=320, height=240, matrix="bt601", colour_bars=True))
    frame = next(iter_chunks(info, FrameRange(0, 1))).frames[0]
    worst = max(np.abs(m - e).max() for e, m in bar_samples(frame))
    assert worst <= 3  # BT.709 maths on BT.601 material would be off by >10 levels on the colour bars


@pytest.mark.parametrize("display, long_side, expected", [((1920, 1080), 512, (512, 288)),
                                                          ((1080, 1920), 512, (288, 512)),
                                                          ((321, 181), 100, (96, 56)),
                                                          ((1000, 1000), 515, (512, 512))])
def test_working_size_multiples_of_eight(display, long_side, expected):
    class Info:
        display_width, display_height = display
    w, h = working_size(Info, long_side)
    assert (w, h) == expected and w % 8 == 0 and h % 8 == 0


def test_resized_chunks_keep_the_frame_code(clips):
    info = probe(clips["phone_portrait"])
    chunk = next(iter_chunks(info, FrameRange(20, 24), long_side=128))
    assert chunk.frames.shape == (4, 128, 72, 3)
    assert [read_frame_number(f) for f in chunk.frames] == [20, 21, 22, 23]


def test_ranges_in_seconds_and_timecode(clips):
    info = probe(clips["ntsc24_tc_stereo"])
    assert resolve_range(info, "01:00:01:00+12") == FrameRange(24, 36)
    assert resolve_range(info, "1.0s-1.5s") == FrameRange(24, 36)
    assert resolve_range(info, None) == FrameRange(0, 48)
    df = probe(clips["df2997_tc"])  # starts 00:59:59;20; 01:00:00;00 is 10 frames later (no drop at minute 60)
    assert resolve_range(df, "01:00:00;00+5") == FrameRange(10, 15)
    with pytest.raises(UsageError, match="outside .*frames 0-48"):
        resolve_range(info, "40+20")
    with pytest.raises(UsageError, match="outside"):
        resolve_range(info, "00:59:59:00+5")  # before the clip's start timecode


def test_out_of_order_timestamps_come_out_in_presentation_order(tmp_path):
    """AVI with B-frames stores decode order; frames must still come out in presentation order."""
    info = probe(make_clip(tmp_path / "b.avi", frames=30, codec="mpeg4", rate=25))
    assert _numbers(info, FrameRange(7, 19), chunk_frames=4) == list(range(7, 19))


def test_mid_segment_range_of_an_mpeg_ts_with_one_keyframe(tmp_path):
    """A streaming segment (.ts) keyed only at its start: the seek lands at the end and decodes
    nothing (a real HLS segment from mux.js's tests failed so), so decoding restarts from the top."""
    info = probe(make_clip(tmp_path / "segment.ts", frames=120, width=96, height=64, gop=300))
    chunks = list(iter_chunks(info, FrameRange(80, 88)))
    assert [read_frame_number(f) for c in chunks for f in c.frames] == list(range(80, 88))
