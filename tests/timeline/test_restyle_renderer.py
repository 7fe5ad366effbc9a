"""The production renderer: `timeline restyle` driving the diffusion pipeline with tiny random models.

The other timeline tests use the trim renderer to prove placement; these prove the real path —
marker text → EditSpec → ``pipeline.restyle.render_spec`` → render + sidecar → timeline — through
the CLI entry point, with the overrides (``--model --steps --size --seed``) a whole timeline takes.
"""
from __future__ import annotations

import json
import subprocess
import sys

import opentimelineio as otio

from t2vz_edit.media.probe import probe
from t2vz_edit.media.sidecar import read_sidecar
from t2vz_edit.timeline.placement import TRACK_NAME

FAST = ("--steps", "2", "--size", "64", "--seed", "5")


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "t2vz_edit", *map(str, args)], capture_output=True, text=True)


def _events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def _record(clip, stack) -> tuple[int, int]:
    span = clip.transformed_time_range(clip.trimmed_range(), stack)
    return round(span.start_time.value), round(span.duration.value)


def test_marker_instruction_is_rendered_by_the_pipeline_and_placed(tmp_path, timeline_24, tiny_models):
    in_path, out = tmp_path / "in.otio", tmp_path / "out.otio"
    otio.adapters.write_to_file(timeline_24, str(in_path))
    result = _cli("timeline", "restyle", in_path, "-o", out, "--marker", "--handles", "2",
                  "--model", tiny_models["instruct"], *FAST, "--progress", "json")
    assert result.returncode == 0, result.stderr
    events = _events(result.stdout)
    assert {"denoise", "encode"} <= {e["stage"] for e in events if e["event"] == "progress"}
    done = [e for e in events if e["event"] == "done"][0]
    assert [(c["clip"], c["status"]) for c in done["clips"]] == [("shotC", "rendered")]

    back = otio.adapters.read_from_file(str(out))
    top = back.tracks[[t.name for t in back.tracks].index(TRACK_NAME)]
    (placed,) = top.find_clips()
    original = [c for c in timeline_24.find_clips() if c.name == "shotC"][0]
    assert _record(placed, back.tracks) == _record(original, timeline_24.tracks) == (43, 24)

    render = otio.url_utils.filepath_from_url(placed.media_reference.target_url)
    info, source = probe(render), probe(otio.url_utils.filepath_from_url(original.media_reference.target_url))
    assert info.frame_count == 24 + 2 + 2  # the clip plus two handles each side
    assert (info.rate, info.display_width, info.display_height) == \
        (source.rate, source.display_width, source.display_height)
    prov = read_sidecar(render)["provenance"]
    assert prov["mode"] == "instruct" and prov["instruction"] == "make it a watercolor painting"
    assert (prov["spec"]["steps"], prov["spec"]["size"], prov["spec"]["seed"]) == (2, 64, 5)
    assert prov["models"]["base"] == str(tiny_models["instruct"])
    assert prov["range"]["start_frame"] == 12 - 2  # shotC's source in minus the head handle
    assert {"warp_error", "flicker"} <= set(prov["quality"])  # the pipeline scored it
    assert prov["t2vz_edit"]["instruction"] == "make it a watercolor painting"  # the timeline's namespace

    again = _cli("timeline", "restyle", in_path, "-o", tmp_path / "again.otio", "--marker", "--handles", "2",
                 "--model", tiny_models["instruct"], *FAST, "--progress", "json")
    assert again.returncode == 0, again.stderr
    assert [c["status"] for c in _events(again.stdout)[-1]["clips"]] == ["reused"]
    changed = _cli("timeline", "restyle", in_path, "-o", tmp_path / "seed6.otio", "--marker", "--handles", "2",
                   "--model", tiny_models["instruct"], *FAST[:-1], "6", "--progress", "json")
    assert [c["status"] for c in _events(changed.stdout)[-1]["clips"]] == ["rendered"]  # another seed, another render


def test_bad_override_fails_before_anything_is_read_or_written(tmp_path, timeline_24, tiny_models):
    in_path, out = tmp_path / "in.otio", tmp_path / "out.otio"
    otio.adapters.write_to_file(timeline_24, str(in_path))
    result = _cli("timeline", "restyle", in_path, "-o", out, "--marker", "--steps", "-3",
                  "--model", tiny_models["instruct"])
    assert result.returncode == 2 and "steps" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists() and not (tmp_path / "renders").exists()


def test_missing_model_fails_every_clip_with_one_line_and_writes_nothing(tmp_path, timeline_24):
    in_path, out = tmp_path / "in.otio", tmp_path / "out.otio"
    otio.adapters.write_to_file(timeline_24, str(in_path))
    result = _cli("timeline", "restyle", in_path, "-o", out, "--marker", *FAST,
                  "--model", tmp_path / "no-such-model", "--progress", "none")
    # refused once, before any clip is decoded (the models of every clip are checked up front)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "no-such-model" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() and not (tmp_path / "renders").exists()


def test_models_load_once_per_timeline_and_reuse_changes_nothing(tmp_path, timeline_24, tiny_models):
    """Two clips, one spec: one load. A fresh renderer's render of the second clip is bit-identical."""
    import numpy as np

    from t2vz_edit.media.decode import iter_chunks
    from t2vz_edit.media.ranges import FrameRange
    from t2vz_edit.timeline.jobs import Where
    from t2vz_edit.timeline.read import read_timeline
    from t2vz_edit.pipeline.renderers import RestyleRenderer
    from t2vz_edit.timeline.roundtrip import Options, restyle_timeline
    from t2vz_edit.timeline.selection import Criteria
    from t2vz_edit.timeline.specs import spec_resolver

    def frames(path):
        info = probe(path)
        return np.concatenate([c.frames for c in iter_chunks(info, FrameRange(0, info.frame_count))])

    in_path = tmp_path / "in.otio"
    otio.adapters.write_to_file(timeline_24, str(in_path))
    specs = spec_resolver(instruction="make it snowy",
                          overrides={"model": str(tiny_models["instruct"]), "steps": 2, "size": 64, "seed": 5})
    shared = RestyleRenderer()
    report = restyle_timeline(read_timeline(in_path), Options(Criteria(name_pattern="shot[CD]"), tmp_path / "a.otio",
                              Where(in_path, tmp_path / "shared")), specs, shared)
    assert [o.status for o in report.outcomes] == ["rendered", "rendered"] and shared.loads == 1
    fresh = RestyleRenderer()
    alone = restyle_timeline(read_timeline(in_path), Options(Criteria(name_pattern="shotD"), tmp_path / "b.otio",
                             Where(in_path, tmp_path / "fresh")), specs, fresh)
    assert fresh.loads == 1
    shot_d = [o.render for o in report.outcomes if o.clip == "shotD"][0]
    assert np.array_equal(frames(shot_d), frames(alone.outcomes[0].render))
