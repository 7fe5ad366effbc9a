"""Issue 16 items 12/13: messages name the right file and the fix, in one line, before the slow part.

Each case runs the real command in-process (``main``) with model loading replaced by a tripwire:
the refusal must come before any model loads and leave the folder as it was.
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from t2vz_edit.cli.app import main
from t2vz_edit.media.synth import make_clip


@pytest.fixture(scope="module")
def shot(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("msg") / "shot.mp4", frames=4, width=64, height=48)


@pytest.fixture(scope="module")
def one_pixel(tmp_path_factory):
    """A 1x1 clip (PNG in MOV): real, decodable, too small for any encoder."""
    import av

    path = tmp_path_factory.mktemp("px") / "dot.mov"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("png", rate=24)
        stream.width, stream.height, stream.pix_fmt = 1, 1, "rgb24"
        for i in range(4):
            frame = av.VideoFrame.from_ndarray(np.full((1, 1, 3), 40 * i, np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


@pytest.fixture
def no_load(monkeypatch):
    def tripwire(*args, **kwargs):
        raise AssertionError("models were loaded before the refusal")
    monkeypatch.setattr("t2vz_edit.engine.models.loading.load_parts", tripwire)
    monkeypatch.setattr("t2vz_edit.cli.cmd_generate._parts", tripwire)


def _run(capsys, *argv) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main([*map(str, argv), "--progress", "none"])
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return exc.value.code, err


def _listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_trim_png_into_dot_is_refused_by_name(shot, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for extra in ([], ["--overwrite"]):
        code, err = _run(capsys, "trim", shot, "--codec", "png", "-o", ".", *extra)
        assert code == 2 and "is not a new file or folder name" in err and "unexpected" not in err, err
    assert _listing(tmp_path) == []


def test_binary_preset_is_one_line_naming_the_file(shot, tmp_path, capsys, no_load):
    preset = tmp_path / "look.toml"
    preset.write_bytes(bytes(range(256)) * 8)
    code, err = _run(capsys, "restyle", shot, "--preset", preset, "-o", tmp_path / "r.mp4")
    assert code == 2 and err.startswith(f"error: {preset}: ") and "not a text file" in err, err
    assert _listing(tmp_path) == ["look.toml"]


def test_one_pixel_clip_is_not_blamed_on_a_size_nobody_gave(one_pixel, tmp_path, capsys, no_load):
    code, err = _run(capsys, "restyle", one_pixel, "-i", "x", "-o", tmp_path / "r.mp4")
    assert code == 2 and str(one_pixel) in err and "1x1 is too small" in err, err
    assert "pass --size" not in err and "--size 64x64" in err and "trim" in err  # says how to scale it up
    code, err = _run(capsys, "trim", one_pixel, "-o", tmp_path / "t.mp4")
    assert code == 2 and "1x1 is too small" in err and "pass --size" not in err
    assert _listing(tmp_path) == []


def test_render_onto_a_folder_with_overwrite_fails_before_loading(shot, tmp_path, capsys, no_load):
    folder = tmp_path / "dir.mp4"
    folder.mkdir()
    (folder / "keep.txt").write_text("x")
    code, err = _run(capsys, "restyle", shot, "-i", "x", "-o", folder, "--overwrite")
    assert code == 2 and "is a folder" in err
    assert _listing(folder) == ["keep.txt"]


@pytest.mark.parametrize("argv, expected", [
    (["-o", "{tmp}/g.txt"], "generate writes H.264 into .mp4, .mov, .m4v"),
    (["--motion", "1,inf", "-o", "{tmp}/m.mp4"], "finite"),
    (["--motion", "nan,1", "-o", "{tmp}/m.mp4"], "finite"),
], ids=["txt-output", "motion-inf", "motion-nan"])
def test_generate_refuses_up_front(tmp_path, capsys, no_load, argv, expected):
    argv = [a.format(tmp=tmp_path) for a in argv]
    code, err = _run(capsys, "generate", "a horse", "--tiny", "--steps", "50", "--frames", "2", "--size", "64", *argv)
    assert code == 2 and expected in err, err
    assert _listing(tmp_path) == []


def test_png16_replaces_its_own_folder_and_refuses_the_sources(shot, tmp_path, capsys):
    seq = tmp_path / "seq"
    assert _run_ok(capsys, "trim", shot, "--codec", "png16", "-o", seq)
    assert _run_ok(capsys, "trim", shot, "--codec", "png16", "-o", seq, "--overwrite")
    assert len(list(seq.glob("seq_*.png"))) == 4
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    source = shoot / "A001.mp4"
    shutil.copy(shot, source)
    code, err = _run(capsys, "trim", source, "--codec", "png16", "-o", shoot, "--overwrite")
    assert code == 2 and "holds the source A001.mp4" in err, err
    assert _listing(shoot) == ["A001.mp4"]


def _run_ok(capsys, *argv) -> bool:
    with pytest.raises(SystemExit) as exc:
        main([*map(str, argv), "--progress", "none"])
    err = capsys.readouterr().err
    assert exc.value.code == 0, err
    return True


def test_generate_keeps_a_users_file_at_its_sidecar_path(tmp_path, capsys, no_load):
    """Issue 16 item 2 for generate too: ``g.mp4.json`` that exists is refused up front, not replaced."""
    notes = tmp_path / "g.mp4.json"
    notes.write_text("my notes")
    code, err = _run(capsys, "generate", "a horse", "--tiny", "--steps", "50", "--frames", "2", "--size", "64",
                     "-o", tmp_path / "g.mp4")
    assert code == 2 and "g.mp4.json already exists" in err, err
    assert notes.read_text() == "my notes" and _listing(tmp_path) == ["g.mp4.json"]


_WARNING_SCRIPT = """
import sys
sys.argv = ["t2vz-edit", *sys.argv[1:]]
import t2vz_edit.media.probe as probe_module
real = probe_module.probe

def warn_as(module, text, category):
    code = compile(f"import warnings\\nwarnings.warn({text!r}, {category})", module.replace(".", "/") + ".py", "exec")
    exec(code, {"__name__": module})

def probe(path):
    warn_as("torch.serialization", "You are using `torch.load` with `weights_only=False` (the current default "
            "value), which uses the default pickle module implicitly.", "FutureWarning")
    warn_as("timm.models.layers", "Importing from timm.models.layers is deprecated", "FutureWarning")
    warn_as("t2vz_edit.media.probe", "our own notice", "UserWarning")
    return real(path)

probe_module.probe = probe
from t2vz_edit.cli.app import main
main()
"""


@pytest.mark.parametrize("debug", [False, True], ids=["quiet", "debug"])
def test_library_warnings_do_not_leak_to_stderr(shot, debug):
    """Issue 16 item 13: torch's pickle FutureWarning (and other libraries' notices) stay off stderr."""
    import subprocess
    import sys

    argv = [*(["--debug"] if debug else []), "probe", str(shot)]
    result = subprocess.run([sys.executable, "-c", _WARNING_SCRIPT, *argv], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert ("weights_only" in result.stderr) is debug and ("timm" in result.stderr) is debug, result.stderr
    assert "our own notice" in result.stderr
