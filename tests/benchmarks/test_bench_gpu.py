"""`benchmarks/bench_gpu.py --smoke`: the GPU benchmark's every case runs on CPU with tiny models (CI)."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_gpu.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_gpu", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_smoke_runs_every_cpu_case_and_writes_json(tmp_path):
    out = tmp_path / "smoke.json"
    report = load_bench().main(["--smoke", "--out", str(out)])
    assert json.loads(out.read_text()) == report
    cases = report["cases"]
    assert {"instruct_float32", "controlnet_float32", "sdpa_math", "channels_last", "draft"} <= set(cases)
    for name in ("instruct_float32", "controlnet_float32"):
        row = cases[name]
        assert row["output"]["ok"] and row["frames"] == 2 and row["ms_per_frame"] > 0
        assert row["tflop"] > 0 and row["achieved_tflops"] > 0
    math = cases["sdpa_math"]
    assert math["cross_frame_checks"] > 0 and math["cross_frame_missing"] == 0
    for name in ("sdpa_flash", "sdpa_efficient"):  # ran with the processors in place, or says why not
        assert cases[name]["cross_frame_missing"] == 0 and ("error" in cases[name] or cases[name]["output"]["ok"])
    draft = cases["draft"]
    assert draft["draft"]["steps"] == 4 and draft["full"]["steps"] == 8
    assert draft["draft"]["tflop"] < draft["full"]["tflop"] / 2


def test_dense_peak_is_known_only_for_named_gpus():
    import torch

    assert load_bench().dense_peak(torch.device("cpu")) is None
