"""The engine on a GPU, one command: full-size SD1.5 architectures with random weights (no downloads).

    python benchmarks/bench_gpu.py                       # on a CUDA GPU, JSON to benchmarks/results/
    python benchmarks/bench_gpu.py --smoke               # CPU, tiny models, seconds: what CI runs

Cases (each ms per frame, achieved TFLOP/s from ``torch.utils.flop_counter`` against the device's dense
peak, peak GPU memory, and a NaN / black-frame check of the output):

  instruct_<dtype>     Video Instruct-Pix2Pix, 20 steps, 512², 16 frames, fp16 and bf16
  controlnet_<dtype>   ControlNet (canny) video, 20 steps, same size and frames
  sdpa_<backend>       Instruct-Pix2Pix under each SDPA backend (flash / memory-efficient / math),
                       checked (during the run) that every self-attention still has the cross-frame processor
  channels_last        Instruct-Pix2Pix with the UNet in channels_last
  compile              torch.compile of the UNet and ControlNet: compile time apart, then the timed run
  draft                draft mode (4 LCM steps + TAESD) against the full render (50 steps + SD VAE), and the
                       full VAE vs TAESD decode time

Random weights give random images: the NaN / black check catches overflow, not quality.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from t2vz_edit.engine.attention import CrossFrameAttnProcessor, self_attention_names
from t2vz_edit.engine.models.device import vae_dtype
from t2vz_edit.engine.parts import EngineParts
from t2vz_edit.engine.run import run_edit
from t2vz_edit.engine.tiny import build_controlnet, build_taesd, build_tiny, lora_tensors, sd15_configs
from t2vz_edit.spec.edit_spec import ControlSpec, EditSpec

# Dense (no sparsity) fp16/bf16 tensor-core peaks in TFLOP/s, from the vendors' data sheets.
DENSE_PEAK_TFLOPS = {"H200": 989.0, "H100 SXM": 989.0, "H100 80GB HBM3": 989.0, "H100 PCIe": 756.0,
                     "H100 NVL": 835.0, "A100": 312.0, "L40S": 362.0, "L4": 121.0, "A10G": 125.0, "A10": 125.0,
                     "RTX 4090": 165.0, "V100": 125.0, "T4": 65.0}
RESULTS = Path(__file__).resolve().parent / "results"


def dense_peak(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((v for k, v in sorted(DENSE_PEAK_TFLOPS.items(), key=lambda kv: -len(kv[0])) if k in name), None)


# -- models -----------------------------------------------------------------------------------

def build_parts(args, kind: str, dtype: torch.dtype, *, draft: bool = False) -> EngineParts:
    """Random components of the real SD1.5 sizes (or tiny), on the device, as load_parts would place them."""
    comps = build_tiny(kind, seed=0, arch=args.arch)
    nets = {}
    if kind == "sd":
        nets["canny"] = build_controlnet(seed=1, config=sd15_configs()["controlnet"] if args.arch == "sd15" else None)
    taesd = None
    if draft:
        _fuse_random_lora(comps["unet"])
        taesd = build_taesd(arch=args.arch).to(args.device, dtype)
    for module in (comps["unet"], comps["text_encoder"], *nets.values()):
        torch.nn.Module.to(module, device=args.device, dtype=dtype)
    torch.nn.Module.to(comps["vae"], device=args.device, dtype=vae_dtype(dtype))
    return EngineParts.from_components(comps, nets, draft_vae=taesd)


def _fuse_random_lora(unet) -> None:
    """A distilled LoRA costs nothing at inference once fused; fuse a random one so the weights are 'draft'."""
    tensors = lora_tensors(unet, rank=8)
    modules = dict(unet.named_modules())
    with torch.no_grad():
        for name, module in modules.items():
            key = "lora_unet_" + name.replace(".", "_")
            if f"{key}.lora_up.weight" in tensors:
                up, down = tensors[f"{key}.lora_up.weight"].flatten(1), tensors[f"{key}.lora_down.weight"].flatten(1)
                module.weight.add_((up @ down).reshape(module.weight.shape).to(module.weight.dtype))


def inputs(args):
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (args.frames, args.size, args.size, 3), dtype=np.uint8)
    edges = ((rng.random((args.frames, args.size, args.size, 1)) > 0.85) * 255).astype(np.uint8).repeat(3, -1)
    return frames, edges


def spec_for(args, mode: str, **kw) -> EditSpec:
    base = dict(mode=mode, size=args.size, steps=args.steps, seed=1, chunk_size=args.chunk)
    if mode == "instruct":
        base["instruction"] = "make it a watercolor painting"
    else:
        base.update(prompt="a robot dancing", controls=(ControlSpec("canny"),), noise="shared", motion_strength=0.0)
    return EditSpec(**{**base, **kw})


# -- measuring --------------------------------------------------------------------------------

def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device) -> tuple[object, float, int | None]:
    """(result, seconds, peak bytes allocated during the call on CUDA)."""
    _sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    out = fn()
    _sync(device)
    seconds = time.perf_counter() - start
    return out, seconds, (torch.cuda.max_memory_allocated(device) if device.type == "cuda" else None)


def count_flops(fn) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


def frame_check(video: np.ndarray) -> dict:
    """NaN / black / flat frames in float output (N, H, W, 3) in [0, 1]."""
    finite = bool(np.isfinite(video).all())
    per_frame_max = np.nan_to_num(video, nan=0.0).reshape(len(video), -1).max(1)
    return {"finite": finite, "black_frames": int((per_frame_max < 1 / 255).sum()),
            "flat_frames": int((video.reshape(len(video), -1).std(1) < 1e-4).sum()), "ok":
            finite and not (per_frame_max < 1 / 255).any()}


def run_case(args, parts, spec, frames=None, controls=None, *, flops: bool = True, check=None) -> dict:
    fn = lambda: run_edit(spec, parts, frames, controls, progress=check, output="float")  # noqa: E731
    run_edit(spec.with_overrides(steps=min(spec.resolved_steps, 2)), parts, frames, controls, output="float")  # warm-up
    video, seconds, peak = timed(fn, parts.device)
    row = {"ms_per_frame": round(1000 * seconds / len(video), 2), "seconds": round(seconds, 3),
           "frames": len(video), "steps": spec.resolved_steps, "peak_mib": None if peak is None else round(peak / 2**20),
           "output": frame_check(np.asarray(video))}
    if flops:
        total = count_flops(fn)
        row["tflop"] = float(f"{total / 1e12:.4g}")
        row["achieved_tflops"] = float(f"{total / seconds / 1e12:.3g}")
        peak_tflops = dense_peak(parts.device)
        row["percent_of_dense_peak"] = None if peak_tflops is None else round(100 * total / seconds / 1e12 / peak_tflops, 1)
    return row


class CrossFrameWatch:
    """A progress callback that checks, during the run, that every self-attention holds the cross-frame processor."""

    def __init__(self, models):
        self.models, self.checks, self.missing = models, 0, 0

    def __call__(self, stage, done, total):
        if stage != "denoise":
            return
        for model in self.models:
            procs = model.attn_processors
            names = self_attention_names(model)
            self.checks += 1
            self.missing += sum(not isinstance(procs[n], CrossFrameAttnProcessor) for n in names)


# -- cases ------------------------------------------------------------------------------------

def case_dtype(args, mode, dtype_name, frames, edges):
    dtype = getattr(torch, dtype_name)
    parts = build_parts(args, "instruct" if mode == "instruct" else "sd", dtype)
    spec = spec_for(args, mode)
    return run_case(args, parts, spec, frames if mode == "instruct" else None,
                    None if mode == "instruct" else {"canny": edges})


def case_sdpa(args, parts, frames):
    from torch.nn.attention import SDPBackend, sdpa_kernel

    rows = {}
    for name, backend in (("flash", SDPBackend.FLASH_ATTENTION), ("efficient", SDPBackend.EFFICIENT_ATTENTION),
                          ("math", SDPBackend.MATH)):
        watch = CrossFrameWatch([parts.unet])
        try:
            with sdpa_kernel([backend]):
                row = run_case(args, parts, spec_for(args, "instruct"), frames, flops=False, check=watch)
        except RuntimeError as exc:  # a backend this device or dtype lacks: recorded, not hidden
            row = {"error": " ".join(str(exc).split())[:200]}
        row["cross_frame_checks"], row["cross_frame_missing"] = watch.checks, watch.missing
        rows[f"sdpa_{name}"] = row
    return rows


def case_channels_last(args, parts, frames):
    parts.unet.to(memory_format=torch.channels_last)
    try:
        return run_case(args, parts, spec_for(args, "instruct"), frames, flops=False)
    finally:
        parts.unet.to(memory_format=torch.contiguous_format)


def case_compile(args, dtype, frames, edges):
    rows = {}
    for mode in ("instruct", "controlnet"):
        parts = build_parts(args, "instruct" if mode == "instruct" else "sd", dtype)
        for model in parts.models():
            model.compile()  # in place: the same module object, so the processors still install on it
        spec = spec_for(args, mode)
        data = (frames, None) if mode == "instruct" else (None, {"canny": edges})
        _, compile_s, _ = timed(lambda: run_edit(spec.with_overrides(steps=2), parts, *data, output="float"),
                                parts.device)
        row = run_case(args, parts, spec, *data, flops=False)
        row["compile_and_first_run_s"] = round(compile_s, 1)
        rows[f"compile_{mode}"] = row
    return rows


def case_draft(args, dtype, frames):
    full_parts = build_parts(args, "instruct", dtype)
    full = run_case(args, full_parts, spec_for(args, "instruct", steps=args.full_steps), frames)
    del full_parts  # one full-size model set at a time
    draft_parts = build_parts(args, "instruct", dtype, draft=True)
    draft = run_case(args, draft_parts, spec_for(args, "instruct", draft=True), frames)
    latents = torch.randn(args.chunk, 4, args.size // 8 if args.arch == "sd15" else args.size // 4,
                          args.size // 8 if args.arch == "sd15" else args.size // 4).to(args.device, dtype)
    from t2vz_edit.engine import vae

    decode = {}
    for label, parts in (("full_vae", dataclasses.replace(draft_parts, draft_vae=None)), ("taesd", draft_parts)):
        vae.decode(parts, latents, args.chunk)  # warm-up
        _, seconds, _ = timed(lambda: vae.decode(parts, latents, args.chunk), parts.device)
        decode[f"{label}_ms_per_frame"] = round(1000 * seconds / args.chunk, 2)
    return {"full": full, "draft": draft, "draft_speedup": round(full["ms_per_frame"] / draft["ms_per_frame"], 2),
            "decode": {**decode, "ratio": round(decode["full_vae_ms_per_frame"] / decode["taesd_ms_per_frame"], 2)}}


# -- main -------------------------------------------------------------------------------------

def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="CPU, tiny models, 2 frames, 2 steps (for CI)")
    p.add_argument("--device", default=None)
    p.add_argument("--arch", choices=("tiny", "sd15"), default=None)
    p.add_argument("--dtypes", default=None, help="comma-separated, e.g. float16,bfloat16")
    p.add_argument("--frames", type=int, default=None)
    p.add_argument("--size", type=int, default=None)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--full-steps", type=int, default=None, help="steps of the full render the draft is compared to")
    p.add_argument("--chunk", type=int, default=8)
    p.add_argument("--cases", default="dtype,sdpa,channels_last,compile,draft")
    p.add_argument("--out", type=Path, default=None, help="JSON file (default benchmarks/results/gpu-<device>.json)")
    args = p.parse_args(argv)
    smoke = args.smoke
    args.device = torch.device(args.device or ("cpu" if smoke or not torch.cuda.is_available() else "cuda"))
    args.arch = args.arch or ("tiny" if smoke else "sd15")
    args.dtypes = (args.dtypes or ("float32" if smoke else "float16,bfloat16")).split(",")
    args.frames, args.size = args.frames or (2 if smoke else 16), args.size or (64 if smoke else 512)
    args.steps, args.full_steps = args.steps or (2 if smoke else 20), args.full_steps or (8 if smoke else 50)
    if smoke and "compile" in args.cases:  # minutes of compilation on a CPU; the GPU run does it
        args.cases = ",".join(c for c in args.cases.split(",") if c != "compile")
    return args


def main(argv=None) -> dict:
    args = parse(argv)
    torch.set_grad_enabled(False)
    if args.device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
    name = torch.cuda.get_device_name(args.device) if args.device.type == "cuda" else "cpu"
    frames, edges = inputs(args)
    cases = args.cases.split(",")
    report = {"device": name, "dense_peak_tflops": dense_peak(args.device), "torch": torch.__version__,
              "config": {k: str(v) for k, v in vars(args).items()}, "cases": {}}
    main_dtype = getattr(torch, args.dtypes[0])
    started = time.perf_counter()
    if "dtype" in cases:
        for d in args.dtypes:
            for mode in ("instruct", "controlnet"):
                report["cases"][f"{mode}_{d}"] = case_dtype(args, mode, d, frames, edges)
    if "sdpa" in cases or "channels_last" in cases:
        parts = build_parts(args, "instruct", main_dtype)
        if "sdpa" in cases:
            report["cases"].update(case_sdpa(args, parts, frames))
        if "channels_last" in cases:
            report["cases"]["channels_last"] = case_channels_last(args, parts, frames)
    if "compile" in cases:
        report["cases"].update(case_compile(args, main_dtype, frames, edges))
    if "draft" in cases:
        report["cases"]["draft"] = case_draft(args, main_dtype, frames)
    report["total_s"] = round(time.perf_counter() - started, 1)
    out = args.out or RESULTS / f"gpu-{name.replace(' ', '_')}.json"
    if not args.smoke or args.out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
