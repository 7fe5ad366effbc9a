"""Issue 16, data loss: a render never deletes a user's folder, never clobbers a sidecar-named
file or the source, and two runs on one output cannot both win."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from t2vz_edit.media import atomic
from t2vz_edit.media.encode import open_render
from t2vz_edit.media.probe import probe
from t2vz_edit.media.ranges import FrameRange
from t2vz_edit.media.synth import make_clip
from t2vz_edit.spec.errors import OutputError

GREY = np.full((4, 48, 64, 3), 128, np.uint8)


@pytest.fixture(scope="module")
def small_clip(tmp_path_factory):
    """A 4-frame video-only clip (fast to trim)."""
    return make_clip(tmp_path_factory.mktemp("src") / "A001.mp4", frames=4, width=64, height=48)


def _digest(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "t2vz_edit", *args, "--progress", "none"], capture_output=True,
                          text=True, cwd=cwd)


def _render(out, info, codec="png", overwrite=False, frames=GREY):
    with open_render(out, info, FrameRange(0, len(frames)), codec=codec, overwrite=overwrite) as render:
        render.write(frames)


# ---- item 1: png into an existing folder --------------------------------------------------------
def test_png_overwrite_into_the_sources_folder_keeps_everything(small_clip, tmp_path):
    """The reported case, through the real CLI: the source and notes.txt survive, byte for byte."""
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    source = shutil.copy(small_clip, shoot / "A001.mp4")
    (shoot / "notes.txt").write_text("notes\n")
    before = _digest(source)
    result = _cli("trim", str(source), "--codec", "png", "-o", str(shoot), "--overwrite")
    assert result.returncode == 2, result.stderr
    assert "holds the source A001.mp4" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in shoot.iterdir()) == ["A001.mp4", "notes.txt"]
    assert _digest(source) == before and (shoot / "notes.txt").read_text() == "notes\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shoot"]


def test_png_overwrite_refuses_a_folder_with_foreign_files(small_clip, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(OutputError, match=r"holds files this tool did not write \(notes.txt\)"):
        _render(folder, probe(small_clip), overwrite=True)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]


def test_png_overwrite_replaces_its_own_frames_only(small_clip, tmp_path):
    info, folder = probe(small_clip), tmp_path / "seq"
    _render(folder, info)
    assert len(list(folder.glob("seq_*.png"))) == 4
    _render(folder, info, overwrite=True, frames=GREY[:2])  # a shorter render: no stale frames stay
    assert sorted(p.name for p in folder.iterdir()) == ["seq_000000.png", "seq_000001.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seq", "seq.json"]


def test_file_render_onto_a_folder_is_refused_before_rendering(small_clip, tmp_path):
    folder = tmp_path / "dir.mp4"
    folder.mkdir()
    (folder / "x").write_text("x")
    with pytest.raises(OutputError, match="is a folder"):
        open_render(folder, probe(small_clip), FrameRange(0, 4), overwrite=True).__enter__()
    assert [p.name for p in folder.iterdir()] == ["x"]


@pytest.mark.parametrize("name", [".", ".."])
def test_dot_outputs_are_refused(small_clip, tmp_path, monkeypatch, name):
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    with pytest.raises(OutputError, match="not a new file or folder name"):
        atomic.check_output_path(name, [small_clip], overwrite=True, folder=True)


# ---- item 2: the sidecar obeys the render's rules -----------------------------------------------
def test_existing_file_at_the_sidecar_path_is_kept(small_clip, tmp_path):
    user = tmp_path / "new.mp4.json"
    user.write_text("my notes")
    result = _cli("trim", small_clip, "-o", str(tmp_path / "new.mp4"))
    assert result.returncode == 2 and "sidecar new.mp4.json already exists" in result.stderr
    assert user.read_text() == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.mp4.json"]


def test_source_at_the_sidecar_path_is_never_written(small_clip, tmp_path):
    source = shutil.copy(small_clip, tmp_path / "o.mp4.json")
    before = _digest(source)
    for extra in ((), ("--overwrite",)):
        result = _cli("trim", source, "-o", str(tmp_path / "o.mp4"), *extra)
        assert result.returncode == 2 and "would replace the input" in result.stderr, result.stderr
    assert _digest(source) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.mp4.json"]


def test_sidecar_created_with_a_lost_race_is_removed(small_clip, tmp_path):
    """If the render cannot be published, the sidecar this run created goes too."""
    out = tmp_path / "r.mp4"
    with pytest.raises(OutputError, match="appeared while this run was writing"):
        with open_render(out, probe(small_clip), FrameRange(0, 4)) as render:
            render.write(GREY)
            out.write_bytes(b"another run's render")
    assert out.read_bytes() == b"another run's render"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.mp4"]


# ---- item 3: exactly one of two concurrent runs wins --------------------------------------------
_HOLDER = """
import sys, time
from pathlib import Path
from t2vz_edit.media import atomic
atomic.check_output_path(Path(sys.argv[1]))
Path(sys.argv[2]).write_text("claimed")
time.sleep(60)
"""


def test_a_claimed_output_is_refused_by_a_second_run(small_clip, tmp_path):
    out, flag = tmp_path / "same.mp4", tmp_path / "flag"
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(out), str(flag)])
    try:
        for _ in range(600):
            if flag.exists() or holder.poll() is not None:
                break
            import time

            time.sleep(0.05)
        result = _cli("trim", small_clip, "-o", str(out))
        assert result.returncode == 2 and "being written by another t2vz-edit run" in result.stderr, result.stderr
        assert not out.exists()
    finally:
        holder.kill()
        holder.wait()
    # the holder was killed: its claim died with it and the next run succeeds and tidies up
    result = _cli("trim", small_clip, "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flag", "same.mp4", "same.mp4.json"]


def test_two_concurrent_trims_exactly_one_wins(small_clip, tmp_path):
    out = tmp_path / "same.mp4"
    args = [sys.executable, "-m", "t2vz_edit", "trim", small_clip, "-o", str(out), "--progress", "none"]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert len(loser.strip().splitlines()) == 1
    assert probe(out).frame_count == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.mp4", "same.mp4.json"]


def test_commit_without_overwrite_never_replaces(tmp_path):
    out, temp = tmp_path / "a.mov", tmp_path / ".a.t2vz-partial-1-00000000.mov"
    out.write_bytes(b"first")
    temp.write_bytes(b"second")
    with pytest.raises(OutputError, match="appeared"):
        atomic.commit(temp, out)
    assert out.read_bytes() == b"first"


# ---- stale partials (item 5's clean-up, exercised here at the unit level) --------------------------
def test_stale_partials_of_dead_runs_are_removed_live_ones_kept(small_clip, tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid, live_pid = int(dead.stdout), os.getppid()
    (tmp_path / f".r.t2vz-partial-{dead_pid}-0123abcd.mov").write_bytes(b"x")
    (tmp_path / f".r.t2vz-partial-{dead_pid}-4567abcd").mkdir()
    (tmp_path / f".r.t2vz-partial-{live_pid}-89abcdef.mov").write_bytes(b"x")
    (tmp_path / ".r.mov.t2vz-lock").write_text("")
    (tmp_path / "user.t2vz-partial-notes.txt").write_text("not ours")
    _render(tmp_path / "r.mov", probe(small_clip), codec="h264")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f".r.t2vz-partial-{live_pid}-89abcdef.mov", "r.mov", "r.mov.json", "user.t2vz-partial-notes.txt"]
