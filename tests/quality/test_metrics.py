from __future__ import annotations

import cv2
import numpy as np
import pytest

from t2vz_edit.quality import FIGURES, QualityAccumulator, score_arrays
from t2vz_edit.spec.errors import UsageError

FRAMES, H, W, SHIFT_PX = 8, 72, 96, 2


def _texture(seed: int, h: int, w: int) -> np.ndarray:
    """Smooth random colour texture (blurred noise) — gives optical flow something to track."""
    noise = np.random.default_rng(seed).random((h, w, 3)).astype(np.float32)
    return cv2.GaussianBlur(noise, (0, 0), 3.0)


def _panning(tex: np.ndarray) -> np.ndarray:
    """A camera pan: frame k is the window of ``tex`` moved SHIFT_PX*k to the right. (F, H, W, 3)."""
    return np.stack([tex[8:8 + H, 4 + SHIFT_PX * k: 4 + SHIFT_PX * k + W] for k in range(FRAMES)])


def _to_u8(x: np.ndarray) -> np.ndarray:
    lo, hi = x.min(), x.max()
    return np.clip((x - lo) / (hi - lo) * 255.0, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def source():
    return _to_u8(_panning(_texture(0, H + 16, W + 40)))


def test_unedited_copy_is_consistent_and_departs_nothing(source):
    r = score_arrays(source, source.copy())
    assert set(FIGURES) <= set(r) and (r["frames"], r["pairs"]) == (FRAMES, FRAMES - 1)
    assert r["departure_mad"] == 0.0 and r["departure_ssim"] == pytest.approx(0.0, abs=1e-6)
    assert r["warp_error"] == r["source_warp_error"] < 2e-3
    assert r["warp_ssim"] > 0.9
    assert r["flicker"] == r["source_flicker"] > 0.0  # the pan moves pixels


def test_flickering_render_scores_worse_than_a_smooth_one(source):
    base = source.astype(np.int16)
    smooth = np.clip(base + 25, 0, 255).astype(np.uint8)
    offsets = np.array([25 if k % 2 else -25 for k in range(FRAMES)], dtype=np.int16)[:, None, None, None]
    flicker = np.clip(base + offsets, 0, 255).astype(np.uint8)
    s, f = score_arrays(source, smooth), score_arrays(source, flicker)
    assert f["flicker"] > s["flicker"] + 0.05
    assert f["warp_error"] > 10 * s["warp_error"]
    assert f["warp_ssim"] <= s["warp_ssim"] + 1e-6
    assert s["departure_mad"] > 0.05 and f["departure_mad"] > 0.05


def test_warp_error_follows_source_motion(source):
    """A style texture that moves with the footage is consistent; one redrawn every frame is not."""
    style = _panning(_texture(1, H + 16, W + 40))  # same pan as the source: sticks to the content
    stuck = _to_u8(0.5 * source / 255.0 + 0.5 * style)
    boiling = _to_u8(0.5 * source / 255.0 + 0.5 * np.stack([_texture(10 + k, H, W) for k in range(FRAMES)]))
    a, b = score_arrays(source, stuck), score_arrays(source, boiling)
    assert a["warp_error"] < 0.25 * b["warp_error"]
    assert a["warp_ssim"] > b["warp_ssim"]
    assert a["flicker"] > 0.02  # the stuck texture does change pixel values: flicker alone can't tell


def test_chunked_feeding_equals_whole_clip(source):
    render = np.clip(source.astype(np.int16) + np.arange(FRAMES)[:, None, None, None] * 3, 0, 255).astype(np.uint8)
    whole = score_arrays(source, render)
    acc = QualityAccumulator()
    for start in range(0, FRAMES, 3):
        acc.update(source[start:start + 3], render[start:start + 3])
    assert acc.result() == whole


def test_render_at_another_size_is_compared_at_source_size(source):
    half = np.stack([cv2.resize(f, (W // 2, H // 2), interpolation=cv2.INTER_AREA) for f in source])
    r = score_arrays(source, half)
    assert r["frames"] == FRAMES and 0 < r["departure_mad"] < 0.05


def test_occlusion_mask_excludes_pixels_that_appear(source):
    r = score_arrays(source, source)
    # content entering at the edge each frame (SHIFT_PX columns) has no match in the previous frame
    assert 0.0 < r["occluded_fraction"] < 0.3


def test_bad_input():
    acc = QualityAccumulator()
    with pytest.raises(UsageError, match="equal frame count"):
        acc.update(np.zeros((2, 8, 8, 3), np.uint8), np.zeros((3, 8, 8, 3), np.uint8))
    with pytest.raises(UsageError, match="no frames"):
        acc.result()
