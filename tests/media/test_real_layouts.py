"""Issue 9: the layouts real cameras, phones and NLEs write, each through probe, trim, conditions
and restyle (tiny models): frame count, rate, timecode, audio duration, frame content."""
from __future__ import annotations

import logging
import subprocess
import sys
from fractions import Fraction

import av
import numpy as np
import pytest

from t2vz_edit.media.decode import iter_chunks
from t2vz_edit.media.encode import open_render
from t2vz_edit.media.probe import probe
from t2vz_edit.media.ranges import FrameRange, resolve_range
from t2vz_edit.media.synth import make_clip, read_frame_number
from t2vz_edit.media.timecode import offset_timecode
from t2vz_edit.media.synth_layouts import make_bad_audio_clip, make_edit_list_mp4, make_sparse_avi
from t2vz_edit.spec.errors import MediaError

STEREO = {"channels": 2, "sample_rate": 48000}
CODED = (0, 1, 2, 7, 8, 20, 21, 22, 40, 59)  # the sparse AVI's coded slots (of 70)


def _held(slot: int) -> int:
    """The picture a slot of the sparse AVI shows: the latest coded frame at or before it."""
    return max(c for c in CODED if c <= slot)


@pytest.fixture(scope="module")
def layouts(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("layouts")
    return {
        "audio_first": make_clip(root / "af.mp4", frames=30, width=96, height=64, audio=STEREO, audio_first=True,
                                 rate=Fraction(30000, 1001)),
        "ac3_avi": make_bad_audio_clip(root / "ac3.avi", audio_codec="ac3"),
        "mp2_avi": make_bad_audio_clip(root / "mp2.avi", audio_codec="mp2"),
        "pcm_avi": make_bad_audio_clip(root / "pcm.avi", audio_codec="pcm_s16le"),
        "ac3_mov": make_bad_audio_clip(root / "ac3.mov", audio_codec="ac3"),
        "pcm_mov": make_bad_audio_clip(root / "pcm.mov", audio_codec="pcm_s16le"),
        "sparse_avi": make_sparse_avi(root / "sparse.avi", slots=70, coded=CODED),
        "edit_list_mp4": make_edit_list_mp4(root / "el.mp4", frames=20),
    }


EXPECTED = {  # layout → (frame_count, rate, video stream index, audio streams)
    "audio_first": (30, Fraction(30000, 1001), 1, 1),
    "ac3_avi": (48, Fraction(25), 0, 1), "mp2_avi": (48, Fraction(25), 0, 1), "pcm_avi": (48, Fraction(25), 0, 1),
    "ac3_mov": (48, Fraction(25), 0, 1), "pcm_mov": (48, Fraction(25), 0, 1),
    "sparse_avi": (70, Fraction(15), 0, 0), "edit_list_mp4": (20, Fraction(24), 0, 0),
}


def _content(info, frame_range) -> list[int]:
    return [read_frame_number(f) for c in iter_chunks(info, frame_range, chunk_frames=7) for f in c.frames]


def _expected_content(kind: str, frame_range: FrameRange) -> list[int]:
    slots = range(frame_range.start, frame_range.stop)
    return [_held(i) for i in slots] if kind == "sparse_avi" else list(slots)


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_probe_counts_what_decodes(layouts, kind):
    info = probe(layouts[kind])
    count, rate, video_index, audio_streams = EXPECTED[kind]
    assert (info.frame_count, info.rate, info.video_stream_index, len(info.audio)) == \
        (count, rate, video_index, audio_streams)
    assert not info.is_vfr
    assert _content(info, FrameRange(0, info.frame_count)) == _expected_content(kind, FrameRange(0, count))


def test_probe_says_when_the_header_disagrees(layouts):
    info = probe(layouts["edit_list_mp4"])
    assert (info.header_frames, info.coded_frames, info.frame_count) == (21, 20, 20)
    assert any("header says 21 frames, 20 decode" in n for n in info.notes)
    sparse = probe(layouts["sparse_avi"])
    assert (sparse.sparse, sparse.coded_frames, sparse.frame_count) == (True, len(CODED), 70)
    assert sparse.duration_sec == pytest.approx(70 / 15)


def _trim(info, out, frame_range, **kw):
    with open_render(out, info, frame_range, **kw) as render:
        for chunk in iter_chunks(info, frame_range, chunk_frames=8, long_side=64):
            render.write(chunk.frames)
    return probe(out)


@pytest.mark.parametrize("kind", sorted(EXPECTED))
@pytest.mark.parametrize("ext", [".mp4", ".mov"])
def test_trim_mid_range_keeps_frames_timing_timecode_and_audio(layouts, kind, ext, tmp_path, caplog):
    info = probe(layouts[kind])
    span = resolve_range(info, f"{info.frame_count // 4}+{info.frame_count // 2}")
    with caplog.at_level(logging.WARNING, logger="t2vz_edit.media"):
        out = _trim(info, tmp_path / f"out{ext}", span)
    assert out.frame_count == span.count and out.rate == info.rate
    assert _content(out, FrameRange(0, out.frame_count)) == _expected_content(kind, span)
    assert out.start_timecode == offset_timecode("00:00:00:00", span.start, info.rate)  # untimecoded: in-point
    assert len(out.audio) == len(info.audio)
    for track in out.audio:
        assert abs(track.duration_sec - float(span.count / info.rate)) <= 1 / float(info.rate)
    bad = [r.getMessage() for r in caplog.records if "undecodable" in r.getMessage()]
    if kind in ("ac3_avi", "ac3_mov", "mp2_avi") and span.start <= 5:
        assert len(bad) == 1 and "skipped 1 undecodable packet(s) at" in bad[0]


@pytest.mark.parametrize("kind", ["ac3_avi", "mp2_avi", "ac3_mov"])
@pytest.mark.parametrize("audio", ["copy", "reencode"])
def test_bad_audio_packet_is_skipped_with_one_warning(layouts, kind, audio, tmp_path, caplog):
    info = probe(layouts[kind])
    with caplog.at_level(logging.WARNING, logger="t2vz_edit.media"):
        out = _trim(info, tmp_path / "whole.mov", FrameRange(0, info.frame_count), audio=audio)
    warnings = [r.getMessage() for r in caplog.records if "undecodable" in r.getMessage()]
    assert len(warnings) == 1 and "audio track #1" in warnings[0] and "skipped 1 undecodable" in warnings[0]
    assert abs(out.audio[0].duration_sec - info.frame_count / float(info.rate)) <= 1 / float(info.rate)


def test_audio_modes_pick_codecs(layouts, tmp_path):
    info = probe(layouts["pcm_mov"])
    assert probe(_trim(info, tmp_path / "a.mov", FrameRange(0, 8)).path).audio[0].codec == "pcm_s24le"
    assert probe(_trim(info, tmp_path / "b.mp4", FrameRange(0, 8)).path).audio[0].codec == "aac"
    ac3 = probe(layouts["ac3_avi"])
    assert _trim(ac3, tmp_path / "c.mov", FrameRange(0, 8), codec="prores").audio[0].codec == "ac3"  # copied
    assert _trim(ac3, tmp_path / "d.mov", FrameRange(0, 8), codec="prores", audio="reencode").audio[0].codec \
        == "pcm_s24le"
    assert _trim(ac3, tmp_path / "e.mp4", FrameRange(0, 8), audio="none").audio == ()


def test_mostly_corrupt_audio_is_refused_before_any_frame(tmp_path):
    clip = make_bad_audio_clip(tmp_path / "bad.avi", audio_codec="ac3", bad_packets=tuple(range(60)))
    info = probe(clip)
    with pytest.raises(MediaError, match="audio track #1 is corrupt .* --audio none"):
        open_render(tmp_path / "x.mp4", info, FrameRange(0, 10)).__enter__()
    assert not list(tmp_path.glob("x*")) and not list(tmp_path.glob(".*partial*"))


def test_png_sequence_of_a_source_with_aac_audio(tmp_path):
    """Issue 16 item 11: the demuxer's end-of-stream packet reached the decoder before the flush."""
    info = probe(make_clip(tmp_path / "aac.mp4", frames=12, width=64, height=48, audio=STEREO))
    folder = tmp_path / "seq"
    with open_render(folder, info, FrameRange(0, 12), codec="png") as render:
        for chunk in iter_chunks(info, FrameRange(0, 12)):
            render.write(chunk.frames)
    assert len(list(folder.glob("*.png"))) == 12
    with av.open(str(folder / "seq.wav")) as c:
        assert abs(float(c.streams.audio[0].duration * c.streams.audio[0].time_base) - 12 / float(info.rate)) < 0.05


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "t2vz_edit", *map(str, args)], capture_output=True, text=True)


