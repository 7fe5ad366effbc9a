"""`t2vz-edit batch plan|run|status|report` through the CLI entry point: output, exit codes 0/3/1/2."""
from __future__ import annotations

import json

import pytest

from batch_helpers import CLIPS, Flaky, write_toml
from cli_helpers import run_main as _cli
from t2vz_edit.pipeline.renderers import RENDERERS


def test_plan_lists_clips_frames_and_frame_steps_and_renders_nothing(project, capsys):
    code, out, _ = _cli(capsys, "batch", "plan", project / "batch.toml", "--renderer", "trim", "--steps", "3")
    assert code == 0
    assert f"{len(CLIPS)} clips, {sum(CLIPS.values())} frames, 1 model set(s), {3 * sum(CLIPS.values())} frame-steps" in out
    assert not (project / "out").exists()


def test_every_problem_on_its_own_line_exit_2(project, capsys):
    write_toml(project / "batch.toml", '[[job]]\nglob = "nope/*.mov"\n[[job]]\nfiles = ["../x.mov"]\n')
    code, _, err = _cli(capsys, "batch", "run", project / "batch.toml", "--renderer", "trim")
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 3 and lines[0].startswith("  [[job]] 1") and lines[1].startswith("  [[job]] 2")
    assert lines[2].startswith("error: ") and "2 problem(s)" in lines[2] and "Traceback" not in err
    assert not (project / "out").exists()


@pytest.mark.parametrize("fail, code", [((), 0), (("a.mov",), 3), (tuple(p.split("/")[1] for p in CLIPS), 1)])
def test_exit_codes_all_some_none(project, capsys, monkeypatch, tmp_path, fail, code):
    monkeypatch.setitem(RENDERERS.extra, "flaky", Flaky(tmp_path / "marks", usage=fail))
    got, out, err = _cli(capsys, "batch", "run", project / "batch.toml", "--renderer", "flaky", "--progress", "json")
    assert got == code, err
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["event"] for e in events if e["event"] in ("done", "error")][-1] == ("done" if code == 0 else "error")
    statuses = [e["status"] for e in events if e["event"] == "job"]
    assert statuses.count("done") == len(CLIPS) - len(fail) and statuses.count("failed") == len(fail)
    got, out, _ = _cli(capsys, "batch", "status", project / "out")
    assert got == 0 and out.strip().splitlines()[-1] == ", ".join(
        f"{n} {k}" for k, n in sorted({"done": len(CLIPS) - len(fail), "failed": len(fail)}.items()) if n)


def test_report_has_a_row_per_job_with_sheets_and_errors(project, capsys, monkeypatch, tmp_path):
    from PIL import Image

    monkeypatch.setitem(RENDERERS.extra, "flaky", Flaky(tmp_path / "marks", usage=("c.mov",)))
    _cli(capsys, "batch", "run", project / "batch.toml", "--renderer", "flaky", "--progress", "none")
    code, out, _ = _cli(capsys, "batch", "report", project / "out")
    page = (project / "out" / "report.html").read_text()
    assert code == 0 and page.count("<tr><td>") == len(CLIPS)
    assert page.count('<img src=".t2vz-batch/report/') == len(CLIPS) - 1
    assert "c.mov: impossible request" in page and 'class="failed"' in page
    sheet = Image.open(next((project / "out" / ".t2vz-batch" / "report").glob("*.png")))
    assert sheet.size[1] == 2 * 48 * 160 // 64  # source row above render row, thumbnails 160 px wide
