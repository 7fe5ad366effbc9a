"""Fault injection against the real CLI, as a user would run it: signals, concurrency, clobbering.

Each case runs ``t2vz-edit`` in subprocesses on synthesized clips in a scratch folder and checks
what a user cares about: the source and unrelated files keep their bytes, nothing partial is
left (after a rerun, for SIGKILL), exactly one of two racing runs wins. Prints one line per
case and the held/failed totals; exits 1 if any case failed.

    python scripts/fault_injection.py [--trials 3] [--keep]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = [sys.executable, "-m", "t2vz_edit"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def run(*args, cwd: Path, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *map(str, args)], cwd=cwd, capture_output=True, text=True, env=env)


def start(*args, cwd: Path, env=None) -> subprocess.Popen:
    return subprocess.Popen([*CLI, *map(str, args)], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def wait_encoded(proc: subprocess.Popen, frames: int | None, delay: float) -> bool:
    """Block until ``proc`` reported ``frames`` encoded (or ``delay`` s passed); False if it ended first."""
    if frames is None:
        time.sleep(delay)
        return proc.poll() is None
    for line in proc.stdout:
        event = json.loads(line) if line.startswith("{") else {}
        if event.get("stage") == "encode" and event.get("done", 0) >= frames:
            return True
    return False


# ---- cases: each returns (held, detail) ------------------------------------------------------------
def png_into_source_folder(work: Path, clip: Path):
    shoot = work / "shoot"
    shoot.mkdir()
    source = Path(shutil.copy(clip, shoot / "A001.mov"))
    (shoot / "notes.txt").write_text("notes\n")
    before = digest(source)
    result = run("trim", source, "--codec", "png", "-o", shoot, "--overwrite", "--progress", "none", cwd=work)
    kept = source.exists() and digest(source) == before and (shoot / "notes.txt").read_text() == "notes\n"
    return kept and result.returncode != 0, f"exit {result.returncode}, shoot/ = {listing(shoot)}"


def png_into_foreign_folder(work: Path, clip: Path):
    folder = work / "frames"
    folder.mkdir()
    (folder / "grade.cube").write_text("LUT")
    result = run("trim", clip, "--codec", "png", "-o", folder, "--overwrite", "--progress", "none", cwd=work)
    return listing(folder) == ["grade.cube"] and result.returncode != 0, f"exit {result.returncode}"


def sidecar_named_file_kept(work: Path, clip: Path):
    (work / "new.mp4.json").write_text("my notes")
    result = run("trim", clip, "-o", work / "new.mp4", "--progress", "none", cwd=work)
    return (work / "new.mp4.json").read_text() == "my notes" and not (work / "new.mp4").exists(), \
        f"exit {result.returncode}"


def source_at_sidecar_path(work: Path, clip: Path):
    source = Path(shutil.copy(clip, work / "o.mp4.json"))
    before = digest(source)
    result = run("trim", source, "-o", work / "o.mp4", "--overwrite", "--progress", "none", cwd=work)
    return digest(source) == before and not (work / "o.mp4").exists(), f"exit {result.returncode}"


def concurrent_trims(work: Path, clip: Path):
    out = work / "same.mp4"
    procs = [start("trim", clip, "-o", out, "--progress", "none", cwd=work) for _ in range(2)]
    codes = sorted(p.wait() for p in procs)
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    leftovers = [n for n in listing(work) if n not in (clip.name, "same.mp4", "same.mp4.json")]
    return codes == [0, 2] and not leftovers, f"exit codes {codes}, leftovers {leftovers}"


def concurrent_conditions(work: Path, clip: Path):
    env = {**os.environ, "T2VZ_CACHE": str(work / "cache")}
    procs = [start("conditions", clip, "-k", "canny", "-o", work / f"maps{i}.mp4", "--progress", "none", cwd=work,
                   env=env) for i in range(2)]
    results = [(p.wait(), p.stderr.read().strip()[-160:]) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    kind = work / "cache" / "canny"
    stale = [n for n in listing(kind) if ".partial-" in n or ".old-" in n] if kind.is_dir() else []
    return all(code == 0 for code, _ in results) and not stale, f"{results}, stale {stale}"


def signal_case(sig: int, frames: int | None, delay: float):
    def case(work: Path, clip: Path):
        proc = start("trim", clip, "-o", work / "out.mov", "--progress", "json", cwd=work)
        reached = wait_encoded(proc, frames, delay)
        proc.send_signal(sig)
        code = proc.wait(timeout=300)
        proc.stdout.close()
        err = proc.stderr.read().strip()
        proc.stderr.close()
        if not reached and code == 0:
            return True, "finished before the signal (nothing to check)"
        if sig == signal.SIGKILL:  # nothing can run at SIGKILL: the next run must tidy up
            rerun = run("trim", clip, "-r", "0-12", "-o", work / "out.mov", "--progress", "none", cwd=work)
            ok = rerun.returncode == 0 and listing(work) == sorted([clip.name, "out.mov", "out.mov.json"])
            return ok, f"rerun exit {rerun.returncode}, folder {listing(work)}"
        expected = {signal.SIGINT: 130, signal.SIGTERM: 143}[sig]
        one_line = code != expected or len(err.splitlines()) == 1
        clean = listing(work) == [clip.name]
        return code != 0 and one_line and clean, f"exit {code}, folder {listing(work)}, stderr {err[-120:]!r}"
    return case


def startup_ctrl_c_in_library_code(work: Path, clip: Path):
    """Ctrl-C while a library's `except Exception` is on the stack (optional imports do this)."""
    script = (
        "import os, signal, sys, time\n"
        f"sys.argv = ['t2vz-edit', 'trim', {str(clip)!r}, '-o', 'never.mov', '--progress', 'none']\n"
        "import t2vz_edit.media.probe as pm\nfrom t2vz_edit.cli import app\nreal = pm.probe\n"
        "def probe(path):\n    try:\n        os.kill(os.getpid(), signal.SIGINT); time.sleep(0.2)\n"
        "    except Exception:\n        pass\n    return real(path)\n"
        "pm.probe = probe\napp.main()\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=work, capture_output=True, text=True)
    return result.returncode == 130 and not (work / "never.mov").exists(), f"exit {result.returncode}"


def signal_right_after_spawn(delay: float):
    def case(work: Path, clip: Path):
        proc = start("trim", clip, "-o", work / "out.mov", "--progress", "none", cwd=work)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=300)
        proc.stdout.close()
        err = proc.stderr.read().strip()
        proc.stderr.close()
        ours = "/t2vz_edit/" in err  # a traceback frame of ours: the signal hit an import unhandled
        one_line = code != 130 or len(err.splitlines()) == 1
        return not ours and one_line and listing(work) == [clip.name], f"exit {code}, stderr {err[-100:]!r}"
    return case


