"""``--size`` is one option with one meaning in every command: N = long side, WxH = both sides.

Each command that keeps the source's aspect ratio takes WxH when it is the size its long side
gives there and refuses any other WxH naming both forms that would work; trim takes N too.
"""
from __future__ import annotations

import json

import pytest

from t2vz_edit.cli.app import app, main
from t2vz_edit.media.probe import probe
from t2vz_edit.media.synth import make_clip
from t2vz_edit.spec.errors import UsageError
from t2vz_edit.spec.parse import SIZE_HELP, FrameSize, parse_size


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("size") / "c.mov", frames=4, width=96, height=64)  # 3:2


def _cli(capsys, *args) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main([str(a) for a in args])
    return exited.value.code or 0, capsys.readouterr().err


def test_the_two_forms_parse_to_one_value():
    assert parse_size("512") == FrameSize(512) and parse_size(" 640 x 360 ") == FrameSize(640, (640, 360))
    assert parse_size("360x640") == FrameSize(640, (360, 640)) and parse_size(None) is None
    with pytest.raises(UsageError, match="--size '512px': give the long side in pixels .* or WIDTHxHEIGHT"):
        parse_size("512px")


def test_trim_takes_the_long_side_with_the_sources_aspect_and_wxh_exactly(clip, tmp_path, capsys):
    assert _cli(capsys, "trim", clip, "--size", "64", "-o", tmp_path / "n.mov", "--progress", "none")[0] == 0
    info = probe(tmp_path / "n.mov")
    assert (info.display_width, info.display_height) == (64, 42)  # 96x64 scaled to long side 64, even sides
    assert _cli(capsys, "trim", clip, "--size", "50x50", "-o", tmp_path / "e.mov", "--progress", "none")[0] == 0
    info = probe(tmp_path / "e.mov")
    assert (info.display_width, info.display_height) == (50, 50)


def test_restyle_takes_wxh_of_the_sources_aspect(clip, tmp_path, tiny_models, capsys):
    out = tmp_path / "r.mov"
    code, err = _cli(capsys, "restyle", clip, "-i", "x", "--model", tiny_models["instruct"], "--steps", "1",
                     "--size", "64x40", "--range", "0+2", "-o", out, "--progress", "none")
    assert code == 0, err
    assert json.loads(out.with_name(out.name + ".json").read_text())["provenance"]["spec"]["size"] == 64


@pytest.mark.parametrize("args, message", [
    (("restyle", "{clip}", "-i", "x", "--size", "64x64"),
     "--size 64x64: restyle keeps the source's aspect ratio, so its long side 64 gives 64x40 here; "
     "pass --size 64 or --size 64x40"),
    (("generate", "a horse", "--tiny", "--size", "64x48", "-o", "{out}/g.mp4"),
     "--size 64x48: generate makes square frames, so its long side 64 gives 64x64 here"),
    (("conditions", "{clip}", "-k", "canny", "--size", "64x64", "-o", "{out}/m.mp4"), "pass --size 64 or --size 64x40"),
    (("score", "{clip}", "{clip}", "--size", "32x32"), "pass --size 32 or --size 32x24"),
    (("batch", "plan", "{out}/b.toml", "--size", "64x40"), "--size 64x40: this command renders clips of different shapes"),
    (("trim", "{clip}", "--size", "wide", "-o", "{out}/t.mov"), "--size 'wide': give the long side in pixels"),
])
def test_a_wxh_that_does_not_fit_is_refused_before_any_work(clip, tmp_path, capsys, args, message):
    (tmp_path / "b.toml").write_text('version = 1\n[[job]]\nglob = "*.mov"\n')
    code, err = _cli(capsys, *(a.format(clip=clip, out=tmp_path) for a in args))
    assert code == 2 and message in " ".join(err.split())
    assert not [p for p in tmp_path.iterdir() if p.name != "b.toml"]


def test_every_command_with_size_describes_it_the_same_way():
    import typer

    root = typer.main.get_command(app)
    helps = {}
    for path in (("restyle",), ("generate",), ("trim",), ("conditions",), ("score",), ("timeline", "restyle"),
                 ("batch", "run")):
        command = root
        for name in path:
            command = command.commands[name]
        helps[path] = next(p.help for p in command.params if "--size" in p.opts)
    assert all(h.startswith(SIZE_HELP) for h in helps.values()), helps
