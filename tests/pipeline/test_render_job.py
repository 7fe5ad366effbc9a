"""Render requests are plain data, keys are farm-stable, failures are typed records."""
from __future__ import annotations

import pickle
import shutil
from fractions import Fraction

import pytest

from t2vz_edit.pipeline.render_job import RenderFailure, RenderRequest, RenderResult, render_key
from t2vz_edit.pipeline.render_loop import render_all
from t2vz_edit.spec.edit_spec import EditSpec
from t2vz_edit.spec.errors import Cancelled, MediaError, UsageError

SPEC = EditSpec(mode="instruct", instruction="make it snowy")


def test_key_is_the_same_for_the_same_content_anywhere(tmp_path):
    """Two machines mount the footage at different paths: same bytes, same key."""
    here = tmp_path / "mnt_a" / "clip.mov"
    there = tmp_path / "mnt_b" / "deeper" / "clip.mov"
    here.parent.mkdir()
    here.write_bytes(b"x" * (3 << 20) + b"tail")
    there.parent.mkdir(parents=True)
    shutil.copy(here, there)
    on_gpu = SPEC.with_overrides(device="cuda:3", chunk_size=2)
    assert render_key(here, 0, 10, SPEC) == render_key(there, 0, 10, on_gpu)


def test_key_changes_with_content_range_spec_and_codec(tmp_path):
    clip = tmp_path / "clip.mov"
    clip.write_bytes(b"a" * (3 << 20))
    base = render_key(clip, 0, 10, SPEC)
    assert base != render_key(clip, 0, 11, SPEC)
    assert base != render_key(clip, 0, 10, SPEC.with_overrides(seed=1))
    assert base != render_key(clip, 0, 10, SPEC, codec="prores")
    clip.write_bytes(b"a" * (3 << 20 - 1) + b"b")  # last MiB changed
    assert base != render_key(clip, 0, 10, SPEC)


def _request(tmp_path, key: str) -> RenderRequest:
    return RenderRequest(media_path=tmp_path / "src.mov", start_frame=0, stop_frame=4, rate=Fraction(24000, 1001),
                         spec=SPEC, instruction="snow", out_path=tmp_path / f"{key}.mov", clip_name="c",
                         render_key=key, provenance={"t2vz_edit": {"render_key": key}})


def test_request_pickles_and_holds_no_callables(tmp_path):
    request = _request(tmp_path, "k1")
    assert pickle.loads(pickle.dumps(request)) == request
    assert not any(callable(v) for v in vars(request).values() if not isinstance(v, (EditSpec, type)))


@pytest.mark.parametrize("error, kind, retryable", [
    (UsageError("bad range"), "usage", False), (MediaError("corrupt"), "media", True),
    (RuntimeError("CUDA out of memory"), "crash", True)])
def test_failures_are_typed_records(error, kind, retryable):
    failure = RenderFailure.from_error(error)
    assert (failure.kind, failure.retryable) == (kind, retryable)
    assert failure.to_dict()["message"]


def test_render_all_renders_each_key_once_and_collects_failures(tmp_path):
    calls = []

    def renderer(request, progress=None):
        calls.append(request.render_key)
        if request.render_key == "bad":
            raise MediaError("truncated packet", path=request.media_path)
        return RenderResult(request.out_path, request.frame_count)

    requests = [_request(tmp_path, "a"), _request(tmp_path, "a"), _request(tmp_path, "bad")]
    outcomes = render_all(requests, renderer)
    assert calls == ["a", "bad"]
    assert isinstance(outcomes["a"], RenderResult)
    assert outcomes["bad"].kind == "media" and "truncated packet" in outcomes["bad"].message


def test_render_all_stops_on_cancel(tmp_path):
    def renderer(request, progress=None):
        raise Cancelled()

    with pytest.raises(Cancelled):
        render_all([_request(tmp_path, "a"), _request(tmp_path, "b")], renderer)
