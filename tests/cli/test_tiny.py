"""`--tiny` on restyle, generate, timeline restyle and batch run: tiny RANDOM-weight models, no download,
and the output says so in its name, its sidecar and on the terminal."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from t2vz_edit.cli.app import main
from t2vz_edit.media.sidecar import read_sidecar
from t2vz_edit.media.synth import make_clip
from t2vz_edit.pipeline.tiny_models import TINY_TAG

FAST = ["--steps", "1", "--size", "64", "--progress", "none", "--tiny"]


def _cli(capsys, *args) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return exited.value.code or 0, out, err


@pytest.fixture
def clip(tmp_path) -> Path:
    return Path(make_clip(tmp_path / "shot.mov", frames=3, width=64, height=48))


def _labelled(render: Path, out: str, err: str) -> dict:
    assert TINY_TAG in render.name
    assert "RANDOM" in err  # the warning before the run
    prov = read_sidecar(render)["provenance"]
    assert prov["random_weights"] is True and "RANDOM" in prov["tiny"]
    return prov


def test_restyle_tiny_runs_offline_on_real_footage_and_says_so(clip, capsys):
    code, out, err = _cli(capsys, "restyle", clip, "-i", "make it blue", "--range", "0+2", *FAST)
    assert code == 0, err
    render = clip.with_name(f"shot.instruct.{TINY_TAG}.mov")
    prov = _labelled(render, out, err)
    assert "RANDOM" in out and str(render) in out
    assert Path(prov["spec"]["model"]).is_dir()  # the sidecar names folders that exist: --from-sidecar works


def test_restyle_tiny_with_a_control_needs_no_annotator_download(clip, capsys):
    code, out, err = _cli(capsys, "restyle", clip, "-p", "a statue", "-c", "depth", "--range", "0+2", *FAST)
    assert code == 0, err
    prov = _labelled(clip.with_name(f"shot.controlnet.{TINY_TAG}.mov"), out, err)
    assert prov["model_files"]["annotator_depth"]["resolved"]


def test_generate_tiny_default_name_is_labelled(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = _cli(capsys, "generate", "a horse", "--frames", "2", "--steps", "2", "--size", "64",
                          "--t0", "0.5", "--t1", "0.75", "--progress", "none", "--tiny")
    assert code == 0, err
    assert (tmp_path / f"generated.{TINY_TAG}.mp4").is_file() and "RANDOM" in out and "RANDOM" in err
    assert read_sidecar(tmp_path / f"generated.{TINY_TAG}.mp4")["provenance"]["random_weights"] is True


def test_timeline_restyle_tiny(tmp_path, clip, capsys):
    timeline = otio.schema.Timeline(name="cut")
    track = otio.schema.Track(name="V1")
    rate = 24
    track.append(otio.schema.Clip(name="shot", media_reference=otio.schema.ExternalReference(
        target_url=otio.url_utils.url_from_filepath(str(clip)),
        available_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(3, rate))),
        source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(2, rate))))
    timeline.tracks.append(track)
    otio.adapters.write_to_file(timeline, str(tmp_path / "in.otio"))
    code, out, err = _cli(capsys, "timeline", "restyle", tmp_path / "in.otio", "-o", tmp_path / "out.otio", "--all",
                          "-i", "make it blue", *FAST)
    assert code == 0, err
    (render,) = (tmp_path / "renders").glob("*.mov")
    _labelled(render, out, err)


def test_batch_run_tiny(tmp_path, clip, capsys):
    (tmp_path / "batch.toml").write_text('version = 1\nroot = "."\noutput = "out"\n'
                                         '[[job]]\nfiles = ["shot.mov"]\ninstruction = "make it blue"\n'
                                         'range = "0+2"\n')
    code, out, err = _cli(capsys, "batch", "run", tmp_path / "batch.toml", *FAST)
    assert code == 0, err
    (render,) = (tmp_path / "out").glob("*.mov")
    _labelled(render, out, err)
