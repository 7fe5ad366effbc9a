"""Device/dtype resolution, fp16 guards, LoRA fusing and the shipped SD1.5 configs."""
from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

from t2vz_edit.engine.models import check_finite, load_parts, resolve_device_dtype, vae_dtype
from t2vz_edit.engine.models.device import NonFiniteError
from t2vz_edit.engine.models.ldm_keys import unet_key, vae_key
from t2vz_edit.engine.models.checkpoint import detect_architecture
from t2vz_edit.engine.models.single_file import shipped_config
from t2vz_edit.engine.tiny import save_tiny_pipeline
from t2vz_edit.spec.edit_spec import EditSpec, LoraSpec
from t2vz_edit.spec.errors import ModelError, UsageError

Q = "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q"
CONV = "down_blocks.0.resnets.0.conv1"
TE_Q = "encoder.layers.0.self_attn.q_proj"


@pytest.fixture(scope="module")
def tiny_sd(tmp_path_factory):
    return save_tiny_pipeline(tmp_path_factory.mktemp("lora-base") / "sd")


def test_cpu_defaults_to_float32_and_refuses_what_it_cannot_do():
    assert resolve_device_dtype("cpu", "auto") == (torch.device("cpu"), torch.float32)
    assert resolve_device_dtype("cpu", "bfloat16")[1] == torch.bfloat16
    with pytest.raises(UsageError, match="--dtype"):
        resolve_device_dtype("cpu", "float16")
    with pytest.raises(UsageError, match="use one of"):
        resolve_device_dtype("cpu", "float8")
    with pytest.raises(UsageError, match="not a device"):
        resolve_device_dtype("gpu0", "auto")


def test_auto_picks_cuda_half_when_a_gpu_is_visible():
    device, dtype = resolve_device_dtype("auto", "auto")
    if torch.cuda.is_available():
        assert (device.type, dtype) == ("cuda", torch.float16)
    else:
        assert device.type in ("cpu", "mps")
        with pytest.raises(UsageError, match="no CUDA GPU"):
            resolve_device_dtype("cuda", "auto")


def test_vae_stays_float32_under_half_compute():
    assert vae_dtype(torch.float16) == torch.float32
    assert vae_dtype(torch.bfloat16) == torch.bfloat16 and vae_dtype(torch.float32) == torch.float32


def test_check_finite_names_the_stage_and_the_fix():
    ok = torch.ones(2, 4, 8, 8)
    assert check_finite(ok, "decode") is ok
    bad = torch.ones(2, 4, 8, 8, dtype=torch.float16)
    bad[0, 0, 0, :3] = float("nan")
    with pytest.raises(NonFiniteError) as info:
        check_finite(bad, "VAE decode")
    assert str(info.value) == ("VAE decode: 3 of 512 values are NaN or infinite (float16 on cpu); "
                               "rerun with --dtype float32 or bfloat16")


def test_bfloat16_parts_on_cpu(tiny_sd):
    spec = EditSpec(mode="text2video", prompt="x", model=str(tiny_sd), dtype="bfloat16", device="cpu")
    parts = load_parts(spec)
    assert parts.unet.dtype == torch.bfloat16 and parts.text_encoder.dtype == torch.bfloat16
    assert parts.vae.dtype == torch.bfloat16


