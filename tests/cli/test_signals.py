"""Issue 16, signals: SIGTERM cancels like Ctrl-C, SIGKILL's leftovers go on the next run, a
Ctrl-C during start-up is never lost
(a cancel stopping a timeline: tests/timeline/test_cancel.py)."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from fractions import Fraction

import pytest

from t2vz_edit.media.probe import probe
from t2vz_edit.media.synth import make_clip


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory):
    """Long enough (240 frames) that a trim is still encoding when the signal comes."""
    return make_clip(tmp_path_factory.mktemp("sig") / "take.mov", frames=240, width=320, height=240,
                     rate=Fraction(24), audio={"channels": 2, "sample_rate": 48000})


def _start(*args, cwd):
    return subprocess.Popen([sys.executable, "-m", "t2vz_edit", *map(str, args)], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for(proc, frames: int | None, delay: float) -> None:
    """Return once ``proc`` reported ``frames`` encoded (or after ``delay`` s when None)."""
    if frames is None:
        time.sleep(delay)
        return
    for line in proc.stdout:
        event = json.loads(line) if line.startswith("{") else {}
        if event.get("stage") == "encode" and event["done"] >= frames:
            return
    raise AssertionError(f"the run ended before encoding {frames} frames: {proc.stderr.read()}")


def _trim(clip, folder, out):
    return _start("trim", clip, "-o", folder / out, "--progress", "json", cwd=folder)


def _listing(folder):
    return sorted(p.name for p in folder.iterdir())


MOMENTS = [("start-up", None, 0.3), ("first-chunk", 16, 0), ("half-way", 112, 0)]


@pytest.mark.parametrize("moment, frames, delay", MOMENTS, ids=[m[0] for m in MOMENTS])
def test_sigterm_leaves_nothing_and_says_so(long_clip, tmp_path, moment, frames, delay):
    proc = _trim(long_clip, tmp_path, "out.mov")
    _wait_for(proc, frames, delay)
    proc.send_signal(signal.SIGTERM)
    code, err = proc.wait(timeout=120), proc.stderr.read()
    assert code in (143, -signal.SIGTERM), err
    if code == 143:  # our handler was installed: one line saying what happened
        assert err.strip().splitlines() == [err.strip()] and "terminated (SIGTERM)" in err
    assert _listing(tmp_path) == []


@pytest.mark.parametrize("frames", [16, 112])
def test_sigkill_leftovers_are_gone_after_a_rerun(long_clip, tmp_path, frames):
    proc = _trim(long_clip, tmp_path, "out.mov")
    _wait_for(proc, frames, 0)
    proc.kill()
    proc.wait(timeout=60)
    assert not (tmp_path / "out.mov").exists()
    rerun = subprocess.run([sys.executable, "-m", "t2vz_edit", "trim", long_clip, "-r", "0-24", "-o",
                            tmp_path / "out.mov", "--progress", "none"], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert _listing(tmp_path) == ["out.mov", "out.mov.json"]
    assert probe(tmp_path / "out.mov").frame_count == 24


_SWALLOWING_IMPORT = textwrap.dedent("""
    import os, signal, sys, time
    sys.argv = ["t2vz-edit", "trim", sys.argv[1], "-o", sys.argv[2], "--progress", "none"]
    import t2vz_edit.media.probe as probe_module
    from t2vz_edit.cli import app
    real = probe_module.probe

    def probe_after_a_library_import(path):
        try:  # what optional-dependency imports do: `except Exception` around a slow import
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)
        except Exception:
            pass
        return real(path)

    probe_module.probe = probe_after_a_library_import
    app.main()