@pytest.mark.parametrize("kind", ["audio_first", "sparse_avi", "edit_list_mp4", "ac3_avi"])
def test_trim_on_the_command_line(layouts, kind, tmp_path):
    info = probe(layouts[kind])
    r = _cli("trim", info.path, "--range", f"3+{info.frame_count - 3}", "-o", tmp_path / "t.mov", "--progress", "none")
    assert r.returncode == 0, r.stderr
    assert probe(tmp_path / "t.mov").frame_count == info.frame_count - 3


@pytest.mark.parametrize("kind", ["audio_first", "sparse_avi", "edit_list_mp4", "ac3_avi"])
def test_conditions_on_real_layouts(layouts, kind):
    from t2vz_edit.pipeline.conditions_job import compute_conditions

    info = probe(layouts[kind])
    maps = compute_conditions(info.path, "canny", frame_range=f"2+{info.frame_count - 4}", long_side=48,
                              chunk_frames=8)
    assert maps.array().shape[0] == info.frame_count - 4


@pytest.mark.parametrize("kind", ["audio_first", "sparse_avi", "edit_list_mp4", "ac3_avi"])
def test_restyle_on_real_layouts_with_tiny_models(layouts, kind, tiny_models, tmp_path):
    from t2vz_edit.pipeline.restyle import restyle

    info = probe(layouts[kind])
    span = FrameRange(info.frame_count - 6, info.frame_count)  # the tail: holds and the last decodable frame
    result = restyle(info.path, output=tmp_path / "r.mov", frame_range=span, instruction="make it snowy",
                     model=str(tiny_models["instruct"]), steps=2, size=64, score=False)
    out = probe(result.output)
    assert (out.frame_count, out.rate) == (6, info.rate)
    assert out.start_timecode == offset_timecode("00:00:00:00", span.start, info.rate)
    for track in out.audio:
        assert abs(track.duration_sec - 6 / float(info.rate)) <= 1 / float(info.rate)
    assert np.isfinite(out.duration_sec)
