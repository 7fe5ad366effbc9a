"""Issue 9 item 6: bit depth kept where the codec allows it, source colour tags carried through,
a warning when the diffusion path changes them, and the finishing codecs editors hand on."""
from __future__ import annotations

import logging

import av
import numpy as np
import pytest

from t2vz_edit.media.colour import diffusion_warning
from t2vz_edit.media.decode import iter_chunks
from t2vz_edit.media.encode import open_render
from t2vz_edit.media.probe import probe
from t2vz_edit.media.ranges import FrameRange
from t2vz_edit.media.synth import read_frame_number
from t2vz_edit.media.synth_layouts import make_hdr_clip

SPAN = FrameRange(5, 17)
HDR_TAGS = ("bt2020", "smpte2084", "bt2020nc", "tv")


@pytest.fixture(scope="module")
def hdr(tmp_path_factory) -> str:
    return make_hdr_clip(tmp_path_factory.mktemp("hdr") / "hdr10.mp4", frames=24)


def _trim(info, out, codec, span=SPAN):
    size = (256, 144) if codec == "dnxhr-hqx" else None  # DNxHR's smallest frame is 256x120
    with open_render(out, info, span, codec=codec, high_bit_depth=True, size=size) as render:
        for chunk in iter_chunks(info, span, chunk_frames=6, high_bit_depth=True):
            render.write(chunk.frames)
    return out


def _decoded_16(info) -> np.ndarray:
    return np.concatenate([c.frames for c in iter_chunks(info, FrameRange(0, info.frame_count),
                                                         high_bit_depth=True)])


@pytest.mark.parametrize("codec, ext, pix_fmt, depth", [
    # ProRes 4444 decodes as 12-bit (its decoder's output format); the encoder wrote 10 bits
    ("h264", ".mp4", "yuv420p10le", 10), ("hevc", ".mp4", "yuv420p10le", 10), ("prores", ".mov", "yuv422p10le", 10),
    ("prores4444", ".mov", "yuv444p12le", 12), ("dnxhr-hqx", ".mxf", "yuv422p10le", 10),
    ("dnxhr-hqx", ".mov", "yuv422p10le", 10)])
def test_trim_of_a_10_bit_pq_clip_keeps_depth_and_tags(hdr, tmp_path, codec, ext, pix_fmt, depth):
    src = probe(hdr)
    assert (src.bit_depth, src.color_primaries, src.color_transfer, src.color_matrix, src.color_range) == \
        (10, *HDR_TAGS)
    out = probe(_trim(src, tmp_path / f"out{ext}", codec))
    assert (out.pix_fmt, out.bit_depth) == (pix_fmt, depth)
    matrix = "bt709" if codec == "dnxhr-hqx" else "bt2020nc"  # DNxHR signals BT.709 YCbCr only
    assert (out.color_primaries, out.color_transfer, out.color_matrix, out.color_range) == \
        (*HDR_TAGS[:2], matrix, "tv")
    assert out.frame_count == SPAN.count and out.start_timecode == "00:00:00:05"
    assert [read_frame_number((f >> 8).astype(np.uint8)) for f in _decoded_16(out)] == list(SPAN and range(5, 17))
    # 10-bit precision survives: values are not multiples of 256 (what an 8-bit round trip gives)
    assert np.count_nonzero(_decoded_16(out) % 256) > 0


def test_dnxhr_refuses_a_size_it_cannot_encode_before_writing(hdr, tmp_path):
    from t2vz_edit.spec.errors import UsageError

    with pytest.raises(UsageError, match="too small for DNxHR"):
        open_render(tmp_path / "x.mxf", probe(hdr), SPAN, codec="dnxhr-hqx")
    assert not list(tmp_path.iterdir())


def test_10_bit_levels_survive_a_prores_trim_within_a_few_codes(hdr, tmp_path):
    src = probe(hdr)
    out = probe(_trim(src, tmp_path / "p.mov", "prores"))
    a = _decoded_16(src)[SPAN.start:SPAN.stop].astype(np.int32) >> 6  # 10-bit code values
    b = _decoded_16(out).astype(np.int32) >> 6
    assert np.median(np.abs(a - b)) <= 2  # an 8-bit path would be off by up to 4 codes everywhere


@pytest.mark.parametrize("codec, depth", [("png", 16), ("png16", 16)])
def test_16_bit_png_sequence_from_a_10_bit_source(hdr, tmp_path, codec, depth):
    folder = _trim(probe(hdr), tmp_path / "seq", codec)
    first = sorted(folder.glob("*.png"))[0]
    with av.open(str(first)) as c:
        frame = next(c.decode(video=0))
    assert frame.format.name.startswith("rgb48") and len(list(folder.glob("*.png"))) == SPAN.count


def test_8_bit_renders_carry_the_source_tags_and_restyle_warns(hdr, tmp_path, caplog):
    src = probe(hdr)
    with open_render(tmp_path / "r.mp4", src, SPAN) as render:  # the diffusion path: 8-bit frames
        for chunk in iter_chunks(src, SPAN, long_side=64):
            render.write(chunk.frames)
    out = probe(tmp_path / "r.mp4")
    assert (out.color_primaries, out.color_transfer, out.color_matrix, out.color_range) == HDR_TAGS
    assert out.bit_depth == 8
    message = diffusion_warning(src)
    assert message and "10-bit becomes 8-bit" in message and "smpte2084" in message
    assert "\n" not in message


def test_restyle_of_a_pq_clip_warns_once_and_keeps_tags(hdr, tmp_path, tiny_models, caplog):
    from t2vz_edit.pipeline.restyle import restyle

    with caplog.at_level(logging.WARNING, logger="t2vz_edit.media"):
        result = restyle(hdr, output=tmp_path / "r.mov", frame_range="4+4", instruction="make it snowy",
                         model=str(tiny_models["instruct"]), steps=2, size=64, score=False, codec="prores")
    out = probe(result.output)
    assert (out.color_primaries, out.color_transfer, out.color_matrix) == HDR_TAGS[:3]
    warned = [r.getMessage() for r in caplog.records if "diffusion path" in r.getMessage()]
    assert len(warned) == 1