""")


def test_ctrl_c_inside_a_library_except_exception_still_cancels(long_clip, tmp_path):
    out = tmp_path / "never.mov"
    result = subprocess.run([sys.executable, "-c", _SWALLOWING_IMPORT, long_clip, out], capture_output=True,
                            text=True, cwd=tmp_path)
    assert result.returncode == 130, result.stderr
    assert "interrupted (Ctrl-C)" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert _listing(tmp_path) == []


@pytest.mark.parametrize("delay", [0.2, 0.6, 1.2])
def test_ctrl_c_during_start_up_writes_nothing(tiny_models, long_clip, tmp_path, delay):
    """A restyle with a model spends seconds importing torch/diffusers: Ctrl-C there writes nothing."""
    proc = _start("restyle", long_clip, "-i", "x", "--model", tiny_models["instruct"], "--steps", "1", "--size", "64",
                  "-o", tmp_path / "r.mov", "--progress", "none", cwd=tmp_path)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    code, err = proc.wait(timeout=120), proc.stderr.read()
    assert code != 0, err
    if code == 130:  # past the interpreter's own start-up: our one line, never a traceback
        assert err.strip().splitlines() == [err.strip()] and "interrupted (Ctrl-C)" in err
    assert _listing(tmp_path) == []


_SIGNAL_RIGHT_AFTER_OUR_FIRST_LINE = """
import os, signal, sys, time
sys.argv = [os.path.join(sys.prefix, "bin", "t2vz-edit"), "trim", sys.argv[1], "-o", sys.argv[2], "--progress", "none"]
import t2vz_edit  # the first of our code the console script runs
os.kill(os.getpid(), getattr(signal, os.environ["T2VZ_TEST_SIGNAL"]))
time.sleep(0.2)
from t2vz_edit.cli.app import main  # the heavy imports (typer, every command module) come after
main()
"""


@pytest.mark.parametrize("name, code, words", [("SIGINT", 130, "interrupted (Ctrl-C)"),
                                                ("SIGTERM", 143, "terminated (SIGTERM)")])
def test_a_signal_before_the_cli_is_imported_is_one_line_and_writes_nothing(long_clip, tmp_path, name, code, words):
    """Issue 16: the package's first line holds the signal (was a KeyboardInterrupt traceback from an import)."""
    out = tmp_path / "never.mov"
    result = subprocess.run([sys.executable, "-c", _SIGNAL_RIGHT_AFTER_OUR_FIRST_LINE, str(long_clip), str(out)],
                            capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "T2VZ_TEST_SIGNAL": name},
                            timeout=120)
    err = result.stderr.strip()
    assert result.returncode == code and err.splitlines() == [f"error: {words}; no output was written"], err
    assert _listing(tmp_path) == []


def test_signals_right_after_spawn_never_show_our_traceback(long_clip, tmp_path):
    """Sent right after spawn, a signal lands in the interpreter's own start-up (killed by it, or site's
    traceback) or in our code (held: exit 130, one line); it never interrupts our imports, and nothing is written."""
    reached = 0
    for i, delay in enumerate([0, 0.05, 0.1, 0.15, 0.25, 0.4]):
        folder = tmp_path / f"run{i}"
        folder.mkdir()
        proc = _start("trim", long_clip, "-o", folder / "out.mov", "--progress", "none", cwd=folder)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        code, err = proc.wait(timeout=120), proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
        assert not re.search(r'File "[^"]*/t2vz_edit/', err), f"delay {delay}: {err}"  # no frame of ours
        if code == 130:
            reached += 1
            assert err.strip().splitlines() == ["error: interrupted (Ctrl-C); no output was written"]
        assert _listing(folder) == [], f"delay {delay}: exit {code}"
    assert reached, "no signal reached the CLI's handler"


def test_a_cancel_at_the_first_instruction_of_the_renders_exit_leaves_nothing(tmp_path, monkeypatch, capsys):
    """A signal raised while C code runs is delivered at the next function entry — it can be the
    render's ``__exit__``, before any of its clean-up runs (fault injection: 1 in ~50 'last chunk' runs
    left ``.out.t2vz-partial-….mov``). The command's end removes this process's unpublished partials."""
    from t2vz_edit.cli.app import main
    from t2vz_edit.media.encode import Render
    from t2vz_edit.spec.errors import Cancelled

    clip = make_clip(tmp_path / "take.mp4", frames=72, width=64, height=48)  # past x264's lookahead: on disk
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    def cancelled_on_entry(self, *exc_info):
        assert self.temp.exists()
        raise Cancelled("interrupted (Ctrl-C); no output was written")
    monkeypatch.setattr(Render, "__exit__", cancelled_on_entry)
    with pytest.raises(SystemExit) as exc:
        main(["trim", str(clip), "-o", str(out_dir / "out.mov"), "--progress", "none"])
    assert exc.value.code == 130 and "interrupted" in capsys.readouterr().err
    assert _listing(out_dir) == []
