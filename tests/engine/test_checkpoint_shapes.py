"""Issue 16 item 13: ``models import`` refuses a single-file checkpoint with a wrong-shaped tensor.

Before, only the first UNet layer was looked at, so a file with one transposed tensor (same
element count) was copied into the store and failed — or worse — on the first render.
"""
from __future__ import annotations

import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file

from t2vz_edit.engine.models.export import save_single_file
from t2vz_edit.engine.models.store import import_model, list_models
from t2vz_edit.spec.errors import ModelError

KEY = "model.diffusion_model.input_blocks.1.0.emb_layers.1.weight"  # tiny: (32, 128)


@pytest.fixture(scope="module")
def checkpoints(tiny_models, tmp_path_factory):
    root = tmp_path_factory.mktemp("ckpt")
    good = save_single_file(tiny_models["sd"], root / "good.safetensors", with_config=True)
    tensors = load_file(str(good))
    assert tuple(tensors[KEY].shape) == (32, 128)
    bad = dict(tensors, **{KEY: tensors[KEY].t().contiguous()})
    save_file(bad, str(root / "bad.safetensors"))
    torch.save(bad, root / "bad.ckpt")
    torch.save(tensors, root / "good.ckpt")
    shutil.copytree(root / "good.config", root / "bad.config")
    return root


@pytest.mark.parametrize("name", ["bad.safetensors", "bad.ckpt"])
def test_wrong_shaped_tensor_is_refused_before_copying(checkpoints, name):
    with pytest.raises(ModelError) as err:
        import_model(checkpoints / name, "test/bad")
    message = str(err.value)
    assert message.startswith(str(checkpoints / name)) and KEY in message and "(128, 32)" in message
    assert "(32, 128)" in message and "\n" not in message
    assert list_models() == []


@pytest.mark.parametrize("name", ["good.safetensors", "good.ckpt"])
def test_a_sound_checkpoint_imports_as_its_kind(checkpoints, name):
    entry = import_model(checkpoints / name, "test/good")
    assert entry.kind == "sd"  # a .ckpt entry too (was listed as "unknown")
