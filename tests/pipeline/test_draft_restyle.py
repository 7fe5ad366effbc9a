"""`restyle --draft` and `--from-sidecar DRAFT.json --full`: the draft says so, the full render differs only there."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from t2vz_edit.engine.draft import DEFAULT_DRAFT_LORA, DEFAULT_DRAFT_VAE
from t2vz_edit.engine.models.store import entry_dir
from t2vz_edit.engine.tiny import save_tiny_lora, save_tiny_taesd
from t2vz_edit.media.probe import probe


@pytest.fixture(scope="module")
def draft_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("draft")
    return {"lora": save_tiny_lora(root / "lcm" / "pytorch_lora_weights.safetensors", "instruct"),
            "taesd": save_tiny_taesd(root / "taesd")}


@pytest.fixture
def draft_store(draft_files):
    """The two default draft models where `t2vz-edit models pull` puts them (this test's store)."""
    shutil.copytree(draft_files["lora"].parent, entry_dir(DEFAULT_DRAFT_LORA))
    shutil.copytree(draft_files["taesd"], entry_dir(DEFAULT_DRAFT_VAE))


def cli(*args):
    return subprocess.run([sys.executable, "-m", "t2vz_edit", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})


def test_draft_then_full_from_its_sidecar(clip, tiny_models, draft_store):
    r = cli("restyle", clip, "-i", "make it a watercolor", "--model", tiny_models["instruct"], "--size", "64",
            "--range", "1+5", "--steps", "2", "--draft", "--progress", "none")
    assert r.returncode == 0, r.stderr
    draft = clip.with_name("shot.instruct.draft.mov")
    assert draft.is_file() and "draft" in r.stdout
    r = cli("restyle", "--from-sidecar", f"{draft}.json", "--full", "--progress", "none")
    assert r.returncode == 0, r.stderr
    full = clip.with_name("shot.instruct.mov")
    assert full.is_file()

    a, b = (json.loads(p.with_name(p.name + ".json").read_text()) for p in (draft, full))
    assert a["provenance"]["draft"] is True and b["provenance"]["draft"] is False
    assert a["provenance"]["models"]["draft_vae"] == DEFAULT_DRAFT_VAE and "draft_vae" not in b["provenance"]["models"]
    spec_a, spec_b = a["provenance"]["spec"], b["provenance"]["spec"]
    assert {k for k in spec_a if spec_a[k] != spec_b[k]} == {"draft"}
    assert a["provenance"]["range"] == b["provenance"]["range"]
    pa, pb = probe(draft), probe(full)
    assert (pa.frame_count, pa.rate, pa.start_timecode) == (pb.frame_count, pb.rate, pb.start_timecode)
    assert pa.frame_count == 5 and pa.start_timecode == "01:00:00:01"


def test_full_needs_a_sidecar_and_a_sidecar_takes_no_draft(clip, tmp_path):
    r = cli("restyle", clip, "-i", "x", "--full", "--progress", "none")
    assert r.returncode == 2 and "--from-sidecar" in r.stderr.strip().splitlines()[-1]
    r = cli("restyle", "--from-sidecar", tmp_path / "x.json", "--draft", "--progress", "none")
    assert r.returncode == 2 and "drop the clip and edit options" in r.stderr


def test_draft_without_the_models_names_the_pull_command(clip, tiny_models):
    before = sorted(os.listdir(clip.parent))
    r = cli("restyle", clip, "-i", "x", "--model", tiny_models["instruct"], "--size", "64", "--draft",
            "--progress", "none")
    assert r.returncode != 0 and r.stderr.count("\n") == 1  # both draft models named, one command pulls them
    assert ("models pull latent-consistency/lcm-lora-sdv1-5:pytorch_lora_weights.safetensors madebyollin/taesd"
            in r.stderr)
    assert sorted(os.listdir(clip.parent)) == before


def test_timeline_and_batch_render_names_say_draft(tmp_path):
    from pathlib import Path

    from t2vz_edit.pipeline.render_job import render_path

    assert render_path(tmp_path, "shot 1", Path("a.mov"), "anime", 0, 8, draft=True).name == "shot_1.anime.draft.0-7.mov"
    assert render_path(tmp_path, "shot 1", Path("a.mov"), "anime", 0, 8).name == "shot_1.anime.0-7.mov"
