"""`timeline restyle` takes what `restyle` takes, names renders so an editor can read them, and
refuses what it can before any model loads (issue 15, items 4-6)."""
from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from cli_helpers import run_main as _main
from timeline_helpers import _clip

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange


def _write(timeline, tmp_path) -> Path:
    in_path = tmp_path / "in.otio"
    otio.adapters.write_to_file(timeline, str(in_path))
    return in_path


def test_prompt_control_codec_and_readable_render_names(timeline_24, tmp_path, capsys, monkeypatch):
    from t2vz_edit.pipeline import renderers

    requests = []
    trim = renderers.trim_renderer
    monkeypatch.setattr(renderers, "trim_renderer", lambda request, progress=None: requests.append(request)
                        or trim(request, progress))
    in_path = _write(timeline_24, tmp_path)
    code, _, err = _main(capsys, "timeline", "restyle", in_path, "-o", tmp_path / "out.otio", "--name", "shotD",
                         "--prompt", "a bronze statue", "--control", "canny:0.6", "--lora", _lora(tmp_path),
                         "--codec", "prores", "--crf", "20", "--renderer", "trim", "--progress", "none")
    assert code == 0, err
    names = sorted(p.name for p in (tmp_path / "renders").iterdir() if p.suffix == ".mov")
    assert names == ["shotD.controlnet.0-10.mov"], names
    side = json.loads((tmp_path / "renders" / "shotD.controlnet.0-10.mov.json").read_text())
    assert side["codec"] == "prores" and requests[0].crf == 20
    spec = requests[0].spec
    assert spec.prompt == "a bronze statue" and spec.controls[0].kind == "canny"
    assert spec.controls[0].scale == 0.6 and spec.loras[0].scale == 1.0


def _lora(tmp_path) -> Path:
    path = tmp_path / "style.safetensors"
    path.write_bytes(b"not read by the trim renderer")
    return path


def test_a_preset_names_the_render_and_two_shots_that_collide_stay_apart(media_factory, tmp_path, capsys):
    media = media_factory(Fraction(24))["shotA"]
    track = otio.schema.Track("V1", kind=otio.schema.TrackKind.Video)
    for text in ("make it snowy", "make it rainy"):  # one clip used twice, same range, two looks
        clip = _clip("shotA", media, 24.0, 5, 10)
        clip.markers.append(otio.schema.Marker(name=f"restyle: {text}", marked_range=TR(RT(1, 24), RT(0, 24))))
        track.append(clip)
    plain = _clip("shotA", media, 24.0, 30, 6)
    plain.markers.append(otio.schema.Marker(name="restyle: watercolor", marked_range=TR(RT(1, 24), RT(0, 24))))
    track.append(plain)
    timeline = otio.schema.Timeline("twice")
    timeline.tracks.append(track)
    code, _, err = _main(capsys, "timeline", "restyle", _write(timeline, tmp_path), "-o", tmp_path / "out.otio",
                         "--marker", "--renderer", "trim", "--progress", "none")
    assert code == 0, err
    names = sorted(p.name for p in (tmp_path / "renders").iterdir() if p.suffix == ".mov")
    assert names[2] == "shotA.watercolor.30-35.mov", names
    assert all(re.fullmatch(r"shotA\.instruct\.5-14\.[0-9a-f]{12}\.mov", n) for n in names[:2]) and names[0] != names[1]


@pytest.mark.parametrize("args, code, needle", [
    (("--codec", "dnxhr-hqx"), 1, "too small for DNxHR"),
    (("--codec", "png"), 2, "a timeline references movie files"),
    (("--t0", "0.9", "--t1", "0.5"), 2, "need t0 < t1"),
    (("--prompt", "x", "--instruction", "y"), 2, "--instruction cannot be combined with --prompt"),
    (("--lora", "missing.safetensors"), 2, "missing.safetensors"),
])
def test_refused_before_any_model_loads(timeline_24, tmp_path, capsys, loads, args, code, needle):
    in_path = _write(timeline_24, tmp_path)
    got, _, err = _main(capsys, "timeline", "restyle", in_path, "-o", tmp_path / "out.otio", "--name", "shotD",
                        "--instruction" if "--prompt" not in args else "--seed",
                        "make it snowy" if "--prompt" not in args else "1", *args, "--progress", "none")
    assert got == code and needle in err, err
    assert loads == [] and not (tmp_path / "out.otio").exists()


def test_force_is_the_hidden_old_name_of_overwrite(timeline_24, tmp_path, capsys):
    in_path, out = _write(timeline_24, tmp_path), tmp_path / "out.otio"
    args = ("timeline", "restyle", in_path, "-o", out, "--name", "shotD", "-i", "x", "--renderer", "trim",
            "--progress", "none")
    assert _main(capsys, *args)[0] == 0
    code, _, err = _main(capsys, *args)
    assert code == 2 and "--overwrite" in err  # the output timeline exists
    code, _, err = _main(capsys, *args, "--force")
    assert code == 0 and "--force is deprecated; use --overwrite" in err


def test_a_preset_file_names_the_render_by_its_stem(timeline_24, tmp_path, capsys):
    from t2vz_edit.spec.presets import shipped_presets_dir

    look = tmp_path / "my-look.toml"
    look.write_text((shipped_presets_dir() / "watercolor.toml").read_text())
    code, _, err = _main(capsys, "timeline", "restyle", _write(timeline_24, tmp_path), "-o", tmp_path / "out.otio",
                         "--name", "shotD", "--preset", look, "--renderer", "trim", "--progress", "none")
    assert code == 0, err
    assert [p.name for p in (tmp_path / "renders").glob("*.mov")] == ["shotD.my-look.0-10.mov"]


def _with_sound(tmp_path) -> Path:
    from t2vz_edit.media.synth import make_clip

    media = Path(make_clip(tmp_path / "talk.mov", frames=12, width=64, height=48, rate=Fraction(24), gop=4,
                           audio={"channels": 2, "sample_rate": 48000}))
    track = otio.schema.Track("V1", kind=otio.schema.TrackKind.Video)
    clip = otio.schema.Clip(name="talk", source_range=TR(RT(2, 24), RT(4, 24)), media_reference=otio.schema.
                            ExternalReference(target_url=media.as_uri(), available_range=TR(RT(0, 24), RT(12, 24))))
    track.append(clip)
    timeline = otio.schema.Timeline("sound")
    timeline.tracks.append(track)
    return _write(timeline, tmp_path)


@pytest.mark.parametrize("audio, streams", [("copy", 1), ("none", 0)])
def test_audio_option_reaches_each_render(tmp_path, capsys, audio, streams):
    from t2vz_edit.media.probe import probe

    code, _, err = _main(capsys, "timeline", "restyle", _with_sound(tmp_path), "-o", tmp_path / "out.otio", "--all",
                         "--preset", "anime", "--audio", audio, "--renderer", "trim", "--progress", "none")
    assert code == 0, err
    (render,) = [p for p in (tmp_path / "renders").iterdir() if p.suffix == ".mov"]
    assert len(probe(render).audio) == streams


def test_a_bad_audio_value_is_refused_before_anything_loads(tmp_path, capsys, loads):
    code, _, err = _main(capsys, "timeline", "restyle", _with_sound(tmp_path), "-o", tmp_path / "out.otio", "--all",
                         "--audio", "mute", "--tiny", "--progress", "none")
    assert code == 2 and "--audio 'mute': use copy, reencode or none" in err, err
    assert loads == [] and not (tmp_path / "renders").exists()
