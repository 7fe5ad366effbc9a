"""Batch files: every problem reported up front, one line each; paths cannot escape root or output."""
from __future__ import annotations

import os

import pytest

from batch_helpers import write_toml

from t2vz_edit.batch.instructions import BatchFileError, read_batch_file
from t2vz_edit.batch.plan import plan_batch


def _problems(path, check_models=False) -> list[str]:
    with pytest.raises(BatchFileError) as caught:
        plan_batch(read_batch_file(path), check_models=check_models)
    return caught.value.problems


def test_every_problem_of_the_file_is_listed(project):
    write_toml(project / "batch.toml", """
[[job]]
glob = "day9/*.mov"
[[job]]
files = ["day1/a.mov"]
range = "5+500"
[[job]]
files = ["day1/b.mov"]
preset = "no-such-preset"
[[job]]
glob = "day2/*.mov"
stepz = 3
""")
    problems = _problems(project / "batch.toml")
    assert len(problems) == 4, problems
    assert "[[job]] 4: unknown setting(s) stepz" in problems[0]
    assert "[[job]] 1: 'day9/*.mov' matches no file" in problems[1]
    assert problems[2].startswith("[[job]] 2: day1/a.mov:") and "outside" in problems[2]
    assert problems[3].startswith("[[job]] 3:") and "no-such-preset" in problems[3]


def test_missing_model_is_a_problem_before_anything_loads(project):
    write_toml(project / "batch.toml", '[[job]]\nglob = "day1/*.mov"\nmodel = "nobody/absent-model"\n')
    (problem,) = _problems(project / "batch.toml", check_models=True)
    assert "nobody/absent-model" in problem and "models pull" in problem


def test_offline_missing_models_of_every_job_are_one_problem_with_one_pull_command(project):
    write_toml(project / "batch.toml", '[[job]]\nglob = "day1/*.mov"\nmodel = "nobody/absent-model"\n'
                                       '[[job]]\nglob = "day2/*.mov"\nprompt = "a statue"\ncontrols = ["pose"]\n'
                                       'instruction = ""\n')
    (problem,) = _problems(project / "batch.toml", check_models=True)
    assert problem.startswith("offline and 4 model(s)")
    assert ("`t2vz-edit models pull nobody/absent-model stable-diffusion-v1-5/stable-diffusion-v1-5 "
            "lllyasviel/control_v11p_sd15_openpose lllyasviel/Annotators:body_pose_model.pth`") in problem


@pytest.mark.parametrize("job", ['glob = "../*.toml"', 'files = ["../batch.toml"]', 'glob = "day1/../../*"',
                                 'files = ["/etc/hostname"]', 'glob = "/etc/*"'])
def test_globs_and_files_cannot_leave_root(project, job):
    write_toml(project / "batch.toml", f"[[job]]\n{job}\n")
    (problem,) = _problems(project / "batch.toml")
    assert "leaves the root folder" in problem


def test_symlinks_out_of_root_are_refused(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere")
    (outside / "secret.mov").write_bytes((project / "footage/day1/a.mov").read_bytes())
    os.symlink(outside / "secret.mov", project / "footage/day1/link.mov")
    os.symlink(outside, project / "footage/linked_dir")
    write_toml(project / "batch.toml", '[[job]]\nglob = "**/*.mov"\n[[job]]\nglob = "linked_dir/*.mov"\n')
    problems = _problems(project / "batch.toml")
    assert len(problems) == 2 and all("outside root" in p for p in problems), problems


def test_renders_cannot_leave_output_through_a_symlink(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("not_output")
    (project / "out").mkdir()
    os.symlink(outside, project / "out" / "day1")
    write_toml(project / "batch.toml", '[[job]]\nglob = "day1/*.mov"\n')
    problems = _problems(project / "batch.toml")
    assert len(problems) == 2 and all("resolves outside output" in p for p in problems)


def test_output_inside_root_is_never_read_as_footage(project):
    write_toml(project / "batch.toml", '[[job]]\nglob = "**/*.mov"\n')
    text = (project / "batch.toml").read_text().replace('output = "out"', 'output = "footage/renders"')
    (project / "batch.toml").write_text(text)
    (project / "footage/renders").mkdir()
    (project / "footage/renders/old_render.mov").write_bytes((project / "footage/day1/a.mov").read_bytes())
    plan = plan_batch(read_batch_file(project / "batch.toml"), check_models=False)
    assert sorted(j.source for j in plan.jobs) == ["day1/a.mov", "day1/b.mov", "day2/c.mov"]


def test_csv_rows_with_escapes_and_bad_values_are_listed(project):
    csv = project / "list.csv"
    (project / "footage" / "list.csv").write_text(
        "file,preset,instruction,range\n"
        "day1/a.mov,,make it snowy,0+4\n"
        "../batch.toml,,make it snowy,\n"
        "/etc/hostname,,x,\n"
        "day1/b.mov,,make it snowy,99+1\n")
    csv = project / "footage" / "list.csv"
    problems = _problems(csv)
    assert [p.split(":")[0] for p in problems] == ["row 3", "row 4", "row 5"]
    assert "leaves the root folder" in problems[0] and "leaves the root folder" in problems[1]


def test_csv_builds_jobs_with_per_row_settings(project):
    csv = project / "footage" / "list.csv"
    csv.write_text("file,preset,instruction,range,seed\nday1/a.mov,,make it snowy,0+4,7\n"
                   "day2/c.mov,,make it dusk,,\n")
    plan = plan_batch(read_batch_file(csv), check_models=False)
    a, c = plan.jobs
    assert (a.request.frame_count, a.request.spec.seed, a.request.spec.instruction) == (4, 7, "make it snowy")
    assert (c.request.frame_count, c.request.spec.instruction) == (14, "make it dusk")
    assert plan.batch.output == project / "footage" / "list-renders"
