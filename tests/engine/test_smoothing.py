"""Background smoothing steadies a static background; mask providers come from the registry."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from t2vz_edit.engine.masks import MaskRequest, available_providers, load_provider
from t2vz_edit.engine.run import run_edit
from t2vz_edit.engine.smoothing import blend, dilate
from t2vz_edit.spec.edit_spec import EditSpec
from t2vz_edit.spec.errors import UsageError

from engine_helpers import moving_square_clip


def _background(frames: int, size: int) -> np.ndarray:
    """Pixels the moving square never touches (with a margin): (H, W) bool."""
    mask = np.ones((size, size), bool)
    mask[12:48, :] = False
    return mask


def test_static_background_flickers_less_with_smoothing(instruct_parts):
    clip = moving_square_clip(6, 64)
    spec = EditSpec(mode="instruct", instruction="make it snowy", steps=4, size=64, seed=2, noise="per_frame",
                    smooth_step=0.75, smooth_strength=0.2, mask_dilation=3)
    plain = run_edit(spec, instruct_parts, frames=clip, output="float")
    smooth = run_edit(spec.with_overrides(smooth_background=True), instruct_parts, frames=clip, output="float")
    bg = _background(6, 64)
    change = lambda v: np.abs(np.diff(v, axis=0))[:, bg].mean()
    ratio = change(smooth) / change(plain)
    assert ratio < 0.8, ratio
    fg_change = lambda v: np.abs(np.diff(v, axis=0))[:, ~bg].mean()
    assert fg_change(smooth) > 0.5 * fg_change(plain)  # the moving subject is left alone


def test_motion_masks_find_the_moving_square():
    clip = moving_square_clip(4, 64)
    fg = load_provider("motion")(MaskRequest(size_hw=(16, 16), frames=clip))
    assert fg.shape == (4, 16, 16) and fg[0].sum() == 0
    assert fg[2, 5:10, :].sum() > 0 and fg[2, :4, :].sum() == 0 and fg[2, 11:, :].sum() == 0


def test_depth_masks_need_a_depth_map_and_threshold_near():
    with pytest.raises(UsageError, match="--control depth"):
        load_provider("depth")(MaskRequest(size_hw=(4, 4)))
    depth = torch.zeros(1, 1, 16, 16)
    depth[..., :8, :] = 0.9
    fg = load_provider("depth")(MaskRequest(size_hw=(4, 4), depth=depth))
    assert fg[0, :2].all() and not fg[0, 2:].any()


def test_registry_lists_builtins_and_refuses_unknown():
    assert {"motion", "depth", "depth_model"} <= set(available_providers())
    with pytest.raises(UsageError, match="mask provider 'telepathy' is not known; use mask_provider .* with one of: depth, depth_model, motion"):
        load_provider("telepathy")


def test_blend_moves_only_background_by_strength():
    x, ref = torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 2, 2)
    fg = torch.tensor([[[1.0, 0.0], [0.0, 0.0]]])
    out = blend(x, ref, fg, strength=0.4)
    assert out[0, 0, 0, 0] == 0 and torch.allclose(out[0, 0, 1, 1], torch.tensor(0.6))
    assert dilate(torch.tensor([[[0, 0, 0], [0, 1.0, 0], [0, 0, 0]]]), 3).sum() == 9


def test_neural_depth_provider_loads_local_weights(tmp_path):
    from t2vz_edit.conditions.factory import write_depth_anything

    folder = write_depth_anything(tmp_path / "depth", seed=0)
    provider = load_provider("depth_model", source=str(folder))
    fg = provider(MaskRequest(size_hw=(16, 16), frames=moving_square_clip(3, 64)))
    assert fg.shape == (3, 16, 16) and set(fg.unique().tolist()) <= {0.0, 1.0}
    assert 0 < fg.mean() < 1  # content-dependent: some near, some far


def test_neural_depth_provider_offline_and_absent_names_the_pull_command():
    from t2vz_edit.spec.errors import ModelError

    provider = load_provider("depth_model")
    with pytest.raises(ModelError, match="models pull depth-anything/Depth-Anything-V2-Small-hf"):
        provider(MaskRequest(size_hw=(16, 16), frames=moving_square_clip(2, 64)))


def test_builtin_providers_come_from_the_entry_point_group_alone():
    from importlib.metadata import entry_points

    from t2vz_edit.engine import masks

    declared = {ep.name for ep in entry_points(group=masks.GROUP)}
    assert {"motion", "depth", "depth_model"} <= declared == set(masks.available_providers())
    assert not hasattr(masks, "BUILTIN")  # no second list to drift from pyproject.toml


def test_the_mask_provider_is_loaded_once_per_run_not_per_segment(instruct_parts, monkeypatch):
    from t2vz_edit.engine import masks

    made = []
    real_init = masks.MotionMasks.__init__
    monkeypatch.setattr(masks.MotionMasks, "__init__", lambda self, *a, **k: made.append(1) or real_init(self, *a, **k))
    spec = EditSpec(mode="instruct", instruction="make it snowy", steps=2, size=64, seed=2, chunk_size=2,
                    smooth_background=True, mask_provider="motion")
    video = run_edit(spec, instruct_parts, moving_square_clip(6, 64), segment_frames=2)  # three segments
    assert len(video) == 6 and len(made) == 1


def test_neural_depth_masks_do_not_depend_on_the_segment(tmp_path):
    """Segments hold the anchor plus their own frames: a frame's mask is the same in any of them."""
    from t2vz_edit.conditions.factory import write_depth_anything

    provider = load_provider("depth_model", source=str(write_depth_anything(tmp_path / "depth", seed=0)))
    clip = moving_square_clip(6, 64)
    clip[3:] = (clip[3:].astype(np.int16) * 0.4).astype(np.uint8)  # a darker second half changes the range
    whole = provider(MaskRequest(size_hw=(16, 16), frames=clip))
    segment = provider(MaskRequest(size_hw=(16, 16), frames=clip[[0, 4, 5]]))
    assert torch.equal(whole[[4, 5]], segment[1:])


def test_text2video_smoothing_masks_a_sensible_background_and_steadies_it(sd_parts):
    """Text-to-video has no source frames: the mask comes from the saliency of the predicted x0.
    No motion here (λ = 0), so the background is the same place in every frame and its
    variance across frames is measured directly, smoothing off vs on, same seeds."""
    spec = EditSpec(mode="text2video", prompt="a horse galloping", frames=6, steps=4, size=128, seed=4,
                    motion_strength=0.0, mask_dilation=1)  # undilated: the fraction is the provider's own
    plain = run_edit(spec, sd_parts, output="float")
    seen = []
    smooth = run_edit(spec.with_overrides(smooth_background=True), sd_parts, output="float",
                      observe=lambda ids, bg: seen.append((list(ids), bg.clone())))
    (ids, bg), = seen
    assert ids == list(range(6))
    fraction = float(bg[1:].mean())
    assert 0.2 <= fraction <= 0.9, fraction
    common = bg[1:].min(0).values.bool().numpy().repeat(4, 0).repeat(4, 1)  # background in every frame, pixels
    spread = lambda v: v.var(axis=0)[common].mean()
    ratio = spread(smooth) / spread(plain)
    assert ratio < 0.8, ratio  # background variance across frames falls by at least 20 %
    foreground = ~bg[1:].max(0).values.bool().numpy().repeat(4, 0).repeat(4, 1)
    assert np.abs(smooth - plain)[:, foreground].mean() < np.abs(smooth - plain)[:, common].mean()