def full_disk(work: Path, clip: Path):
    """A 40 KiB tmpfs as the output folder (root only): one line naming the folder, nothing left."""
    disk = work / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40k", "tmpfs", str(disk)],
                                           capture_output=True).returncode != 0:
        return True, "skipped (mounting a small tmpfs needs root)"
    try:
        result = run("trim", clip, "-o", disk / "out.mov", "--progress", "none", cwd=work)
        err = result.stderr.strip()
        ok = result.returncode == 1 and len(err.splitlines()) == 1 and "disk is full" in err and not listing(disk)
        return ok, f"exit {result.returncode}, {err[-110:]!r}"
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def cases(trials: int):
    yield "png --overwrite into the source's folder", png_into_source_folder
    yield "png --overwrite into a folder with other files", png_into_foreign_folder
    yield "existing file at the sidecar path", sidecar_named_file_kept
    yield "source named like the render's sidecar", source_at_sidecar_path
    for i in range(trials):
        yield f"two concurrent trims, one output (trial {i + 1})", concurrent_trims
        yield f"two concurrent conditions, one cache key (trial {i + 1})", concurrent_conditions
    for name, sig in (("SIGINT", signal.SIGINT), ("SIGTERM", signal.SIGTERM), ("SIGKILL", signal.SIGKILL)):
        for moment, frames, delay in (("start-up", None, 0.4), ("first chunk", 16, 0), ("half-way", 112, 0),
                                      ("last chunk", 224, 0)):
            yield f"{name} at {moment}", signal_case(sig, frames, delay)
    yield "Ctrl-C inside a library's except Exception", startup_ctrl_c_in_library_code
    for delay in (0.05, 0.1, 0.2):
        yield f"SIGINT {delay} s after spawn", signal_right_after_spawn(delay)
    yield "full disk in the output folder", full_disk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3, help="trials of each concurrency case")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args()
    from t2vz_edit.media.synth import make_clip

    root = Path(tempfile.mkdtemp(prefix="t2vz-faults-"))
    clip_src = Path(make_clip(root / "take.mov", frames=240, width=320, height=240,
                              audio={"channels": 2, "sample_rate": 48000}))
    held = failed = 0
    for index, (name, case) in enumerate(cases(args.trials)):
        work = root / f"case{index:02d}"
        work.mkdir()
        clip = Path(shutil.copy(clip_src, work / clip_src.name))
        before = digest(clip)
        try:
            ok, detail = case(work, clip)
        except Exception as exc:  # noqa: BLE001 - a crashing case is a failed case, reported
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        ok = ok and (not clip.exists() or digest(clip) == before)
        held, failed = held + ok, failed + (not ok)
        print(f"{'held  ' if ok else 'FAILED'} {name}: {detail}", flush=True)
    print(f"\n{held} held, {failed} failed ({held + failed} cases)")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
