"""One contract for every runner: outputs, journal contents, outcomes, reuse on re-run, retries.

Each test runs against the local runner and the Ray runner (one shared local cluster, a custom
resource in place of GPUs). The renderers render for real (trim renderer: the media layer's
decode, encode and sidecar); the end-to-end case renders with tiny random diffusion models.
"""
from __future__ import annotations

import pytest

from batch_helpers import CLIPS, Flaky, GPU, trim_factory, write_toml
from t2vz_edit.batch.instructions import read_batch_file
from t2vz_edit.batch.journal import Journal
from t2vz_edit.batch.plan import plan_batch
from t2vz_edit.batch.run import run_batch
from t2vz_edit.batch.runners import LocalRunner
from t2vz_edit.media.probe import probe
from t2vz_edit.pipeline.render_job import sidecar_render_key

RUNNERS = ["local", "ray"]


@pytest.fixture(params=RUNNERS)
def make(request):
    """factory -> runner of the parametrized kind (closed after the test)."""
    made = []

    def build(factory):
        if request.param == "local":
            runner = LocalRunner(factory)
        else:
            request.getfixturevalue("ray_session")
            from t2vz_edit.batch.ray_runner import RayRunner

            runner = RayRunner(factory, resource=GPU)
        made.append(runner)
        return runner

    yield build
    for runner in made:
        getattr(runner, "close", lambda: None)()


def _plan(project, check_models=False):
    return plan_batch(read_batch_file(project / "batch.toml"), check_models=check_models)


def _events(project):
    return Journal(project / "out").read()


def test_renders_every_job_journals_it_and_reuses_on_rerun(project, make):
    plan = _plan(project)
    result = run_batch(plan, make(trim_factory))
    assert result.count("done") == len(CLIPS) and not result.failed
    for job in plan.jobs:
        out = job.request.out_path
        assert out.is_relative_to(project / "out" / job.source.split("/")[0])
        assert probe(out).frame_count == CLIPS[job.source]
        assert sidecar_render_key(out) == job.key
    events = _events(project)
    assert [e["event"] for e in events].count("planned") == len(CLIPS)
    for key in (j.key for j in plan.jobs):
        mine = [e for e in events if e["key"] == key]
        assert [e["event"] for e in mine] == ["planned", "started", "done"]
        assert mine[2]["attempt"] == 1 and mine[2]["node"] and mine[2]["frames"] > 0
    mtimes = {j.key: j.request.out_path.stat().st_mtime_ns for j in plan.jobs}
    again = run_batch(_plan(project), make(trim_factory))
    assert again.count("skipped") == len(CLIPS)
    assert mtimes == {j.key: j.request.out_path.stat().st_mtime_ns for j in plan.jobs}


def test_retryable_failures_retry_usage_failures_do_not(project, make, tmp_path):
    plan = _plan(project)
    flaky = Flaky(tmp_path / "marks", fail=("a.mov",), usage=("c.mov",))
    result = run_batch(plan, make(flaky), max_attempts=2)
    by_source = {s.source: s for s in result.states.values()}
    assert by_source["day1/a.mov"].status == "done" and by_source["day1/a.mov"].attempts == 2
    assert by_source["day1/b.mov"].status == "done" and by_source["day1/b.mov"].attempts == 1
    failed = by_source["day2/c.mov"]
    assert failed.status == "failed" and failed.attempts == 1
    assert failed.error["kind"] == "usage" and failed.error["retryable"] is False
    first = [e for e in _events(project) if e["key"] == by_source["day1/a.mov"].key and e["event"] == "failed"]
    assert first[0]["error"] == {"kind": "media", "retryable": True,
                                 "message": first[0]["error"]["message"]} and "try again" in first[0]["error"]["message"]
    rerun = run_batch(_plan(project), make(flaky), max_attempts=2)  # usage failures stay failed
    assert [s.source for s in rerun.failed] == ["day2/c.mov"] and rerun.failed[0].attempts == 1


def test_end_to_end_with_tiny_models(project, make, tiny_models):
    write_toml(project / "batch.toml", '[[job]]\nfiles = ["day1/a.mov"]\nrange = "0+4"\n',
               defaults=f'instruction = "make it snowy"\nsteps = 2\nsize = 64\nmodel = "{tiny_models["instruct"]}"\n')
    from t2vz_edit.pipeline.renderers import RestyleRenderer
    from t2vz_edit.media.sidecar import read_sidecar

    plan = _plan(project, check_models=True)
    result = run_batch(plan, make(RestyleRenderer))
    assert result.count("done") == 1, result.failed
    out = plan.jobs[0].request.out_path
    assert probe(out).frame_count == 4
    provenance = read_sidecar(out)["provenance"]
    assert provenance["t2vz_edit"]["render_key"] == plan.jobs[0].key and provenance["mode"] == "instruct"


def test_timeline_restyle_renders_its_clips_on_ray(project, ray_session, capsys):
    """`timeline restyle --runner ray`: the timeline's clips render on the cluster's actors."""
    import json

    import opentimelineio as otio

    from t2vz_edit.cli.app import main

    rt, tr = otio.opentime.RationalTime, otio.opentime.TimeRange
    rate = 24000 / 1001
    timeline = otio.schema.Timeline(name="cut")
    track = otio.schema.Track(name="V1", kind="Video")
    timeline.tracks.append(track)
    for rel, frames in list(CLIPS.items())[:2]:
        ref = otio.schema.ExternalReference(target_url=(project / "footage" / rel).as_uri(),
                                            available_range=tr(rt(0, rate), rt(frames, rate)))
        track.append(otio.schema.Clip(name=rel.split("/")[1], media_reference=ref,
                                      source_range=tr(rt(2, rate), rt(6, rate))))
    otio.adapters.write_to_file(timeline, str(project / "cut.otio"))
    with pytest.raises(SystemExit) as exited:
        main(["timeline", "restyle", str(project / "cut.otio"), "-o", str(project / "back.otio"), "--all",
              "--instruction", "make it snowy", "--renderer", "trim", "--runner", "ray", "--ray-resource", GPU,
              "--progress", "json"])
    out = capsys.readouterr().out
    assert (exited.value.code or 0) == 0, out
    done = [json.loads(line) for line in out.splitlines() if '"done"' in line][-1]
    assert [c["status"] for c in done["clips"]] == ["rendered", "rendered"]
    for clip in done["clips"]:
        assert probe(clip["render"]).frame_count == 6
