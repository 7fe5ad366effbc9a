"""Issue 16 items 12/13: a broken LoRA is refused in one line naming the file, before the base model loads.

Rank-mismatched factors (was ``unexpected RuntimeError`` from the matrix product), NaN/inf values
(were fused, and the render then advised ``--dtype float32`` on a float32 run), and factors whose
product has the layer's element count but the transposed shape (were fused silently).
"""
from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

from t2vz_edit.engine.models import load_parts
from t2vz_edit.spec.edit_spec import LoraSpec
from t2vz_edit.spec.errors import ModelError

Q = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q"  # tiny: Linear 32 -> 32
TIME = "lora_unet_time_embedding_linear_1"  # tiny: Linear 32 -> 128, weight (128, 32)


def _write(path, layers):
    tensors = {}
    for name, (down, up) in layers.items():
        tensors[f"{name}.lora_down.weight"], tensors[f"{name}.lora_up.weight"] = down, up
        tensors[f"{name}.alpha"] = torch.tensor(float(down.shape[0]))
    save_file(tensors, str(path))
    return path


@pytest.fixture
def no_base_load(monkeypatch):
    """Fail the test if the base model starts loading (the slow part)."""
    def load_base(*args, **kwargs):
        raise AssertionError("the base model was loaded before the LoRA was checked")
    monkeypatch.setattr("t2vz_edit.engine.models.loading.load_base", load_base)


def test_rank_mismatch_is_one_line_naming_the_file_before_loading(tiny_models, tmp_path, no_base_load):
    path = _write(tmp_path / "mixed.safetensors", {Q: (torch.zeros(4, 32), torch.zeros(32, 3))})
    with pytest.raises(ModelError) as err:
        load_parts(str(tiny_models["sd"]), device="cpu", loras=(LoraSpec(path=str(path)),))
    message = str(err.value)
    assert message.startswith(str(path)) and "mixes ranks" in message and "--lora" in message
    assert "\n" not in message


@pytest.mark.parametrize("value", [float("inf"), float("nan")])
def test_non_finite_lora_is_refused_without_blaming_the_dtype(tiny_models, tmp_path, no_base_load, value):
    up = torch.zeros(32, 4)
    up[3, 1] = value
    path = _write(tmp_path / "blown.safetensors", {Q: (torch.zeros(4, 32), up)})
    with pytest.raises(ModelError) as err:
        load_parts(str(tiny_models["sd"]), device="cpu", dtype="float32", loras=(LoraSpec(path=str(path)),))
    message = str(err.value)
    assert message.startswith(str(path)) and "NaN/inf" in message and "--dtype" not in message


def test_non_finite_latents_advise_the_dtype_only_when_it_can_be_the_cause():
    from t2vz_edit.engine.run import non_finite_message

    assert "--dtype float32" not in non_finite_message(torch.float32)
    assert "LoRA" in non_finite_message(torch.float32)
    assert "--dtype float32" in non_finite_message(torch.float16)
    assert "--dtype float32" in non_finite_message(torch.bfloat16)


def test_transposed_factors_with_the_layers_element_count_are_refused(tiny_models, tmp_path):
    # the layer is (128, 32); up (32, r) @ down (r, 128) has 4096 elements too, but is (32, 128)
    path = _write(tmp_path / "transposed.safetensors", {TIME: (torch.randn(4, 128), torch.randn(32, 4))})
    with pytest.raises(ModelError, match=r"transposed") as err:
        load_parts(str(tiny_models["sd"]), device="cpu", loras=(LoraSpec(path=str(path)),))
    assert str(err.value).startswith(str(path)) and "(128, 32)" in str(err.value)


def test_a_well_formed_lora_on_a_non_square_layer_still_fuses(tiny_models, tmp_path):
    down, up = torch.randn(4, 32) * 0.1, torch.randn(128, 4) * 0.1
    path = _write(tmp_path / "ok.safetensors", {TIME: (down, up)})
    fused = load_parts(str(tiny_models["sd"]), device="cpu", loras=(LoraSpec(path=str(path), scale=1.0),))
    base = load_parts(str(tiny_models["sd"]), device="cpu")
    delta = fused.unet.time_embedding.linear_1.weight - base.unet.time_embedding.linear_1.weight
    torch.testing.assert_close(delta, up @ down, atol=1e-5, rtol=0)


def test_rank_mismatch_in_the_cli_is_one_line_and_writes_nothing(tiny_models, tmp_path, capsys):
    from t2vz_edit.cli.app import main
    from t2vz_edit.media.synth import make_clip

    clip = make_clip(tmp_path / "shot.mp4", frames=4, width=64, height=48)
    path = _write(tmp_path / "mixed.safetensors", {Q: (torch.zeros(4, 32), torch.zeros(32, 3))})
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(SystemExit) as exc:
        main(["restyle", str(clip), "-i", "x", "--model", str(tiny_models["instruct"]), "--lora", str(path),
              "--steps", "2", "--size", "64", "-o", str(tmp_path / "r.mp4"), "--progress", "none"])
    err = capsys.readouterr().err.strip()
    assert exc.value.code == 1 and len(err.splitlines()) == 1, err
    assert str(path) in err and "mixes ranks" in err and "unexpected" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