def _lora_tensors(rank=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    r = lambda *shape: torch.randn(*shape, generator=g) * 0.5  # noqa: E731
    return {"down_q": r(rank, 32), "up_q": r(32, rank), "down_c": r(rank, 32, 3, 3), "up_c": r(32, rank, 1, 1),
            "down_t": r(rank, 32), "up_t": r(32, rank)}


def write_kohya(path, t, alpha=2.0):
    """A kohya-ss style LoRA: underscored module names, lora_down/lora_up, alpha."""
    names = {"q": "lora_unet_" + Q.replace(".", "_"), "c": "lora_unet_" + CONV.replace(".", "_"),
             "t": "lora_te_text_model_" + TE_Q.replace(".", "_")}
    tensors = {}
    for k, name in names.items():
        tensors[f"{name}.lora_down.weight"] = t[f"down_{k}"]
        tensors[f"{name}.lora_up.weight"] = t[f"up_{k}"]
        tensors[f"{name}.alpha"] = torch.tensor(alpha)
    save_file(tensors, str(path))
    return path


def unet_out(parts):
    g = torch.Generator().manual_seed(1)
    x, text = torch.randn(1, 4, 8, 8, generator=g), torch.randn(1, 77, 32, generator=g)
    with torch.no_grad():
        return parts.unet(x, 10, encoder_hidden_states=text).sample


def test_kohya_lora_fuses_with_alpha_over_rank_and_scale(tiny_sd, tmp_path):
    t = _lora_tensors()
    path = write_kohya(tmp_path / "style.safetensors", t, alpha=2.0)
    base = load_parts(str(tiny_sd), device="cpu")
    fused = load_parts(str(tiny_sd), device="cpu", loras=(LoraSpec(path=str(path), scale=0.5),))
    factor = 0.5 * 2.0 / 4  # scale * alpha / rank
    q0, q1 = base.unet.get_submodule(Q).weight, fused.unet.get_submodule(Q).weight
    torch.testing.assert_close(q1 - q0, factor * t["up_q"] @ t["down_q"], atol=1e-5, rtol=0)
    c0, c1 = base.unet.get_submodule(CONV).weight, fused.unet.get_submodule(CONV).weight
    expect_c = factor * (t["up_c"].flatten(1) @ t["down_c"].flatten(1)).reshape(c0.shape)
    torch.testing.assert_close(c1 - c0, expect_c, atol=1e-5, rtol=0)
    t0, t1 = base.text_encoder.get_submodule(TE_Q).weight, fused.text_encoder.get_submodule(TE_Q).weight
    torch.testing.assert_close(t1 - t0, factor * t["up_t"] @ t["down_t"], atol=1e-5, rtol=0)
    assert (unet_out(fused) - unet_out(base)).abs().max() > 1e-3


def test_lora_scale_zero_changes_nothing(tiny_sd, tmp_path):
    path = write_kohya(tmp_path / "style.safetensors", _lora_tensors())
    base = load_parts(str(tiny_sd), device="cpu")
    zero = load_parts(str(tiny_sd), device="cpu", loras=(LoraSpec(path=str(path), scale=0.0),))
    for a, b in zip(base.unet.parameters(), zero.unet.parameters()):
        assert torch.equal(a, b)


def test_diffusers_peft_lora_from_the_spec(tiny_sd, tmp_path):
    g = torch.Generator().manual_seed(5)
    a, b = torch.randn(2, 32, generator=g), torch.randn(32, 2, generator=g)
    path = tmp_path / "pytorch_lora_weights.safetensors"
    save_file({f"unet.{Q}.lora_A.weight": a, f"unet.{Q}.lora_B.weight": b,
               f"text_encoder.text_model.{TE_Q}.lora_A.weight": a.clone(),
               f"text_encoder.text_model.{TE_Q}.lora_B.weight": b.clone()},
              str(path))
    spec = EditSpec(mode="text2video", prompt="x", model=str(tiny_sd), loras=(LoraSpec(path=str(path)),))
    fused, base = load_parts(spec, device="cpu"), load_parts(str(tiny_sd), device="cpu")
    torch.testing.assert_close(fused.unet.get_submodule(Q).weight - base.unet.get_submodule(Q).weight, b @ a,
                               atol=1e-5, rtol=0)


def test_lora_for_another_model_is_refused(tiny_sd, tmp_path):
    path = tmp_path / "sdxl.safetensors"
    save_file({"lora_unet_input_blocks_4_1_proj_in.lora_down.weight": torch.zeros(4, 640),
               "lora_unet_input_blocks_4_1_proj_in.lora_up.weight": torch.zeros(640, 4)}, str(path))
    with pytest.raises(ModelError, match="no matching layer"):
        load_parts(str(tiny_sd), device="cpu", loras=(LoraSpec(path=str(path)),))
    pickled = tmp_path / "style.pt"
    pickled.write_bytes(b"not read")
    with pytest.raises(ModelError, match="safetensors only"):
        load_parts(str(tiny_sd), device="cpu", loras=(LoraSpec(path=str(pickled)),))


def test_shipped_sd15_configs_build_the_real_architecture():
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from diffusers.loaders.single_file_utils import convert_ldm_unet_checkpoint, convert_ldm_vae_checkpoint

    ucfg, vcfg = shipped_config("unet"), shipped_config("vae")
    with torch.device("meta"):
        unet, vae = UNet2DConditionModel.from_config(ucfg), AutoencoderKL.from_config(vcfg)
    assert sum(p.numel() for p in unet.parameters()) == 859_520_964  # SD1.5 UNet
    assert sum(p.numel() for p in vae.parameters()) == 83_653_863  # SD1.5 VAE
    up_attn = ["CrossAttn" in t for t in ucfg["up_block_types"]]
    ldm = {unet_key(k, layers_per_block=2, up_has_attention=up_attn): v for k, v in unet.state_dict().items()}
    # names every SD1.5 checkpoint has: upsamplers after plain / attention up blocks, a downsampler
    for name in ("output_blocks.2.1.conv.weight", "output_blocks.5.2.conv.weight", "input_blocks.3.0.op.weight",
                 "middle_block.2.out_layers.3.weight", "output_blocks.11.1.proj_out.weight"):
        assert "model.diffusion_model." + name in ldm
    assert set(convert_ldm_unet_checkpoint(ldm, ucfg)) == set(unet.state_dict())
    ldm_vae = {vae_key(k, num_blocks=4): v for k, v in vae.state_dict().items()}
    assert "first_stage_model.decoder.up.3.upsample.conv.weight" in ldm_vae
    assert "first_stage_model.decoder.up.0.block.0.nin_shortcut.weight" in ldm_vae
    assert set(convert_ldm_vae_checkpoint(ldm_vae, vcfg)) == set(vae.state_dict())
    assert shipped_config("unet_instruct")["in_channels"] == 8


def test_architecture_detection_from_shapes():
    unet_in = "model.diffusion_model.input_blocks.0.0.weight"
    assert detect_architecture({unet_in: (320, 4, 3, 3)}) == "sd"
    assert detect_architecture({unet_in: (320, 8, 3, 3)}) == "instruct"
    assert detect_architecture({"control_model.input_hint_block.0.weight": (16, 3, 3, 3)}) == "controlnet"
    with pytest.raises(ModelError, match="inpainting"):
        detect_architecture({unet_in: (320, 9, 3, 3)})
    with pytest.raises(ModelError, match="SDXL"):
        detect_architecture({unet_in: (320, 4, 3, 3), "conditioner.embedders.1.model.ln_final.weight": (1280,)})
    with pytest.raises(ModelError, match="SD2"):
        detect_architecture({unet_in: (320, 4, 3, 3), "cond_stage_model.model.ln_final.weight": (1024,)})
    with pytest.raises(ModelError, match="not a Stable Diffusion checkpoint"):
        detect_architecture({"foo.weight": (3,)})
