"""Virtual environments holding the real ``bpy`` wheel, built once and cached outside the repo.

``bpy`` pins Python 3.11 and is ~370 MB, so it never enters the project's environment. Each
version gets ``<cache>/bpy-<version>/`` (cache: ``T2VZ_TEST_CACHE`` or
``~/.cache/t2vz-edit-tests``), created on first use with ``pip install bpy==<version>`` and
marked ready only after ``import bpy`` reports that version. A file lock lets parallel test
processes share one build.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

# 4.2 LTS (newest patch) and the newest 5.0.x: the bpy wheels that exist for Python 3.11
BPY_VERSIONS = tuple(os.environ.get("T2VZ_BPY_VERSIONS", "4.2.23 5.0.1").split())
READY = ".t2vz-ready"


def cache_dir() -> Path:
    return Path(os.environ.get("T2VZ_TEST_CACHE") or "~/.cache/t2vz-edit-tests").expanduser()


def _python311() -> str:
    if sys.version_info[:2] == (3, 11):
        return sys.executable
    found = shutil.which("python3.11")
    if not found:
        raise RuntimeError("the bpy wheel needs Python 3.11 (python3.11 not found on PATH)")
    return found


def _reports_version(python: Path, version: str) -> bool:
    code = "import bpy; print(bpy.app.version_string.split()[0])"
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=300)
    return out.returncode == 0 and out.stdout.strip().splitlines()[-1:] == [version]


def bpy_python(version: str) -> Path:
    """The interpreter of a venv with ``bpy==version`` (built on first use; ~2 min, ~190 MB)."""
    root = cache_dir() / f"bpy-{version}"
    python = root / "bin" / "python"
    cache_dir().mkdir(parents=True, exist_ok=True)
    with open(cache_dir() / f"bpy-{version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (root / READY).exists():
            return python
        if python.exists() and _reports_version(python, version):
            (root / READY).write_text(version)
            return python
        shutil.rmtree(root, ignore_errors=True)
        started = time.monotonic()
        subprocess.run([_python311(), "-m", "venv", str(root)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        f"bpy=={version}"], check=True)
        if not _reports_version(python, version):
            raise RuntimeError(f"{root}: bpy installed but `import bpy` does not report {version}")
        (root / READY).write_text(f"{version} built in {time.monotonic() - started:.0f}s\n")
    return python


def wheel_has_audaspace(version: str) -> bool:
    """What the wheel says: ``bpy.app.build_options.audaspace`` (False: no sound strip can be made in it).

    Asked once per venv (a ~5 s ``import bpy``) and remembered beside its ready mark."""
    python = bpy_python(version)
    answer = python.parent.parent / ".t2vz-audaspace"
    if not answer.exists():
        code = "import bpy; print(bool(bpy.app.build_options.audaspace))"
        out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=300, check=True)
        answer.write_text(out.stdout.strip().splitlines()[-1])
    return {"True": True, "False": False}[answer.read_text().strip()]


def blender_ext(python: Path) -> Path:
    """Blender's extension tool inside the wheel: bpy/<major.minor>/scripts/addons_core/bl_pkg/cli/."""
    site = python.parent.parent / "lib" / "python3.11" / "site-packages" / "bpy"
    found = sorted(site.glob("*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
    if len(found) != 1:
        raise RuntimeError(f"expected one blender_ext.py under {site}, found {found}")
    return found[0]


if __name__ == "__main__":  # CI builds the venvs up front: python tests/plugins/bpy_env.py [VERSION...]
    for wanted in sys.argv[1:] or BPY_VERSIONS:
        started = time.monotonic()
        print(f"bpy {wanted}: {bpy_python(wanted)} ready in {time.monotonic() - started:.0f}s", flush=True)
