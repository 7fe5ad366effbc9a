"""Resume after a crash: kill -9 mid-run, a truncated journal line, a deleted render."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from batch_helpers import CLIPS, trim_factory
from t2vz_edit.batch.instructions import read_batch_file
from t2vz_edit.batch.journal import Journal, replay
from t2vz_edit.batch.plan import plan_batch
from t2vz_edit.batch.run import PARTIAL_GLOB, run_batch
from t2vz_edit.batch.runners import LocalRunner

DRIVER = """
import sys
sys.path.insert(0, {here!r})
from batch_helpers import Slow
from t2vz_edit.batch.instructions import read_batch_file
from t2vz_edit.batch.plan import plan_batch
from t2vz_edit.batch.run import run_batch
from t2vz_edit.batch.runners import LocalRunner
run_batch(plan_batch(read_batch_file({toml!r}), check_models=False), LocalRunner(Slow(0.15)))
"""


def _plan(project):
    return plan_batch(read_batch_file(project / "batch.toml"), check_models=False)


def _frames_digest(path: Path) -> str:
    from t2vz_edit.media.decode import iter_chunks
    from t2vz_edit.media.probe import probe
    from t2vz_edit.media.ranges import FrameRange

    info = probe(path)
    digest = hashlib.sha256()
    for chunk in iter_chunks(info, FrameRange(0, info.frame_count), chunk_frames=16):
        digest.update(np.ascontiguousarray(chunk.frames).tobytes())
    return digest.hexdigest()


def _wait_for(predicate, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_kill_9_then_resume_renders_only_what_was_left(project, tmp_path_factory):
    reference = tmp_path_factory.mktemp("reference")
    import shutil

    shutil.copytree(project / "footage", reference / "footage")
    shutil.copy(project / "batch.toml", reference / "batch.toml")
    run_batch(_plan(reference), LocalRunner(trim_factory))  # the uninterrupted run

    journal = Journal(project / "out")
    script = DRIVER.format(here=str(Path(__file__).parent), toml=str(project / "batch.toml"))
    driver = subprocess.Popen([sys.executable, "-c", script])
    try:  # kill when one job is done and the next one is half encoded
        assert _wait_for(lambda: [e["event"] for e in journal.read()].count("started") >= 2
                         and list((project / "out").rglob(PARTIAL_GLOB)))
    finally:
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait()
    before = replay(journal.read())
    done_before = {k: s for k, s in before.items() if s.status == "done"}
    assert 1 <= len(done_before) < len(CLIPS) and any(s.status == "started" for s in before.values())
    mtime = {k: Path(s.output).stat().st_mtime_ns for k, s in done_before.items()}

    result = run_batch(_plan(project), LocalRunner(trim_factory))
    assert result.count("done", "skipped") == len(CLIPS)
    assert {k: Path(s.output).stat().st_mtime_ns for k, s in done_before.items()} == mtime  # not re-rendered
    assert [p for p in project.rglob("*") if "t2vz-partial" in p.name] == []
    for job in _plan(reference).jobs:
        mine = project / "out" / job.request.out_path.relative_to(reference / "out")
        assert _frames_digest(mine) == _frames_digest(job.request.out_path)


def test_truncated_last_line_is_ignored_and_cut_before_the_next(project):
    plan = _plan(project)
    run_batch(plan, LocalRunner(trim_factory))
    journal = Journal(project / "out")
    with open(journal.path, "a") as handle:
        handle.write('{"v": "t2vz.batch-journal.1", "event": "fai')
    result = run_batch(_plan(project), LocalRunner(trim_factory))
    assert result.count("skipped") == len(CLIPS)
    lines = journal.path.read_text().splitlines()
    assert all(line.endswith("}") for line in lines)  # the cut line is gone, the new ones are whole
    assert len(journal.read()) == len(lines)


def test_a_deleted_render_is_rendered_again(project):
    plan = _plan(project)
    run_batch(plan, LocalRunner(trim_factory))
    victim = plan.jobs[1].request.out_path
    victim.unlink()
    result = run_batch(_plan(project), LocalRunner(trim_factory))
    assert victim.is_file() and result.states[plan.jobs[1].key].status == "done"
    assert result.count("skipped") == len(CLIPS) - 1


CTRL_C_DRIVER = """
import sys
sys.path.insert(0, {here!r})
from batch_helpers import Slow
from t2vz_edit.batch.instructions import read_batch_file
from t2vz_edit.batch.plan import plan_batch
from t2vz_edit.batch.run import run_batch
from t2vz_edit.batch.runners import LocalRunner
from t2vz_edit.spec.errors import Cancelled
try:
    run_batch(plan_batch(read_batch_file({toml!r}), check_models=False), LocalRunner(Slow(0.5)))
except Cancelled as exc:
    print(exc)
    sys.exit(130)
"""


def test_ctrl_c_stops_after_the_chunk_leaves_nothing_partial_and_resumes(project):
    journal = Journal(project / "out")
    script = CTRL_C_DRIVER.format(here=str(Path(__file__).parent), toml=str(project / "batch.toml"))
    driver = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: list((project / "out").rglob(PARTIAL_GLOB)))
        driver.send_signal(signal.SIGINT)
        out, _ = driver.communicate(timeout=60)
    finally:
        driver.kill()
    assert driver.returncode == 130 and "cancelled during encode" in out
    assert [p for p in project.rglob("*") if "t2vz-partial" in p.name] == []
    states = replay(journal.read())
    assert [s.status for s in states.values()].count("started") == 1
    result = run_batch(_plan(project), LocalRunner(trim_factory))
    assert result.count("done", "skipped") == len(CLIPS)
