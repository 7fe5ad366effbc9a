"""Decode once with controls, reading ahead and encoding on threads: same frames, nothing partial."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from t2vz_edit.media import decode as decode_module
from t2vz_edit.media.decode import FrameChunk
from t2vz_edit.pipeline import restyle as restyle_module
from t2vz_edit.pipeline.overlap import BackgroundWriter, SpooledChunks, read_ahead
from t2vz_edit.pipeline.restyle import restyle
from t2vz_edit.spec.errors import Cancelled

FAST = dict(steps=2, size=64, score=False)


def _controls(tiny_models, kinds):
    return [{"kind": k, "model": str(tiny_models["controlnet"])} for k in kinds]


def _count_decoding_passes(monkeypatch) -> list[int]:
    passes, real = [], decode_module._with_holds
    monkeypatch.setattr(decode_module, "_with_holds", lambda *a, **k: passes.append(1) or real(*a, **k))
    return passes


def test_controls_decode_the_clip_once(clip, tiny_models, annotator_store_dir, monkeypatch):
    """canny + depth (clip-normalised): maps and engine from one decoding pass (it was three)."""
    monkeypatch.setenv("T2VZ_MODEL_STORE", str(annotator_store_dir))
    passes = _count_decoding_passes(monkeypatch)
    restyle(clip, prompt="a knight", controls=_controls(tiny_models, ["canny", "depth"]), model=str(tiny_models["sd"]),
            output=clip.with_name("once.mp4"), **FAST)
    assert len(passes) == 1
    passes.clear()  # maps now in the cache: the engine's pass is the only one, nothing kept
    restyle(clip, prompt="a knight", controls=_controls(tiny_models, ["canny"]), model=str(tiny_models["sd"]),
            output=clip.with_name("twice.mp4"), **FAST)
    assert len(passes) == 1


def _frames(folder):
    return [p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix == ".png"]


def test_threads_give_the_same_frames_as_one_thread(clip, tiny_models, tmp_path, monkeypatch):
    outs = {}
    for workers in (True, False):
        real = restyle_module.render_spec
        monkeypatch.setattr(restyle_module, "render_spec", lambda *a, **k: real(*a, **k, workers=workers))
        out = tmp_path / f"workers-{workers}"
        restyle(clip, prompt="a knight", controls=_controls(tiny_models, ["canny"]), model=str(tiny_models["sd"]),
                output=out, codec="png", chunk_size=3, **FAST)
        monkeypatch.setattr(restyle_module, "render_spec", real)
        outs[workers] = _frames(out)
    assert len(outs[True]) == 8 and outs[True] == outs[False]


def test_a_cancel_in_the_writer_thread_leaves_nothing(clip, tiny_models, monkeypatch):
    def cancel(*_):
        assert threading.current_thread().name == "t2vz-writer"
        raise Cancelled("cancelled by the test")

    monkeypatch.setattr(restyle_module, "_deliver", cancel)
    with pytest.raises(Cancelled):
        restyle(clip, instruction="make it snowy", model=str(tiny_models["instruct"]), output=clip.with_name("c.mp4"),
                chunk_size=2, **FAST)
    assert sorted(p.name for p in clip.parent.iterdir()) == [clip.name]


def test_spooled_chunks_decode_once_and_replay_bit_for_bit():
    rng = np.random.default_rng(0)
    chunks = [FrameChunk(i * 2, rng.integers(0, 255, (2, 4, 4, 3), np.uint8)) for i in range(3)]
    with SpooledChunks(lambda: iter(chunks)) as spool:
        first, again = list(spool), list(spool)
        folder = spool._folder
    assert spool.passes_decoded == 1 and not folder.exists()
    assert [c.start for c in again] == [0, 2, 4]
    assert all(np.array_equal(a.frames, b.frames) for a, b in zip(chunks, again))


def test_read_ahead_raises_the_workers_error_where_it_happened():
    def items():
        yield 1
        raise ValueError("bad chunk")

    got = []
    with pytest.raises(ValueError, match="bad chunk"):
        for item in read_ahead(items()):
            got.append(item)
    assert got == [1]


def test_writer_keeps_order_and_raises_its_error_on_close():
    seen = []
    with BackgroundWriter(seen.append) as writer:
        for i in range(5):
            writer.submit(i)
    assert seen == [0, 1, 2, 3, 4]
    writer = BackgroundWriter(lambda item: 1 / 0)
    writer.submit(1)
    with pytest.raises(ZeroDivisionError):
        writer.close()
