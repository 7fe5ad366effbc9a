"""``--dtype auto`` on a CPU: bfloat16 only with AMX, a full-width UNet and a 256²+ working size."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from t2vz_edit.engine.models import load_parts
from t2vz_edit.engine.models import device as device_module
from t2vz_edit.engine.models.device import auto_cpu_dtype, cpu_has_amx
from t2vz_edit.engine.parts import EngineParts
from t2vz_edit.engine.run import run_edit
from t2vz_edit.engine.tiny import build_tiny, save_tiny_pipeline, sd15_configs
from t2vz_edit.spec.edit_spec import EditSpec

FULL = sd15_configs()["unet"]
TINY = build_tiny("sd")["unet"].config


def test_bfloat16_only_for_full_width_models_at_full_sizes_on_amx():
    assert auto_cpu_dtype(FULL, (512, 512), has_amx=True)[0] == torch.bfloat16
    assert auto_cpu_dtype(FULL, (256, 256), has_amx=True)[0] == torch.bfloat16
    dtype, why = auto_cpu_dtype(FULL, (512, 512), has_amx=False)
    assert dtype == torch.float32 and "no AMX" in why
    dtype, why = auto_cpu_dtype(TINY, (512, 512), has_amx=True)
    assert dtype == torch.float32 and "width 32" in why
    dtype, why = auto_cpu_dtype(FULL, (144, 256), has_amx=True)  # 16:9 at long side 256: under 256²
    assert dtype == torch.float32 and "256x144" in why
    assert "--dtype float32" in auto_cpu_dtype(FULL, (512, 512), has_amx=True)[1]


def test_amx_is_read_from_the_cpu_flags(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor : 0\nflags : fpu sse avx512f amx_bf16 amx_tile amx_int8\n")
    assert cpu_has_amx(str(info))
    info.write_text("processor : 0\nflags : fpu sse avx512f avx512_bf16\n")
    assert not cpu_has_amx(str(info))
    assert not cpu_has_amx(str(tmp_path / "missing"))


@pytest.fixture(scope="module")
def tiny_sd(tmp_path_factory):
    return save_tiny_pipeline(tmp_path_factory.mktemp("auto-dtype") / "sd")


def test_tiny_models_stay_float32_by_default_even_on_amx(tiny_sd, monkeypatch):
    monkeypatch.setattr(device_module, "cpu_has_amx", lambda *a: True)
    parts = load_parts(EditSpec(mode="text2video", prompt="x", model=str(tiny_sd), device="cpu", size=512))
    assert parts.dtype == torch.float32 and "width 32" in parts.dtype_choice


def test_auto_loads_bfloat16_where_the_rule_says_and_dtype_overrides(tiny_sd, monkeypatch):
    monkeypatch.setattr(device_module, "cpu_has_amx", lambda *a: True)
    monkeypatch.setattr(device_module, "BF16_MIN_UNET_CHANNELS", 32)  # pretend the tiny UNet is full width
    spec = EditSpec(mode="text2video", prompt="x", model=str(tiny_sd), device="cpu", size=512)
    parts = load_parts(spec)
    assert parts.unet.dtype == parts.vae.dtype == parts.text_encoder.dtype == torch.bfloat16
    assert parts.dtype_choice.startswith("auto: bfloat16")
    assert load_parts(spec, working_hw=(128, 128)).dtype == torch.float32  # small frames: float32
    forced = load_parts(spec.with_overrides(dtype="float32"))
    assert forced.dtype == torch.float32 and "--dtype float32" in forced.dtype_choice


def test_bfloat16_output_is_close_to_float32():
    """The check of the bfloat16 path against float32 (tiny models; the full-size figure is in
    bench_engine's ``default_dtype`` case)."""
    spec = EditSpec(mode="text2video", prompt="a horse", frames=2, steps=3, size=64, t0=0.5, t1=0.75)
    fp32 = run_edit(spec, EngineParts.from_components(build_tiny("sd")), output="float")
    comps = build_tiny("sd")
    for name in ("unet", "vae", "text_encoder"):
        comps[name].to(torch.bfloat16)
    bf16 = run_edit(spec, EngineParts.from_components(comps), output="float")
    diff = np.abs(bf16 - fp32)
    assert diff.mean() < 0.01 and diff.max() < 0.08, (diff.mean(), diff.max())
