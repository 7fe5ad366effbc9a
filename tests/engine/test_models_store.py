"""The model store: import, list (CLI), pull file choice and offline pull errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from t2vz_edit.engine.models import choose_pull_files, list_models, parse_source, pull_model
from t2vz_edit.engine.models.store import import_model
from t2vz_edit.engine.store import model_store_dir
from t2vz_edit.engine.tiny import save_tiny_controlnet, save_tiny_pipeline
from t2vz_edit.spec.errors import InputNotFoundError, ModelError, OutputError, UsageError

# File list of the public stable-diffusion-v1-5 repo (abridged to one file per kind).
SD15_FILES = [
    ".gitattributes", "README.md", "model_index.json", "v1-5-pruned.safetensors", "v1-5-pruned-emaonly.ckpt",
    "feature_extractor/preprocessor_config.json", "safety_checker/config.json", "safety_checker/model.safetensors",
    "scheduler/scheduler_config.json", "text_encoder/config.json", "text_encoder/model.safetensors",
    "text_encoder/model.fp16.safetensors", "text_encoder/pytorch_model.bin", "tokenizer/merges.txt",
    "tokenizer/special_tokens_map.json", "tokenizer/tokenizer_config.json", "tokenizer/vocab.json",
    "unet/config.json", "unet/diffusion_pytorch_model.safetensors", "unet/diffusion_pytorch_model.fp16.safetensors",
    "unet/diffusion_pytorch_model.non_ema.safetensors", "unet/diffusion_pytorch_model.bin", "vae/config.json",
    "vae/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.fp16.safetensors",
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("store-models")
    return {"sd": save_tiny_pipeline(root / "sd"), "controlnet": save_tiny_controlnet(root / "cn"), "root": root}


def cli(*args):
    result = subprocess.run([sys.executable, "-m", "t2vz_edit", *args], capture_output=True, text=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert "Traceback" not in result.stderr
    return result


def test_parse_source_kinds(tmp_path):
    assert parse_source("stable-diffusion-v1-5/stable-diffusion-v1-5").kind == "hub"
    rev = parse_source("timbrooks/instruct-pix2pix@fp16")
    assert (rev.hub_id, rev.revision) == ("timbrooks/instruct-pix2pix", "fp16")
    assert parse_source(str(tmp_path)).kind == "folder"
    ckpt = tmp_path / "m.safetensors"
    ckpt.write_bytes(b"")
    assert parse_source(str(ckpt)).kind == "single_file"
    with pytest.raises(InputNotFoundError):
        parse_source(str(tmp_path / "missing.safetensors"))
    with pytest.raises(UsageError):
        parse_source("  ")


def test_store_location_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("T2VZ_MODEL_STORE", str(tmp_path / "render-node-models"))
    assert model_store_dir() == tmp_path / "render-node-models"
    monkeypatch.delenv("T2VZ_MODEL_STORE")
    assert str(model_store_dir()).endswith(os.path.join(".cache", "t2vz-edit", "models"))


def test_pull_chooses_diffusers_safetensors_only():
    chosen = choose_pull_files(SD15_FILES)
    assert chosen == sorted([
        "model_index.json", "scheduler/scheduler_config.json", "text_encoder/config.json",
        "text_encoder/model.safetensors", "tokenizer/merges.txt", "tokenizer/special_tokens_map.json",
        "tokenizer/tokenizer_config.json", "tokenizer/vocab.json", "unet/config.json",
        "unet/diffusion_pytorch_model.safetensors", "vae/config.json", "vae/diffusion_pytorch_model.safetensors"])
    fp16 = choose_pull_files(SD15_FILES, variant="fp16")
    assert "unet/diffusion_pytorch_model.fp16.safetensors" in fp16
    assert "unet/diffusion_pytorch_model.safetensors" not in fp16
    assert not [f for f in fp16 if f.endswith((".bin", ".ckpt"))]


def test_pull_refuses_pickle_only_and_unknown_repos():
    with pytest.raises(ModelError, match="no .safetensors"):
        choose_pull_files(["config.json", "diffusion_pytorch_model.bin"])
    with pytest.raises(ModelError, match="--include"):
        choose_pull_files(["body_pose_model.pth", "README.md"])


def test_pull_offline_is_one_line_and_leaves_nothing():
    with pytest.raises(ModelError) as info:
        pull_model("stable-diffusion-v1-5/stable-diffusion-v1-5")
    assert "\n" not in str(info.value) and "models import" in str(info.value)
    assert list_models() == []
    result = cli("models", "pull", "lllyasviel/control_v11p_sd15_canny")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert "could not pull lllyasviel/control_v11p_sd15_canny" in result.stderr


def test_import_then_list_shows_kind_and_size(tiny):
    sd = import_model(tiny["sd"], "stable-diffusion-v1-5/stable-diffusion-v1-5")
    cn = import_model(tiny["controlnet"], "lllyasviel/control_v11p_sd15_canny")
    on_disk = sum(p.stat().st_size for p in tiny["sd"].rglob("*") if p.is_file())
    assert (sd.kind, cn.kind) == ("sd", "controlnet")
    assert on_disk < sd.size_bytes < on_disk + 4000  # the copy plus a small manifest (with every file's SHA-256)
    listed = json.loads(cli("models", "list", "--json").stdout)
    assert listed["store"] == str(model_store_dir())
    rows = {m["id"]: m for m in listed["models"]}
    assert rows["stable-diffusion-v1-5/stable-diffusion-v1-5"]["kind"] == "sd"
    assert rows["stable-diffusion-v1-5/stable-diffusion-v1-5"]["size_bytes"] == sd.size_bytes
    assert rows["lllyasviel/control_v11p_sd15_canny"]["origin"] == "import"
    text = cli("models", "list").stdout
    assert "stable-diffusion-v1-5/stable-diffusion-v1-5" in text and "MiB" in text and "controlnet" in text


def test_import_cli_errors(tiny, tmp_path):
    ok = cli("models", "import", str(tiny["sd"]), "--as", "me/tiny")
    assert ok.returncode == 0 and "imported me/tiny (sd," in ok.stdout
    again = cli("models", "import", str(tiny["sd"]), "--as", "me/tiny")
    assert again.returncode == 2 and "--overwrite" in again.stderr
    forced = cli("models", "import", str(tiny["sd"]), "--as", "me/tiny", "--force")  # the old, hidden name
    assert forced.returncode == 0 and "--force is deprecated; use --overwrite" in forced.stderr
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("hello")
    notmodel = cli("models", "import", str(tmp_path / "notes"), "--as", "me/notes")
    assert notmodel.returncode == 2 and "not a model" in notmodel.stderr
    corrupt = tmp_path / "broken.safetensors"
    corrupt.write_bytes(b"\x10" * 100)
    broken = cli("models", "import", str(corrupt), "--as", "me/broken")
    assert broken.returncode == 1 and "corrupt or truncated" in broken.stderr
    assert not (model_store_dir() / "me--broken").exists()
    badid = cli("models", "import", str(tiny["sd"]), "--as", "no-slash")
    assert badid.returncode == 2


def test_force_replaces_and_revision_is_a_separate_entry(tiny):
    import_model(tiny["sd"], "me/tiny")
    with pytest.raises(OutputError):
        import_model(tiny["controlnet"], "me/tiny")
    assert import_model(tiny["controlnet"], "me/tiny", force=True).kind == "controlnet"
    assert import_model(tiny["sd"], "me/tiny", revision="v2").path.endswith("me--tiny@v2")
    assert {(e.id, e.revision, e.kind) for e in list_models()} == {("me/tiny", "", "controlnet"),
                                                                  ("me/tiny", "v2", "sd")}
