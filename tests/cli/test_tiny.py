"""`--tiny` on restyle, generate, timeline restyle and batch run: tiny RANDOM-weight models, no download,
and the output says so in its name, its sidecar and on the terminal."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from cli_helpers import run_main as _cli
from t2vz_edit.media.sidecar import read_sidecar
from t2vz_edit.media.synth import make_clip
from t2vz_edit.pipeline.tiny_models import TINY_TAG

FAST = ["--steps", "1", "--size", "64", "--progress", "none", "--tiny"]


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


def _sd15_lora(path: Path, rank: int, *, up_rank: int | None = None) -> Path:
    """A kohya LoRA shaped for SD1.5 (it could never fit the tiny UNet)."""
    import torch
    from safetensors.torch import save_file

    key = "lora_unet_down_blocks_0_attentions_0_proj_in"
    save_file({f"{key}.lora_down.weight": torch.randn(rank, 320, 1, 1) * 0.01,
               f"{key}.lora_up.weight": torch.randn(320, up_rank or rank, 1, 1) * 0.01,
               f"{key}.alpha": torch.tensor(float(rank))}, str(path))
    return path


def test_restyle_tiny_reads_the_users_lora_and_fuses_a_random_one_of_its_rank(clip, tmp_path, capsys, caplog):
    import logging

    from t2vz_edit.engine.models.lora import read_lora

    caplog.set_level(logging.WARNING, logger="t2vz_edit.pipeline")

    lora = _sd15_lora(tmp_path / "style.safetensors", rank=8)
    code, out, err = _cli(capsys, "restyle", clip, "-i", "make it blue", "--range", "0+2", "--lora", f"{lora}:0.7",
                          *FAST)
    assert code == 0, err
    prov = _labelled(clip.with_name(f"shot.instruct.{TINY_TAG}.mov"), out, err)
    said = caplog.text  # the terminal line (a warning of the t2vz_edit logger)
    assert "LoRA style.safetensors read and checked (1 layers, rank 8)" in said and "RANDOM tiny rank-8" in said
    (stand_in,) = prov["tiny_loras"]
    assert stand_in["file"] == str(lora.resolve()) and stand_in["rank"] == 8 and stand_in["random_weights"]
    assert prov["spec"]["loras"] == [{"path": stand_in["path"], "scale": 0.7}]
    ranks = [layer.down.shape[0] for layer in read_lora(Path(stand_in["path"]))]  # over the tiny UNet's layers
    assert max(ranks) == 8 and len(ranks) > 1  # (capped at a layer's width: 4-channel convs take rank 4)


def test_tiny_still_refuses_a_broken_lora_before_any_model_loads(clip, tmp_path, capsys, monkeypatch):
    def record(*args, **kwargs):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr("t2vz_edit.engine.models.loading.load_parts", record)
    lora = _sd15_lora(tmp_path / "stitched.safetensors", rank=8, up_rank=4)
    code, _, err = _cli(capsys, "restyle", clip, "-i", "make it blue", "--range", "0+2", "--lora", lora, *FAST)
    assert code != 0 and "mixes ranks" in err and "stitched.safetensors" in err, err


def test_tiny_refuses_the_depth_model_mask_provider_in_one_line_before_any_model_loads(clip, tmp_path, capsys,
                                                                                        monkeypatch):
    def record(*args, **kwargs):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr("t2vz_edit.engine.models.loading.load_parts", record)
    preset = tmp_path / "masked.toml"
    preset.write_text('mode = "instruct"\ninstruction = "make it blue"\nsmooth_background = true\n'
                      'mask_provider = "depth_model"\n\n[preset]\ndescription = "smoothed by depth"\n')
    code, _, err = _cli(capsys, "restyle", clip, "--preset", preset, "--range", "0+2", *FAST)
    assert code == 2, err
    (line,) = [x for x in err.splitlines() if x.startswith("error:")]
    assert "mask_provider depth_model" in line and "motion" in line
