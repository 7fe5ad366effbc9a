"""Issue 16 item 8: previews commit with the render or not at all."""
from __future__ import annotations

import json

import pytest

from t2vz_edit.pipeline.restyle import restyle
from t2vz_edit.spec.errors import OutputError

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
