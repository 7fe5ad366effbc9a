"""Engine vs the diffusers reference, same models and settings, measured in the same run; prints JSON.

Cases
  text2video   TextToVideoZeroPipeline vs the engine (same noise): s/frame, ratio, peak memory, max |Δ|
  controlnet   StableDiffusionControlNetPipeline + diffusers' CrossFrameAttnProcessor2_0 (batch_size=2,
               the documented video recipe) vs the engine's controlnet mode (same shared latent)
  long         N frames: the engine with step-major chunks vs the reference's documented long-video
               recipe (pipeline per chunk of chunk-1 new frames, frame 0 re-included and recomputed)
  memory       the engine's peak memory at 16 vs 128 frames, streamed (frames leave chunk by chunk, as in
               the pipeline), each in a fresh process
  default_dtype  the ControlNet case three ways, interleaved and rotating: the reference (float32), the
               engine in float32 and the engine in what ``--dtype auto`` picks on this machine
               (``auto_cpu_dtype``: bfloat16 on an AMX CPU for full-size models at 256²+); ratios with
               spread, and the default path's output difference against the float32 engine

``--arch tiny`` (default, CPU-sized random models) or ``--arch sd15`` (the real SD1.5 architecture
with random weights). Ratios are reference time / engine time (> 1: the engine is faster): the ratio
of the median wall times over ``--repeat`` rounds, interleaved and alternating which side runs first,
with the min/max of the per-round ratios and the ratio of process CPU times beside it. Each side's
peak memory is measured in a fresh process of its own (CUDA allocator peak, or peak RSS above the
RSS once the models are built), so one side's freed memory cannot hide the other's.

    python benchmarks/bench_engine.py --arch tiny
    python benchmarks/bench_engine.py --arch sd15 --device cuda --size 512 --steps 20
    python benchmarks/bench_engine.py --arch sd15 --size 256 --steps 6 --frames 2 --cases text2video,controlnet
    python benchmarks/bench_engine.py --arch sd15 --size 256 --steps 1 --frames 2 --repeat 2 \
        --cases default_dtype --no-peak-memory --warm-up-size 64 --out benchmarks/results/cpu-fullsize-engine.json
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch

from t2vz_edit.engine.parts import EngineParts
from t2vz_edit.engine.run import run_edit, stream_edit
from t2vz_edit.engine.sampler import FrameNoise
from t2vz_edit.engine.tiny import build_controlnet, build_scheduler, build_tiny, sd15_configs
from t2vz_edit.spec.edit_spec import ControlSpec, EditSpec


class FixedNoise(FrameNoise):
    """Noise given as tensors indexed by frame, so both sides start from the same latents."""

    def __init__(self, initial, renoise=None):
        super().__init__(0, tuple(initial.shape[1:]), device=initial.device, dtype=initial.dtype)
        self._initial, self._renoise = initial, renoise

    def initial(self, frames):
        return self._initial[[min(f, len(self._initial) - 1) for f in frames]]

    def renoise(self, frames):
        return self._renoise[list(frames)]


# -- measuring --------------------------------------------------------------------------------

def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


REPEAT = [1]


def compare(reference_fn, engine_fn, device: torch.device):
    """Reference and engine run ``--repeat`` times each, interleaved with alternating order (the
    reference first on even rounds, the engine first on odd ones), so drift in the machine's load
    and warm caches favour neither side. Returns per side (result, timings) with wall and CPU time."""
    runs = {"reference": [], "engine": []}
    fns = {"reference": reference_fn, "engine": engine_fn}
    for i in range(REPEAT[0]):
        order = ("reference", "engine") if i % 2 == 0 else ("engine", "reference")
        for side in order:
            runs[side].append(measure_once(fns[side], device))
    return tuple((r[-1][0], _timings(r)) for r in (runs["reference"], runs["engine"]))


def _timings(runs) -> dict:
    wall = [r[1] for r in runs]
    cpu = [r[2] for r in runs]
    return {"wall_s": wall, "cpu_s": cpu, "median_s": float(np.median(wall)), "median_cpu_s": float(np.median(cpu))}


def measure_once(fn, device: torch.device):
    """(result, wall seconds, process CPU seconds)."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return out, time.perf_counter() - start, time.process_time() - cpu


