"""Loading the tiny models through every source kind: folder, single file, hub id from the store."""
from __future__ import annotations

import shutil

import pytest
import torch

from t2vz_edit.engine.models import load_parts, read_checkpoint, save_single_file
from t2vz_edit.engine.models.single_file import load_tokenizer
from t2vz_edit.engine.models.store import import_model
from t2vz_edit.engine.tiny import save_tiny_controlnet, save_tiny_pipeline
from t2vz_edit.spec.edit_spec import ControlSpec, EditSpec
from t2vz_edit.spec.errors import ModelError, T2VZError


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Tiny SD and Instruct-Pix2Pix folders, a ControlNet, and a DreamBooth-style single file."""
    root = tmp_path_factory.mktemp("tiny-models")
    sd = save_tiny_pipeline(root / "sd", kind="sd", seed=0)
    single = save_single_file(sd, root / "dreambooth.safetensors", with_config=True)
    return {"sd": sd, "instruct": save_tiny_pipeline(root / "instruct", kind="instruct", seed=3),
            "controlnet": save_tiny_controlnet(root / "canny"), "single": single, "root": root}


def unet_out(parts, seed=0):
    """One UNet forward on fixed inputs: (1, 4, 8, 8) latents, 77 x 32 text states."""
    g = torch.Generator().manual_seed(seed)
    in_ch = parts.unet.config.in_channels
    sample = torch.randn(1, in_ch, 8, 8, generator=g)
    text = torch.randn(1, 77, parts.unet.config.cross_attention_dim, generator=g)
    with torch.no_grad():
        return parts.unet(sample, 10, encoder_hidden_states=text).sample


def same_weights(a, b) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return set(sa) == set(sb) and all(torch.equal(sa[k], sb[k]) for k in sa)


def one_line_error(exc_info) -> str:
    message = str(exc_info.value)
    assert "\n" not in message
    return message


def test_diffusers_folder_loads_all_components(tiny):
    parts = load_parts(str(tiny["sd"]), device="cpu")
    assert parts.unet.config.in_channels == 4 and not parts.is_instruct
    assert parts.dtype == torch.float32 and parts.vae.dtype == torch.float32
    assert type(parts.scheduler).__name__ == "DDIMScheduler"
    assert parts.tokenizer("a horse").input_ids[0] == parts.tokenizer.bos_token_id
    assert unet_out(parts).shape == (1, 4, 8, 8)


def test_single_file_round_trip_gives_the_same_unet_output(tiny):
    folder = load_parts(str(tiny["sd"]), device="cpu")
    single = load_parts(str(tiny["single"]), device="cpu")
    for name in ("unet", "vae", "text_encoder"):
        assert same_weights(getattr(folder, name), getattr(single, name)), name
    # Bit-equal weights; outputs agree to float rounding (CPU kernels vary with tensor alignment).
    torch.testing.assert_close(unet_out(single), unet_out(folder), atol=1e-5, rtol=0)


def test_single_file_uses_real_ldm_key_names(tiny):
    keys = set(read_checkpoint(tiny["single"]))
    assert "model.diffusion_model.input_blocks.0.0.weight" in keys
    assert "model.diffusion_model.middle_block.1.proj_in.weight" in keys
    assert "first_stage_model.encoder.mid.attn_1.q.weight" in keys
    assert "cond_stage_model.transformer.text_model.final_layer_norm.weight" in keys
    assert read_checkpoint(tiny["single"])["first_stage_model.encoder.mid.attn_1.q.weight"].ndim == 4  # 1x1 conv


def test_hub_id_resolves_from_the_store_offline(tiny, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import_model(tiny["sd"], "stable-diffusion-v1-5/stable-diffusion-v1-5")
    import_model(tiny["controlnet"], "lllyasviel/control_v11p_sd15_canny")
    spec = EditSpec(mode="controlnet", prompt="a horse", controls=(ControlSpec(kind="canny"),))
    parts = load_parts(spec, device="cpu")
    assert same_weights(parts.unet, load_parts(str(tiny["sd"]), device="cpu").unet)
    assert list(parts.controlnets) == ["canny"] and type(parts.controlnets["canny"]).__name__ == "ControlNetModel"
    assert type(parts.scheduler).__name__ == "DDIMScheduler"  # controlnet mode's default sampler


def test_single_file_in_the_store_loads_by_id(tiny):
    import_model(tiny["single"], "someone/dreambooth-horse")
    parts = load_parts("someone/dreambooth-horse", device="cpu")
    torch.testing.assert_close(unet_out(parts), unet_out(load_parts(str(tiny["sd"]), device="cpu")), atol=1e-5, rtol=0)


def test_hub_id_resolves_from_the_hugging_face_cache(tiny, tmp_path, monkeypatch):
    from huggingface_hub import constants

    repo = tmp_path / "hub" / "models--someone--cached-sd"
    shutil.copytree(tiny["sd"], repo / "snapshots" / ("a" * 40))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("a" * 40)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    parts = load_parts("someone/cached-sd", device="cpu")
    assert parts.unet.config.in_channels == 4


def test_offline_and_absent_is_one_line_naming_the_pull_command():
    with pytest.raises(ModelError) as info:
        load_parts("nobody/not-here@v2", device="cpu")
    message = one_line_error(info)
    assert "nobody/not-here@v2" in message and "t2vz-edit models pull nobody/not-here --revision v2" in message


def test_instruct_folder_and_mode_checks(tiny):
    spec = EditSpec(mode="instruct", instruction="make it snow", model=str(tiny["instruct"]))
    assert load_parts(spec, device="cpu").is_instruct
    wrong = EditSpec(mode="text2video", prompt="a horse", model=str(tiny["instruct"]))
    with pytest.raises(ModelError, match="Instruct-Pix2Pix model"):
        load_parts(wrong, device="cpu")


def test_instruct_single_file_detected_from_8_channel_shapes(tiny, tmp_path):
    path = save_single_file(tiny["instruct"], tmp_path / "ip2p.safetensors", with_config=True)
    parts = load_parts(str(path), device="cpu")
    assert parts.is_instruct and parts.unet.config.in_channels == 8


def test_ckpt_loads_weights_only_and_refuses_objects(tiny, tmp_path):
    tensors = read_checkpoint(tiny["single"])
    plain = tmp_path / "plain.ckpt"
    torch.save({"state_dict": tensors}, plain)
    shutil.copytree(tiny["single"].with_name("dreambooth.config"), tmp_path / "plain.config")
    assert same_weights(load_parts(str(plain), device="cpu").unet, load_parts(str(tiny["single"]), device="cpu").unet)
    hostile = tmp_path / "hostile.ckpt"
    torch.save({"state_dict": tensors, "hook": Hostile()}, hostile)
    with pytest.raises(ModelError) as info:
        load_parts(str(hostile), device="cpu")
    assert "pickle refused" in one_line_error(info) and ".safetensors" in str(info.value)


class Hostile:
    """Stands for any pickled object a weights-only load must not construct."""


def test_non_model_folder_and_corrupt_files_are_one_line_errors(tiny, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="not a diffusers pipeline folder"):
        load_parts(str(tmp_path / "empty"), device="cpu")
    with pytest.raises(ModelError, match="single model"):
        load_parts(str(tiny["controlnet"]), device="cpu")
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x00" * 64)
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(tiny["single"].read_bytes()[:50_000])
    for bad in (garbage, truncated):
        with pytest.raises(ModelError) as info:
            load_parts(str(bad), device="cpu")
        assert "corrupt or truncated" in one_line_error(info)


def test_pickled_bin_weights_in_a_folder_are_refused(tiny, tmp_path):
    folder = shutil.copytree(tiny["sd"], tmp_path / "binonly")
    weights = folder / "unet" / "diffusion_pytorch_model.safetensors"
    torch.save(read_checkpoint(weights), folder / "unet" / "diffusion_pytorch_model.bin")
    weights.unlink()
    with pytest.raises(ModelError) as info:
        load_parts(str(folder), device="cpu")
    assert "UNet" in one_line_error(info) and ".safetensors" in str(info.value)


def test_tiny_single_file_without_its_config_does_not_fit_sd15(tiny, tmp_path):
    lone = tmp_path / "lone.safetensors"
    shutil.copy(tiny["single"], lone)
    with pytest.raises(ModelError) as info:
        load_parts(str(lone), device="cpu")
    assert "shipped SD1.5 configs" in one_line_error(info) and ".config/" in str(info.value)


def test_tokenizer_for_real_checkpoints_comes_from_the_store(tiny, tmp_path):
    with pytest.raises(ModelError) as info:
        load_tokenizer(None, tmp_path / "real.safetensors")
    assert "t2vz-edit models pull openai/clip-vit-large-patch14" in one_line_error(info)
    import_model(tiny["sd"] / "tokenizer", "openai/clip-vit-large-patch14")
    assert load_tokenizer(None, tmp_path / "real.safetensors")("a horse").input_ids[-1] == 516  # eos of tiny vocab


def test_controlnet_must_fit_the_base(tiny, tmp_path):
    from diffusers import ControlNetModel

    from t2vz_edit.engine.tiny import TINY_CONTROLNET

    ControlNetModel(**dict(TINY_CONTROLNET, cross_attention_dim=16)).save_pretrained(tmp_path / "other")
    spec = EditSpec(mode="controlnet", prompt="x", model=str(tiny["sd"]),
                    controls=(ControlSpec(kind="depth", model=str(tmp_path / "other")),))
    with pytest.raises(T2VZError, match="does not fit the base model"):
        load_parts(spec, device="cpu")
