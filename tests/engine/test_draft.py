"""Draft mode through the real loading path: a kohya LoRA file and a TAESD folder in the model store."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from t2vz_edit.engine.draft import DEFAULT_DRAFT_LORA, DEFAULT_DRAFT_VAE, draft_motion_indices
from t2vz_edit.engine.models import load_parts
from t2vz_edit.engine.models.store import entry_dir
from t2vz_edit.engine.run import run_edit
from t2vz_edit.engine.tiny import save_tiny_lora, save_tiny_pipeline, save_tiny_taesd
from t2vz_edit.spec.edit_spec import EditSpec
from t2vz_edit.spec.errors import ModelError, UsageError

from engine_helpers import moving_square_clip


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("draft-models")
    return {"sd": save_tiny_pipeline(root / "sd", "sd"), "instruct": save_tiny_pipeline(root / "ip2p", "instruct", seed=3),
            "lora": save_tiny_lora(root / "lcm" / "pytorch_lora_weights.safetensors", "sd"),
            "lora_ip2p": save_tiny_lora(root / "lcm-ip2p.safetensors", "instruct", seed=3),
            "taesd": save_tiny_taesd(root / "taesd")}


def put_in_store(files):
    """What `t2vz-edit models pull` leaves for the two default draft ids."""
    shutil.copytree(files["lora"].parent, entry_dir(DEFAULT_DRAFT_LORA))
    shutil.copytree(files["taesd"], entry_dir(DEFAULT_DRAFT_VAE))


def spec_of(files, **kw):
    base = dict(mode="text2video", prompt="a horse", frames=3, size=64, model=str(files["sd"]), device="cpu", seed=5)
    return EditSpec(**{**base, **kw})


def test_draft_settings_replace_steps_sampler_and_guidance_only():
    spec = EditSpec(mode="instruct", instruction="x", steps=50, guidance_scale=7.5)
    draft = spec.with_overrides(draft=True)
    assert (draft.resolved_steps, draft.resolved_scheduler, draft.resolved_guidance) == (4, "lcm", 1.0)
    assert (spec.resolved_steps, spec.resolved_scheduler, spec.resolved_guidance) == (50, "euler_a", 7.5)
    assert {k for k, v in draft.to_dict().items() if spec.to_dict()[k] != v} == {"draft"}


def test_defaults_resolve_from_the_store_and_fuse_the_lora(files):
    put_in_store(files)
    full, draft = load_parts(spec_of(files)), load_parts(spec_of(files, draft=True))
    assert type(draft.draft_vae).__name__ == "AutoencoderTiny" and full.draft_vae is None
    assert type(draft.scheduler).__name__ == "LCMScheduler"
    lora = load_file(str(files["lora"]))
    key = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q"
    delta = lora[f"{key}.lora_up.weight"] @ lora[f"{key}.lora_down.weight"] * (lora[f"{key}.alpha"] / 4)
    got = draft.unet.down_blocks[0].attentions[0].transformer_blocks[0].attn1.to_q.weight - \
        full.unet.down_blocks[0].attentions[0].transformer_blocks[0].attn1.to_q.weight
    torch.testing.assert_close(got, delta, atol=1e-6, rtol=1e-4)


def count_calls(module, name="forward"):
    calls = []
    module.register_forward_hook(lambda *a: calls.append(1))
    return calls


@pytest.mark.parametrize("scheduler", ["lcm", "tcd"])
def test_text2video_draft_runs_few_steps_with_motion_and_taesd(files, scheduler):
    spec = spec_of(files, draft=True, draft_scheduler=scheduler, draft_lora=str(files["lora"]),
                   draft_vae=str(files["taesd"]))
    parts = load_parts(spec)
    unet_calls, full_decodes = count_calls(parts.unet), count_calls(parts.vae.decoder)
    tiny_decodes = count_calls(parts.draft_vae.decoder)
    video = run_edit(spec, parts)
    assert video.shape == (3, 64, 64, 3) and video.std() > 0
    # 4 steps on all frames in one batch + 1 anchor-only motion step; guidance 1.0: one group
    assert len(unet_calls) == 4 + 1
    assert len(full_decodes) == 0 and len(tiny_decodes) == 1
    again = run_edit(spec.with_overrides(chunk_size=1), parts)  # chunking unchanged: same frames
    np.testing.assert_allclose(again.astype(int), video.astype(int), atol=1)


def test_instruct_draft_encodes_and_decodes_with_taesd(files):
    spec = EditSpec(mode="instruct", instruction="make it blue", size=64, model=str(files["instruct"]), device="cpu",
                    draft=True, draft_lora=str(files["lora_ip2p"]), draft_vae=str(files["taesd"]))
    parts = load_parts(spec)
    encodes, full_encodes = count_calls(parts.draft_vae.encoder), count_calls(parts.vae.encoder)
    out = run_edit(spec, parts, frames=moving_square_clip(4))
    assert out.shape == (4, 64, 64, 3) and len(encodes) == 1 and not full_encodes


def test_taesd_latents_are_the_full_vaes_scaled_latents(files):
    """encode_mode gives unscaled latents for either codec (IP2P's convention)."""
    from t2vz_edit.engine import vae

    spec = spec_of(files, draft=True, draft_lora=str(files["lora"]), draft_vae=str(files["taesd"]))
    parts = load_parts(spec)
    images = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        raw = parts.draft_vae.encode(images * 2 - 1).latents
    torch.testing.assert_close(vae.encode_mode(parts, images, 8) * parts.vae.config.scaling_factor, raw)


def test_bad_draft_sources_fail_before_loading_weights(files, tmp_path):
    with pytest.raises(ModelError, match="not a TAESD folder") as err:
        load_parts(spec_of(files, draft=True, draft_lora=str(files["lora"]), draft_vae=str(files["sd"])))
    assert "\n" not in str(err.value)
    with pytest.raises(ModelError, match="models pull latent-consistency/lcm-lora-sdv1-5"):
        load_parts(spec_of(files, draft=True, draft_vae=str(files["taesd"])))  # default LoRA, empty store
    with pytest.raises(ModelError, match="no draft autoencoder"):
        run_edit(spec_of(files, draft=True), load_parts(spec_of(files)))
    with pytest.raises(UsageError, match="draft_steps"):
        EditSpec(mode="text2video", prompt="x", draft=True, draft_steps=12)


def test_taesd_of_other_levels_does_not_fit(files, tmp_path):
    from t2vz_edit.engine.tiny import build_taesd

    build_taesd(arch="sd15").save_pretrained(str(tmp_path / "taesd15"), safe_serialization=True)
    with pytest.raises(ModelError, match="does not fit"):
        load_parts(spec_of(files, draft=True, draft_lora=str(files["lora"]), draft_vae=str(tmp_path / "taesd15")))


def test_draft_motion_span_is_one_step_when_t0_t1_collapse():
    four = torch.tensor([999, 759, 499, 259])
    eight = torch.tensor([999, 879, 759, 639, 499, 379, 259, 139])
    assert draft_motion_indices(four, 0.88, 0.94, 1000) == (0, 1)
    assert draft_motion_indices(eight, 0.88, 0.94, 1000) == (0, 1)
    assert draft_motion_indices(eight, 0.5, 0.9, 1000) == (1, 4)


def test_models_import_takes_a_lora_file_a_lora_folder_and_taesd_and_draft_loads_them(files):
    """`t2vz-edit models import` files draft mode's LoRA and TAESD in the store (it refused them)."""
    import json
    import os
    import subprocess
    import sys

    from t2vz_edit.engine.models.store import import_model, list_models

    lora = import_model(files["lora_ip2p"], "me/lcm-file")  # a bare kohya .safetensors
    folder = import_model(files["lora"].parent, DEFAULT_DRAFT_LORA)  # the hub layout: a folder with one file
    taesd = import_model(files["taesd"], DEFAULT_DRAFT_VAE)
    assert (lora.kind, folder.kind, taesd.kind) == ("lora", "lora", "taesd")
    assert {e.id: e.kind for e in list_models()}[DEFAULT_DRAFT_VAE] == "taesd"
    draft = load_parts(spec_of(files, draft=True))  # the default ids, resolved through the store
    assert type(draft.draft_vae).__name__ == "AutoencoderTiny"
    out = subprocess.run([sys.executable, "-m", "t2vz_edit", "models", "import", str(files["lora"]), "--as",
                          "me/lcm-cli"], capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert out.returncode == 0 and "imported me/lcm-cli (lora," in out.stdout, out.stderr
    listed = subprocess.run([sys.executable, "-m", "t2vz_edit", "models", "list", "--json"], capture_output=True,
                            text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert {m["id"]: m["kind"] for m in json.loads(listed.stdout)["models"]}["me/lcm-cli"] == "lora"


def test_a_lora_given_as_the_base_model_says_to_use_lora(files):
    with pytest.raises(ModelError, match="LoRA file.*--lora"):
        load_parts(spec_of(files, model=str(files["lora_ip2p"])))