def peak_in_child(args, case: str, side: str) -> float:
    """Peak memory (MiB) of one side of one case, measured in a fresh process: CUDA allocator peak,
    or on CPU the process's peak RSS (``ru_maxrss``) above its RSS once the models are built."""
    cmd = [sys.executable, __file__, "--_peak", f"{case}:{side}"] + _forward(args) + ["--frames", str(args.frames),
                                                                                    "--long-frames", str(args.long_frames)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["peak_mib"]


def _peak_child(args):
    """Child side of :func:`peak_in_child`: build, run the one side once, print its peak."""
    import resource

    case, side = args._peak.split(":")
    components, parts, controlnet = build(args)
    fns = CASES[case](args, components, parts, controlnet, sides_only=True)
    device = parts.device
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        fns[side]()
        peak = torch.cuda.max_memory_allocated() - base
    else:
        base = _rss_bytes()
        fns[side]()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
    print(json.dumps({"peak_mib": round(max(0, peak) / 2**20, 1)}))


# -- models -----------------------------------------------------------------------------------

def build(args):
    components = build_tiny("sd", seed=0, arch=args.arch)
    net_cfg = sd15_configs()["controlnet"] if args.arch == "sd15" else None
    controlnet = build_controlnet(seed=1, config=net_cfg)
    device, dtype = torch.device(args.device), getattr(torch, args.dtype)
    for name in ("unet", "vae", "text_encoder"):
        components[name].to(device, dtype)
    controlnet.to(device, dtype)
    return components, EngineParts.from_components(components, {"canny": controlnet}), controlnet


def _latent(args, parts, n, seed):
    side = args.size // parts.vae_scale_factor
    g = torch.Generator().manual_seed(seed)
    return torch.randn((n, parts.latent_channels, side, side), generator=g).to(parts.device, parts.dtype)


def _t2v_spec(args, frames, chunk):
    # the reference indexes t0/t1 into the step list; the engine takes fractions of 1000
    return EditSpec(mode="text2video", prompt="a horse galloping on a beach", frames=frames, steps=args.steps,
                    size=args.size, chunk_size=chunk, t0=args.t0_index_time / 1000, t1=args.t1_index_time / 1000,
                    motion_strength=args.motion_ref * args.size / 512, warp="nearest", warp_padding="reflection")


def _reference_t2v(args, components, frames, x_t, seed_eps, frame_ids=None):
    from diffusers.pipelines.deprecated.text_to_video_synthesis.pipeline_text_to_video_zero import (
        TextToVideoZeroPipeline)

    pipe = TextToVideoZeroPipeline(**components, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    return pipe("a horse galloping on a beach", video_length=frames, height=args.size, width=args.size,
                num_inference_steps=args.steps, latents=x_t, generator=torch.Generator().manual_seed(seed_eps),
                motion_field_strength_x=args.motion_ref, motion_field_strength_y=args.motion_ref,
                t0=args.t0_index, t1=args.t1_index, frame_ids=frame_ids).images


def case_text2video(args, components, parts, controlnet=None, *, sides_only=False):
    n, device = args.frames, parts.device
    x_t = _latent(args, parts, 1, 11)
    eps = torch.randn((n - 1, *x_t.shape[1:]), generator=torch.Generator().manual_seed(12)).to(device, parts.dtype)
    noise = FixedNoise(x_t, torch.cat([eps[:1], eps]))
    sides = {"reference": lambda: _reference_t2v(args, components, n, x_t, 12),
             "engine": lambda: run_edit(_t2v_spec(args, n, n), parts, noise=noise, output="float")}
    if sides_only:
        return sides
    (ref, ref_t), (ours, our_t) = compare(sides["reference"], sides["engine"], device)
    return _row(args, "text2video", n, ref_t, our_t, np.abs(np.asarray(ref, np.float32) - ours).max())


def case_controlnet(args, components, parts, controlnet, *, sides_only=False):
    from diffusers import DDIMScheduler, StableDiffusionControlNetPipeline
    from diffusers.models.attention_processor import AttnProcessor2_0
    from diffusers.pipelines.deprecated.text_to_video_synthesis.pipeline_text_to_video_zero import (
        CrossFrameAttnProcessor2_0)
    from PIL import Image

    n = args.frames
    rng = np.random.default_rng(0)
    maps = (rng.random((n, args.size, args.size, 3)) > 0.8).astype(np.uint8) * 255
    latent = _latent(args, parts, 1, 5)
    pipe = StableDiffusionControlNetPipeline(
        **{**components, "scheduler": DDIMScheduler.from_config(components["scheduler"].config)},
        controlnet=controlnet, safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    call = dict(prompt=["a robot dancing"] * n, image=[Image.fromarray(m) for m in maps],
                latents=latent.repeat(n, 1, 1, 1), num_inference_steps=args.steps, guidance_scale=9.0,
                output_type="np", height=args.size, width=args.size)
    spec = EditSpec(mode="controlnet", prompt="a robot dancing", controls=(ControlSpec("canny"),), steps=args.steps,
                    size=args.size, guidance_scale=9.0, scheduler="ddim", chunk_size=n)

    def reference():
        for model in (pipe.unet, pipe.controlnet):  # the engine restores what it found; put the recipe back
            model.set_attn_processor(CrossFrameAttnProcessor2_0(batch_size=2))
        return pipe(**call).images

    def engine():
        for model in (pipe.unet, pipe.controlnet):
            model.set_attn_processor(AttnProcessor2_0())
        return run_edit(spec, parts, controls={"canny": maps}, noise=FixedNoise(latent), output="float")

    if sides_only:
        return {"reference": reference, "engine": engine}
    (ref, ref_t), (ours, our_t) = compare(reference, engine, parts.device)
    return _row(args, "controlnet", n, ref_t, our_t, np.abs(ref - ours).max())


def case_long(args, components, parts, controlnet=None, *, sides_only=False):
    """The reference's long-video recipe: chunk_ids every chunk-1 frames, frame 0 prepended to each."""
    n, chunk = args.long_frames, args.chunk
    x_t = _latent(args, parts, 1, 11)

    def reference():
        out = []
        starts = list(range(0, n, chunk - 1))
        for i, lo in enumerate(starts):
            hi = n if i == len(starts) - 1 else starts[i + 1]
            ids = [0] + list(range(lo, hi))
            frames = _reference_t2v(args, components, len(ids), x_t, 12, frame_ids=ids)
            out.append(frames[1:])
        return np.concatenate(out)

    spec = _t2v_spec(args, n, chunk)
    engine = lambda: run_edit(spec, parts, noise=FixedNoise(x_t, _latent(args, parts, n, 12)))  # noqa: E731
    if sides_only:
        return {"reference": reference, "engine": engine}
    (_, ref_t), (_, our_t) = compare(reference, engine, parts.device)
    return _row(args, "long", n, ref_t, our_t, None) | {"chunk": chunk}


def _row(args, case, frames, ref_t, our_t, max_abs_diff):
    """Medians per frame, the ratio of medians, its spread over the rounds, CPU time, and peak memory
    of each side measured in its own fresh process."""
    ratios = [r / e for r, e in zip(ref_t["wall_s"], our_t["wall_s"])]
    row = {"frames": frames, "rounds": len(ratios),
           "reference_s_per_frame": round(ref_t["median_s"] / frames, 4),
           "engine_s_per_frame": round(our_t["median_s"] / frames, 4),
           "ratio": round(ref_t["median_s"] / our_t["median_s"], 3),
           "ratio_min_max": [round(min(ratios), 3), round(max(ratios), 3)],
           "cpu_ratio": round(ref_t["median_cpu_s"] / our_t["median_cpu_s"], 3),
           "reference_cpu_s_per_frame": round(ref_t["median_cpu_s"] / frames, 4),
           "engine_cpu_s_per_frame": round(our_t["median_cpu_s"] / frames, 4),
           "max_abs_diff": None if max_abs_diff is None else float(max_abs_diff)}
    if args.peak_memory:
        row["reference_peak_mib"] = peak_in_child(args, case, "reference")
        row["engine_peak_mib"] = peak_in_child(args, case, "engine")
    return row


CASES = {"text2video": case_text2video, "controlnet": case_controlnet, "long": case_long}


def case_default_dtype(args, components, parts, controlnet):
    """Reference fp32 vs engine fp32 vs the engine in the dtype ``--dtype auto`` picks here (ControlNet video).

    Rounds rotate which side runs first; the default path runs on bfloat16 copies of the same weights."""
    import copy

    from diffusers.models.attention_processor import AttnProcessor2_0

    from t2vz_edit.engine.models.device import auto_cpu_dtype, resolve_dtype

    if parts.device.type == "cpu":
        default, why = auto_cpu_dtype(parts.unet.config, (args.size, args.size))
    else:
        default = resolve_dtype("auto", parts.device)
        why = f"auto on {parts.device.type}"
    fns = case_controlnet(args, components, parts, controlnet, sides_only=True)
    fast = dict(components)
    for name in ("unet", "vae", "text_encoder"):
        fast[name] = copy.deepcopy(components[name]).to(default)
    fast_parts = EngineParts.from_components(fast, {"canny": copy.deepcopy(controlnet).to(default)})
    rng = np.random.default_rng(0)
    maps = (rng.random((args.frames, args.size, args.size, 3)) > 0.8).astype(np.uint8) * 255
    latent = _latent(args, parts, 1, 5)
    spec = EditSpec(mode="controlnet", prompt="a robot dancing", controls=(ControlSpec("canny"),), steps=args.steps,
                    size=args.size, guidance_scale=9.0, scheduler="ddim", chunk_size=args.frames)

    def default_path(run_spec=spec, run_maps=maps, x=latent):
        for model in fast_parts.models():  # the copies carry whatever processors the originals had
            model.set_attn_processor(AttnProcessor2_0())
        return run_edit(run_spec, fast_parts, controls={"canny": run_maps}, noise=FixedNoise(x.to(default)),
                        output="float")

    small = args.warm_up_size or args.size  # warm-up of the default dtype's kernels, not timed
    default_path(spec.with_overrides(size=small), maps[:, :small, :small], _latent(
        argparse.Namespace(size=small), parts, 1, 5))

    sides = {"reference": fns["reference"], "engine_float32": fns["engine"], "engine_default": default_path}
    names, runs = list(sides), {k: [] for k in sides}
    for i in range(REPEAT[0]):
        for side in names[i % 3:] + names[:i % 3]:
            runs[side].append(measure_once(sides[side], parts.device))
            print(f"round {i} {side}: {runs[side][-1][1]:.1f} s", file=sys.stderr, flush=True)
    t = {k: _timings(v) for k, v in runs.items()}
    out = {k: np.asarray(v[-1][0], np.float32) for k, v in runs.items()}
    n = args.frames

    def ratio(a, b):
        per = [x / y for x, y in zip(t[a]["wall_s"], t[b]["wall_s"])]
        return {"ratio": round(t[a]["median_s"] / t[b]["median_s"], 3),
                "ratio_min_max": [round(min(per), 3), round(max(per), 3)],
                "cpu_ratio": round(t[a]["median_cpu_s"] / t[b]["median_cpu_s"], 3)}

    diff = np.abs(out["engine_default"] - out["engine_float32"])
    return {"frames": n, "rounds": REPEAT[0], "default_dtype": str(default).replace("torch.", ""), "why": why,
            "s_per_frame": {k: round(v["median_s"] / n, 2) for k, v in t.items()},
            "wall_s": {k: [round(x, 1) for x in v["wall_s"]] for k, v in t.items()},
            "engine_float32_vs_reference": ratio("reference", "engine_float32"),
            "engine_default_vs_reference": ratio("reference", "engine_default"),
            "engine_default_vs_engine_float32": ratio("engine_float32", "engine_default"),
            "max_abs_diff_float32_vs_reference": float(np.abs(out["engine_float32"] - out["reference"]).max()),
            "default_vs_float32_abs_diff": {"mean": round(float(diff.mean()), 5), "max": round(float(diff.max()), 4),
                                            "relative_l2": round(float(np.linalg.norm(diff) / np.linalg.norm(
                                                out["engine_float32"])), 5)}}


def case_memory(args):
    """Each frame count in a fresh process: the engine's peak memory, chunk ``--chunk``."""
    rows = {}
    for n in args.mem_frames:
        cmd = [sys.executable, __file__, "--_memory-frames", str(n)] + _forward(args)
        rows[n] = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    lo, hi = min(args.mem_frames), max(args.mem_frames)
    return {"peak_mib": {str(k): v["peak_mib"] for k, v in rows.items()},
            f"peak_ratio_{hi}_vs_{lo}": round(rows[hi]["peak_mib"] / max(rows[lo]["peak_mib"], 1e-6), 3)}


def _forward(args):
    return ["--arch", args.arch, "--device", args.device, "--dtype", args.dtype, "--size", str(args.size),
            "--steps", str(args.steps), "--chunk", str(args.chunk)]


def _memory_child(args):
    _, parts, _ = build(args)
    spec = _t2v_spec(args, args._memory_frames, args.chunk)
    run_edit(_t2v_spec(args, 2, args.chunk), parts)  # warm-up: lazy inits out of the measurement
    def render():  # as the pipeline does: frames leave chunk by chunk (to the encoder), nothing is kept
        return sum(len(c) for c in stream_edit(spec, parts, None, total_frames=spec.frames))

    import resource

    base = _rss_bytes()
    if parts.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    _, seconds, _ = measure_once(render, parts.device)
    peak = (torch.cuda.max_memory_allocated() if parts.device.type == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024) - base
    print(json.dumps({"frames": args._memory_frames, "peak_mib": round(max(0, peak) / 2**20, 1), "seconds": seconds}))


def _warm_up(args, components, parts):
    """One small call of each side first, so lazy initialisation is not timed (``--warm-up-size``
    makes it cheap at full size: the libraries' lazy set-up, not this size's kernels)."""
    warm = argparse.Namespace(**{**vars(args), "size": args.warm_up_size or args.size})
    warm.steps = max(warm.steps, 6)  # the reference's t0/t1 indices need 6 steps
    warm.t1_index, warm.t0_index = warm.steps - 3, warm.steps - 6
    warm.motion_ref = args.motion_ref * args.size / warm.size
    x_t = _latent(warm, parts, 1, 0)
    _reference_t2v(warm, components, 2, x_t, 0)
    run_edit(_t2v_spec(warm, 2, 2).with_overrides(steps=2), parts)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", choices=("tiny", "sd15"), default="tiny")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--dtype", default=None)
    p.add_argument("--size", type=int, default=None)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--frames", type=int, default=8)
    p.add_argument("--long-frames", type=int, default=64)
    p.add_argument("--chunk", type=int, default=8)
    p.add_argument("--mem-frames", type=int, nargs=2, default=[16, 128])
    p.add_argument("--repeat", type=int, default=4, help="rounds per case, alternating which side runs first; "
                                                          "medians and the min/max ratio are reported")
    p.add_argument("--no-peak-memory", dest="peak_memory", action="store_false",
                   help="skip the per-side peak memory (a fresh process per side and case)")
    p.add_argument("--_peak", default="", help=argparse.SUPPRESS)
    p.add_argument("--cases", default="text2video,controlnet,long,memory")
    p.add_argument("--_memory-frames", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--warm-up-size", type=int, default=0, help="size of the warm-up calls (default --size)")
    p.add_argument("--out", default="", help="also write the JSON here")
    args = p.parse_args(argv)
    args.dtype = args.dtype or ("float16" if args.device.startswith("cuda") else "float32")
    args.size = args.size or (512 if args.arch == "sd15" else 64)
    args.steps = args.steps or (20 if args.arch == "sd15" else 8)
    # reference t0/t1 indices (from the end of the step list) and the timesteps they name
    # (text2video and long need --steps >= 6; other cases run any step count)
    args.t1_index, args.t0_index = max(args.steps, 6) - 3, max(args.steps, 6) - 6
    # the reference's flow is on a 512² grid: this strength moves one whole latent pixel per frame
    # (nearest warping, so both sides move the same pixels)
    args.motion_ref = 512 * 8 / args.size if args.arch == "sd15" else 512 * 4 / args.size
    sched = build_scheduler()
    sched.set_timesteps(max(args.steps, 6))
    ts = [int(t) for t in sched.timesteps]
    args.t1_index_time, args.t0_index_time = ts[-args.t1_index - 1], ts[-args.t0_index - 1]
    torch.set_grad_enabled(False)
    REPEAT[0] = max(1, args.repeat)
    if args._memory_frames:
        return _memory_child(args)
    if args._peak:
        return _peak_child(args)
    started = time.perf_counter()
    components, parts, controlnet = build(args)
    _warm_up(args, components, parts)
    cases = args.cases.split(",")
    report = {"config": {k: v for k, v in vars(args).items() if not k.startswith("_")},
              "device": torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu",
              "threads": torch.get_num_threads()}
    if "text2video" in cases:
        report["text2video"] = case_text2video(args, components, parts)
    if "controlnet" in cases:
        report["controlnet"] = case_controlnet(args, components, parts, controlnet)
    if "long" in cases:
        report["long"] = case_long(args, components, parts, controlnet)
    if "memory" in cases:
        report["memory"] = case_memory(args)
    if "default_dtype" in cases:
        report["default_dtype"] = case_default_dtype(args, components, parts, controlnet)
    report["total_s"] = round(time.perf_counter() - started, 1)
    text = json.dumps(report, indent=2)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
