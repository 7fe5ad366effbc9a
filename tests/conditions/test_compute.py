from __future__ import annotations

import numpy as np
import pytest

from t2vz_edit.conditions import compute_maps, make_annotator
from t2vz_edit.conditions import registry
from t2vz_edit.conditions.base import frame_bounds
from t2vz_edit.conditions.depth import DepthAnnotator
from t2vz_edit.spec.errors import Cancelled


class LumaDepth(DepthAnnotator):
    """Depth stand-in with a known, purely local answer: inverse depth = luma.

    The real random-weight depth nets mix information across the whole frame (attention), so
    only a local stand-in can show a static region exactly; everything after ``raw`` — bounds,
    two passes, mapping, cache — is the production code.
    """

    kind = "lumadepth"
    PARAMS = {}

    def __init__(self, params=None):
        super(DepthAnnotator, self).__init__(params)

    @property
    def weights_id(self):
        return "luma"

    def raw(self, frames):
        return frames.astype(np.float32).mean(axis=-1)


def _chunks(clip, size, consumed=None):
    for start in range(0, len(clip), size):
        if consumed is not None:
            consumed.append(start)
        yield start, clip[start:start + size]


def _lamp_clip(frames=6):
    """Left half static grey (100); right half a lamp whose brightness changes every frame."""
    clip = np.full((frames, 32, 64, 3), 100, np.uint8)
    for k in range(frames):
        clip[k, :, 32:] = 40 + 40 * k  # 40 .. 240
    return clip


def test_depth_is_normalised_over_the_clip_not_per_frame(monkeypatch, tmp_path):
    monkeypatch.setitem(registry.ANNOTATORS.extra, "lumadepth", LumaDepth)
    clip = _lamp_clip()
    annotator = make_annotator("lumadepth")
    maps = compute_maps(_chunks(clip, 4), annotator, source_fields={"content": "lamp"}, root=tmp_path).array()
    assert maps.shape == clip.shape
    static = maps[:, :, :16, 0]
    assert np.ptp(static) == 0                       # clip-wide: the static region never moves
    per_frame = np.concatenate([annotator(clip[k:k + 1]) for k in range(len(clip))])
    assert np.ptp(per_frame[:, :, :16, 0]) > 100     # per-frame normalisation makes it flicker
    # the bounds are the extremes of the per-frame percentiles over the whole clip
    raw = annotator.raw(clip)
    b = frame_bounds(raw)
    maps_entry = compute_maps(_chunks(clip, 4), annotator, source_fields={"content": "lamp"}, root=tmp_path)
    assert maps_entry.bounds == pytest.approx((b[:, 0].min(), b[:, 1].max()))


def test_real_depth_model_uses_clip_bounds(annotator_store, tmp_path, square_clip):
    clip = square_clip(frames=4)
    annotator = make_annotator("depth")
    entry = compute_maps(_chunks(clip, 2), annotator, source_fields={"content": "sq"}, root=tmp_path)
    maps = entry.array()
    lo, hi = entry.bounds
    raw = annotator.raw(clip)
    assert np.array_equal(maps, annotator.maps_from_raw(raw, lo, hi, clip.shape[1:3]))
    assert maps.min() == 0 and maps.max() == 255
    assert not list((tmp_path / "depth" / entry.key).glob("raw_*"))  # raw depth is not left behind


def test_second_run_is_served_from_the_cache_without_decoding(tmp_path, square_clip):
    clip = square_clip(frames=5)
    fields = {"content": "abc", "range": [0, 5], "long_side": 64}
    first = make_annotator("canny")
    a = compute_maps(_chunks(clip, 2), first, source_fields=fields, root=tmp_path)
    assert a.computed and first.calls == 5 and a.chunks == [(0, 2), (2, 2), (4, 1)]
    consumed = []
    second = make_annotator("canny")
    b = compute_maps(_chunks(clip, 2, consumed), second, source_fields=fields, root=tmp_path)
    assert not b.computed and second.calls == 0 and consumed == []  # frames never even pulled
    assert b.key == a.key and np.array_equal(a.array(), b.array())
    assert np.array_equal(b.read(1, 4), a.array()[1:4])
    # the key changes with params, kind-level settings and source identity
    keys = {a.key}
    for annotator, f in ((make_annotator("canny", {"low": 50}), fields),
                         (make_annotator("canny"), {**fields, "content": "other"}),
                         (make_annotator("canny"), {**fields, "range": [1, 5]})):
        c = compute_maps(_chunks(clip, 2), annotator, source_fields=f, root=tmp_path)
        assert c.computed
        keys.add(c.key)
    assert len(keys) == 4


def test_cancel_leaves_no_cache_entry(tmp_path, square_clip):
    clip = square_clip(frames=4)
    with pytest.raises(Cancelled):
        compute_maps(_chunks(clip, 1), make_annotator("canny"), source_fields={"content": "x"}, root=tmp_path,
                     progress=lambda stage, done, total: done < 2)
    assert not any(p.is_dir() for p in (tmp_path / "canny").iterdir())
    again = compute_maps(_chunks(clip, 1), make_annotator("canny"), source_fields={"content": "x"}, root=tmp_path)
    assert again.computed and again.frame_count == 4


def test_default_root_comes_from_t2vz_cache(tmp_path, monkeypatch, square_clip):
    monkeypatch.setenv("T2VZ_CACHE", str(tmp_path / "c"))
    entry = compute_maps(_chunks(square_clip(2), 2), make_annotator("canny"), source_fields={"content": "y"})
    assert entry.folder.parent == tmp_path / "c" / "canny" and (entry.folder / "manifest.json").is_file()
