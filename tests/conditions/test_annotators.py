from __future__ import annotations

import numpy as np
import pytest

from t2vz_edit.conditions import available_kinds, make_annotator
from t2vz_edit.spec.edit_spec import ControlSpec
from t2vz_edit.spec.errors import ModelError, UsageError


def _changes_with_content(maps: np.ndarray) -> float:
    return float(np.abs(maps[0].astype(np.int16) - maps[-1]).mean())


def test_builtins_register_through_the_entry_point_group():
    assert {"canny", "pose", "depth", "softedge"} <= set(available_kinds())


def test_canny_follows_the_square_and_its_thresholds(square_clip):
    clip = square_clip()
    maps = make_annotator(ControlSpec(kind="canny"))(clip)
    assert maps.shape == clip.shape and maps.dtype == np.uint8
    assert set(np.unique(maps)) == {0, 255}
    assert np.array_equal(maps[..., 0], maps[..., 2])
    # the square's left edge moves 6 px per frame; the map follows it
    cols = [np.flatnonzero(m[24, :, 0])[0] for m in maps]
    assert np.diff(cols).tolist() == [6, 6, 6]
    # lower thresholds see the weak background gradient steps too (ControlSpec params reach OpenCV)
    noisy = np.clip(clip + np.random.default_rng(0).integers(0, 40, clip.shape), 0, 255).astype(np.uint8)
    strict = make_annotator(ControlSpec(kind="canny", params=(("high", 250), ("low", 200))))(noisy)
    loose = make_annotator("canny", {"low": 10, "high": 30})(noisy)
    assert (loose > 0).sum() > 2 * (strict > 0).sum()


def test_bad_kind_and_params_name_what_is_allowed():
    with pytest.raises(UsageError, match="control kind 'scribble' is not known; use --control with one of: canny, depth, pose, softedge"):
        make_annotator("scribble")
    with pytest.raises(UsageError, match="unknown parameter.*lo; allowed: low, high"):
        make_annotator("canny", {"lo": 3})
    with pytest.raises(UsageError, match="low < high"):
        make_annotator("canny", {"low": 200, "high": 100})
    with pytest.raises(UsageError, match="backend='sobel' is not allowed; use one of: pidinet, hed"):
        make_annotator("softedge", {"backend": "sobel"})
    with pytest.raises(UsageError, match=r"uint8 RGB frames shaped \(N, H, W, 3\)"):
        make_annotator("canny")(np.zeros((4, 4, 3), np.uint8))


def test_missing_weights_name_the_file_and_the_pull_command():
    with pytest.raises(ModelError) as err:
        make_annotator("pose")
    message = str(err.value)
    assert "lllyasviel/Annotators" in message and "body_pose_model.pth" in message
    assert "t2vz-edit models pull lllyasviel/Annotators" in message and "\n" not in message
    with pytest.raises(ModelError, match="Depth-Anything-V2-Small-hf: config.json, preprocessor_config.json"):
        make_annotator("depth")


def test_pose_runs_openpose_from_the_store(annotator_store, square_clip):
    clip = square_clip(frames=2)
    annotator = make_annotator("pose", {"resolution": 96})
    maps = annotator(clip)
    assert maps.shape == clip.shape and maps.dtype == np.uint8
    assert annotator.calls == 2 and len(annotator.weights_id) == 16
    # random weights find no person: the canvas is the black ControlNet openpose background
    assert maps.max() <= 255
    with pytest.raises(ModelError, match="hand_pose_model.pth"):
        make_annotator("pose", {"hands": True})


@pytest.mark.parametrize("backend", ["pidinet", "hed"])
def test_softedge_maps_follow_the_content(annotator_store, backend, square_clip):
    clip = square_clip()
    maps = make_annotator("softedge", {"backend": backend, "resolution": 64})(clip)
    assert maps.shape == clip.shape and maps.dtype == np.uint8
    assert np.array_equal(maps[..., 0], maps[..., 1])
    assert _changes_with_content(maps) > 0.0


def test_hed_and_pidinet_have_different_weights_ids(annotator_store):
    ids = {make_annotator("softedge", {"backend": b}).weights_id for b in ("pidinet", "hed")}
    assert len(ids) == 2


def test_depth_through_transformers_model_from_the_store(annotator_store, square_clip):
    clip = square_clip()
    annotator = make_annotator("depth")
    raw = annotator.raw(clip)
    assert raw.dtype == np.float32 and raw.shape[0] == 4 and raw.ndim == 3
    maps = annotator(clip)
    assert maps.shape == clip.shape and maps.min() == 0 and maps.max() >= 250
    assert _changes_with_content(maps) > 1.0
