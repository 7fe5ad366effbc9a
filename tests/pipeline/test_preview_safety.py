"""Issue 16 item 8: previews commit with the render or not at all."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest

from t2vz_edit.pipeline.restyle import restyle
from t2vz_edit.media.synth import make_clip
from t2vz_edit.spec.errors import DiskFullError, OutputError

FAST = dict(steps=2, size=64, chunk_size=4, seed=3, frame_range="0-4", score=False)


def test_render_failing_at_its_commit_leaves_no_previews(clip, tiny_models, tmp_path):
    """The render fails after every frame is encoded (its sidecar cannot be written): no preview stays."""
    out = tmp_path / "r.mov"

    def block_the_sidecar(stage, done, total):
        if stage == "encode" and done == total:
            (tmp_path / "r.mov.json").mkdir()  # stands in for a full disk at the last write
        return True

    with pytest.raises((OutputError, OSError)):
        restyle(clip, instruction="x", model=str(tiny_models["instruct"]), output=out, preview=True,
                progress=block_the_sidecar, **FAST)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.mov.json", "shot.mov"]


def test_previews_appear_with_the_render_and_name_themselves(clip, tiny_models, tmp_path):
    out = tmp_path / "r.mov"
    result = restyle(clip, instruction="x", model=str(tiny_models["instruct"]), output=out, preview=True, **FAST)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "r.mov", "r.mov.contact.png", "r.mov.json", "r.mov.preview.mp4", "r.mov.preview.mp4.json", "shot.mov"]
    assert json.loads((tmp_path / "r.mov.preview.mp4.json").read_text())["render"] == "r.mov.preview.mp4"
    assert result.previews == [tmp_path / "r.mov.preview.mp4", tmp_path / "r.mov.contact.png"]


def test_render_failing_on_a_full_disk_leaves_no_previews(tiny_models, small_disk, tmp_path):
    """A real full disk (a 160 KiB tmpfs): the previews (~95 KiB) fit, the 640x480 render (~230 KiB) does not.

    Before the previews were published after the render, they were committed first and stayed
    (r.mov.preview.mp4, its sidecar, r.mov.contact.png) beside a render that failed.
    """
    clip = make_clip(tmp_path / "big.mov", frames=8, width=640, height=480, rate=Fraction(24),
                     audio={"channels": 2, "sample_rate": 48000})
    disk = small_disk("160k")
    with pytest.raises(DiskFullError, match="the output folder's disk is full") as err:
        restyle(clip, instruction="x", model=str(tiny_models["instruct"]), output=disk / "r.mov", preview=True,
                **{**FAST, "frame_range": None, "chunk_size": 4})
    assert str(err.value).startswith(str(disk)) and "t2vz-partial" not in str(err.value)
    assert list(disk.iterdir()) == []
