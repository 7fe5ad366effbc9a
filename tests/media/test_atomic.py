"""Outputs are atomic: nothing partial on error, Ctrl-C or cancel; existing renders and inputs are safe."""
from __future__ import annotations

import os

import numpy as np
import pytest

from t2vz_edit.media.atomic import check_output_path
from t2vz_edit.media.encode import open_render
from t2vz_edit.media.probe import probe
from t2vz_edit.media.ranges import FrameRange
from t2vz_edit.spec.errors import Cancelled, OutputError, UsageError

BLACK = np.zeros((4, 90, 160, 3), np.uint8)


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("codec, name", [("h264", "out.mp4"), ("prores", "out.mov"), ("png", "seq")])
@pytest.mark.parametrize("failure", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failure_mid_write_leaves_nothing(clips, tmp_path, codec, name, failure):
    info = probe(clips["pal25"])
    with pytest.raises(type(failure)):
        with open_render(tmp_path / name, info, FrameRange(0, 8), codec=codec) as render:
            render.write(BLACK)
            raise failure
    assert _leftovers(tmp_path) == []


def test_cancel_from_progress_callback_leaves_nothing(clips, tmp_path):
    info = probe(clips["ntsc24_tc_stereo"])
    with pytest.raises(Cancelled):
        with open_render(tmp_path / "c.mov", info, FrameRange(0, 8), progress=lambda s, d, t: d < 4) as render:
            for _ in range(2):
                render.write(BLACK)
    assert _leftovers(tmp_path) == []


def test_too_few_frames_is_an_error_and_leaves_nothing(clips, tmp_path):
    info = probe(clips["pal25"])
    with pytest.raises(UsageError, match="got 4 frames but the range has 8"):
        with open_render(tmp_path / "short.mp4", info, FrameRange(0, 8)) as render:
            render.write(BLACK)
    assert _leftovers(tmp_path) == []


def test_existing_output_is_kept_without_overwrite(clips, tmp_path):
    info = probe(clips["pal25"])
    target = tmp_path / "keep.mp4"
    target.write_bytes(b"precious")
    with pytest.raises(OutputError, match="already exists; pass --overwrite"):
        open_render(target, info, FrameRange(0, 4)).__enter__()
    assert target.read_bytes() == b"precious" and _leftovers(tmp_path) == ["keep.mp4"]
    with open_render(target, info, FrameRange(0, 4), overwrite=True) as render:
        render.write(BLACK)
    assert probe(target).frame_count == 4


def test_output_equal_to_input_is_refused_and_source_untouched(clips):
    src = clips["pal25"]
    before = (os.stat(src).st_mtime_ns, os.path.getsize(src))
    for overwrite in (False, True):
        with pytest.raises(OutputError, match="is also an input"):
            check_output_path(src, [src], overwrite=overwrite)
    assert (os.stat(src).st_mtime_ns, os.path.getsize(src)) == before


def test_unwritable_folder_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="output folder"):
        check_output_path(blocker / "sub" / "out.mp4", [], overwrite=False)


def test_wrong_extension_for_codec(clips, tmp_path):
    with pytest.raises(UsageError, match="needs a .mov"):
        open_render(tmp_path / "x.mp4", probe(clips["pal25"]), FrameRange(0, 4), codec="prores")
