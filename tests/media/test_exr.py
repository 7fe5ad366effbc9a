"""Issue 9 item 6: OpenEXR image sequences (half float, the source's transfer) keep more than 8 bits
of a 10-bit source, write one image per frame and follow the frame-folder safety rules."""
from __future__ import annotations

import json
import subprocess
import sys

import av
import numpy as np
import pytest

from t2vz_edit.media.decode import iter_chunks
from t2vz_edit.media.encode import open_render
from t2vz_edit.media.probe import probe
from t2vz_edit.media.ranges import FrameRange
from t2vz_edit.media.sidecar import read_sidecar, render_fields
from t2vz_edit.media.synth import make_clip, read_frame_number
from t2vz_edit.media.synth_layouts import make_hdr_clip
from t2vz_edit.spec.errors import OutputError

SPAN = FrameRange(3, 9)


@pytest.fixture(scope="module")
def hdr(tmp_path_factory) -> str:
    return make_hdr_clip(tmp_path_factory.mktemp("hdr") / "hdr10.mp4", frames=12)


@pytest.fixture(scope="module")
def small_clip(tmp_path_factory) -> str:
    return make_clip(tmp_path_factory.mktemp("src") / "A001.mp4", frames=4, width=64, height=48)


def read_exr(path) -> np.ndarray:
    """An EXR written by the tool → float32 R'G'B' ``(H, W, 3)``, read by FFmpeg's own EXR decoder
    (half-float planes G, B, R, read without any conversion)."""
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
    assert frame.format.name == "gbrpf16le"
    planes = [np.frombuffer(p, np.float16).reshape(frame.height, p.line_size // 2)[:, :frame.width]
              for p in frame.planes]
    g, b, r = planes
    return np.stack([r, g, b], axis=-1).astype(np.float32)


def _trim(info, out, codec="exr", span=SPAN, overwrite=False):
    with open_render(out, info, span, codec=codec, high_bit_depth=True, overwrite=overwrite) as render:
        for chunk in iter_chunks(info, span, chunk_frames=4, high_bit_depth=True):
            render.write(chunk.frames)
    return out


def test_exr_round_trip_of_a_10_bit_source_keeps_10_bit_code_values(hdr, tmp_path):
    src = probe(hdr)
    folder = _trim(src, tmp_path / "seq")
    images = sorted(folder.glob("*.exr"))
    assert [p.name for p in images] == [f"seq_{i:06d}.exr" for i in range(SPAN.count)]
    got = np.stack([read_exr(p) for p in images])  # (F, H, W, 3) in 0..1
    want = np.concatenate([c.frames for c in iter_chunks(src, SPAN, high_bit_depth=True)]) / 65535.0
    assert got.shape == want.shape
    # half float holds 11 significant bits: every value is within half a half step (1/4096, a quarter
    # of a 10-bit code) of the 16-bit RGB the source decodes to
    assert np.abs(got - want).max() <= 1 / 4096
    # and more than 8 bits survive: an 8-bit path would put every value on the k/255 grid
    off_8bit_grid = np.abs(got * 255 - np.round(got * 255)) > 0.05
    assert off_8bit_grid.mean() > 0.5
    # the picture is the right frame, in order
    assert [read_frame_number(np.round(f * 255).astype(np.uint8)) for f in got] == list(range(3, 9))
    side = read_sidecar(folder)
    assert (side["codec"], side["bit_depth"], side["frame_count"]) == ("exr", 16, SPAN.count)
    assert side["colour"].startswith("R'G'B' bt2020/smpte2084")  # non-linear, the source's transfer
    restyled = {**side, "provenance": {**side["provenance"], "spec": {}}}  # as a restyle's sidecar has
    assert render_fields(restyled, folder)["codec"] == "exr"  # --from-sidecar takes it


def test_exr_of_an_8_bit_source_is_code_value_exact(small_clip, tmp_path):
    info = probe(small_clip)
    folder = _trim(info, tmp_path / "eight", span=FrameRange(0, 4))
    frames = np.concatenate([c.frames for c in iter_chunks(info, FrameRange(0, 4))])
    got = np.stack([read_exr(p) for p in sorted(folder.glob("*.exr"))])
    assert np.array_equal(np.round(got * 255).astype(np.uint8), frames)
    assert np.abs(got * 255 - frames).max() <= 255 / 4096  # half a half-float step (1/2048 below 1.0)


def test_trim_cli_writes_an_exr_folder(hdr, tmp_path):
    out = tmp_path / "shot"
    result = subprocess.run([sys.executable, "-m", "t2vz_edit", "trim", hdr, "--range", "2+5", "--codec", "exr",
                             "-o", str(out), "--progress", "none"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert len(list(out.glob("shot_*.exr"))) == 5
    assert json.loads((tmp_path / "shot.json").read_text())["start_timecode"] == "00:00:00:02"


# ---- the frame-folder safety rules (docs/media.md, Safety) hold for every sequence codec ---------
@pytest.mark.parametrize("codec", ["png16", "exr"])
def test_sequence_overwrite_replaces_its_own_frames_only(small_clip, tmp_path, codec):
    info, folder = probe(small_clip), tmp_path / "seq"
    _trim(info, folder, codec, FrameRange(0, 4))
    _trim(info, folder, codec, FrameRange(0, 2), overwrite=True)  # a shorter render leaves no stale frames
    suffix = ".exr" if codec == "exr" else ".png"
    assert sorted(p.name for p in folder.iterdir()) == [f"seq_000000{suffix}", f"seq_000001{suffix}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seq", "seq.json"]


@pytest.mark.parametrize("codec", ["png16", "exr"])
def test_sequence_refuses_a_folder_with_foreign_files_or_the_source(small_clip, tmp_path, codec):
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    (folder / "frames_000000.dpx").write_bytes(b"not ours")
    with pytest.raises(OutputError, match="holds files this tool did not write"):
        _trim(probe(small_clip), folder, codec, FrameRange(0, 2), overwrite=True)
    assert sorted(p.name for p in folder.iterdir()) == ["frames_000000.dpx", "notes.txt"]
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    source = shoot / "A001.mp4"
    source.write_bytes(open(small_clip, "rb").read())
    with pytest.raises(OutputError, match="holds the source A001.mp4"):
        _trim(probe(source), shoot, codec, FrameRange(0, 2), overwrite=True)
    assert [p.name for p in shoot.iterdir()] == ["A001.mp4"]


def test_exr_without_overwrite_keeps_an_existing_folder(small_clip, tmp_path):
    folder = tmp_path / "seq"
    _trim(probe(small_clip), folder, "exr", FrameRange(0, 2))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(OutputError, match="already exists"):
        _trim(probe(small_clip), folder, "exr", FrameRange(0, 4))
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_png16_of_an_8_bit_source_is_exactly_the_8_bit_values_widened(small_clip, tmp_path):
    """v → v·257, as every 16-bit tool reads 8-bit data (swscale's rgb24→rgb48 was off by up to 284)."""
    info = probe(small_clip)
    folder = _trim(info, tmp_path / "p16", codec="png16", span=FrameRange(0, 4))
    frames = np.concatenate([c.frames for c in iter_chunks(info, FrameRange(0, 4))])
    for path, want in zip(sorted(folder.glob("*.png")), frames):
        with av.open(str(path)) as container:
            got = next(container.decode(video=0)).to_ndarray()
        assert got.dtype == np.uint16 and np.array_equal(got, want.astype(np.uint16) * 257)


def test_exr_frames_read_the_same_in_the_reference_openexr_library(hdr, tmp_path):
    """What compositors (Nuke, Resolve, OIIO) read through: the ASWF OpenEXR library itself."""
    import OpenEXR

    folder = _trim(probe(hdr), tmp_path / "ref", span=FrameRange(0, 2))
    for path in sorted(folder.glob("*.exr")):
        with OpenEXR.File(str(path)) as image:
            header, channels = image.header(), image.channels()
            assert sorted(c.name for c in header["channels"]) == ["B", "G", "R"]
            assert str(header["compression"]).endswith("ZIP_COMPRESSION")
            rgb = channels["RGB"].pixels  # (H, W, 3) half float, R G B
        assert rgb.dtype == np.float16 and rgb.shape == (72, 128, 3)
        assert np.array_equal(rgb.astype(np.float32), read_exr(path))
