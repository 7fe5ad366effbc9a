"""Issue 9 item 7: a wheel install (a render node, a Ray worker, an editor's Python) has the presets.

Builds the wheel from a copy of the package, installs it without dependencies into a fresh virtual
environment that borrows the heavy dependencies (torch, diffusers, PyAV) from this one, and runs the
console script from a folder outside the source tree.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

import t2vz_edit

REPO = Path(t2vz_edit.__file__).resolve().parent.parent


def _run(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    result = subprocess.run(list(map(str, args)), capture_output=True, text=True, cwd=cwd, env=env)
    assert result.returncode == 0, (args, result.stdout[-2000:], result.stderr[-2000:])
    return result


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    shutil.copytree(REPO / "t2vz_edit", src / "t2vz_edit", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", root / "dist", src)
    wheel = next((root / "dist").glob("t2vz_edit-*.whl"))
    env_dir = root / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    purelib = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    import torch  # the heavy dependencies come from where this interpreter finds them

    deps = Path(torch.__file__).resolve().parent.parent
    (purelib / "zz_deps.pth").write_text(f"import site; site.addsitedir({str(deps)!r})\n")
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}", HF_HUB_OFFLINE="1")
    return env_dir, env


def test_the_wheel_carries_the_presets(wheel_env, tmp_path):
    env_dir, env = wheel_env
    where = _run(env_dir / "bin" / "python", "-c", "import t2vz_edit; print(t2vz_edit.__file__)", cwd=tmp_path, env=env)
    assert str(env_dir) in where.stdout  # the wheel, not the source tree
    listed = _run(env_dir / "bin" / "t2vz-edit", "presets", "list", cwd=tmp_path, env=env).stdout
    for name in ("film-noir", "watercolor", "pixel-art"):
        assert name in listed
    assert "none found" not in listed


@pytest.mark.slow
def test_demo_runs_from_the_wheel_outside_the_source_tree(wheel_env, tmp_path):
    env_dir, env = wheel_env
    r = _run(env_dir / "bin" / "t2vz-edit", "demo", "--progress", "none", cwd=tmp_path, env=env)
    assert list(tmp_path.rglob("*.mov")), r.stdout + r.stderr
