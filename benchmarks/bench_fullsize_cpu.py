"""The engine on the real SD1.5 shapes (860 M UNet, 84 M VAE, 123 M CLIP; random weights) on CPU.

Shows the engine runs full-size shapes end to end — text encoding, motion dynamics (anchor
backward, spectral warp, re-noise), cross-frame attention over 8 frames at 64×64 latents,
smoothing, VAE decode at 512² — and prints JSON with seconds per frame-step, seconds per UNet
sample, the achieved rate against the nominal 0.80 TFLOP of one SD1.5 UNet forward at 512²
(FIELD_NOTES), and peak resident memory. No weights are downloaded; nothing is timed in tests.

    python benchmarks/bench_fullsize_cpu.py                 # 2 steps, 512², 8 frames, guidance 1
    python benchmarks/bench_fullsize_cpu.py --guidance 7.5  # two guidance groups (twice the UNet work)
    python benchmarks/bench_fullsize_cpu.py --draft --size 256 --frames 1 --out benchmarks/results/cpu-fullsize-draft.json

``--draft``: draft mode against the full render at the full-size config, ControlNet (canny) video,
in the dtype ``--dtype auto`` picks here (``auto_cpu_dtype``; ``--dtype`` overrides). The draft
(4 LCM steps, guidance 1 = one group, TAESD decode) is timed end to end; the full render (DDIM,
guidance 9 = two groups, SD VAE decode) is timed at 2 steps and projected to 20 (the reference's
ControlNet setting) and 50 steps from its measured per-step time (the 2-step run less its decode
and prompt encoding, each timed apart). The full VAE vs TAESD decode times are measured apart.
The draft LoRA is not fused (random weights; a fused LoRA costs nothing at inference).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

import torch

from t2vz_edit.engine.parts import EngineParts
from t2vz_edit.engine.run import run_edit
from t2vz_edit.engine.tiny import build_tiny
from t2vz_edit.spec.edit_spec import EditSpec

UNET_TFLOP_512 = 0.80  # one SD1.5 UNet forward, batch 1, 512² (FIELD_NOTES "Cost of the work")


def _rss_gib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**30


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # kB on Linux


class StageClock:
    """Progress callback that notes when each stage last reported."""

    def __init__(self):
        self.start, self.last = time.perf_counter(), {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.last[stage] = time.perf_counter() - self.start
        print(f"{self.last[stage]:8.1f} s  {stage} {done}/{total}", file=sys.stderr, flush=True)


def draft_vs_full(args) -> dict:
    """Draft (timed end to end) against the full render (2 steps timed, projected); decode times apart."""
    import dataclasses

    import numpy as np

    from t2vz_edit.engine import vae
    from t2vz_edit.engine.models.device import auto_cpu_dtype
    from t2vz_edit.engine.modes.base import encode_prompt
    from t2vz_edit.engine.tiny import build_controlnet, build_taesd, sd15_configs
    from t2vz_edit.spec.edit_spec import ControlSpec

    comps = build_tiny("sd", seed=0, arch="sd15")
    net = build_controlnet(seed=1, config=sd15_configs()["controlnet"])
    if args.dtype == "auto":
        dtype, why = auto_cpu_dtype(comps["unet"].config, (args.size, args.size))
    else:
        dtype, why = getattr(torch, args.dtype), f"--dtype {args.dtype}"
    for module in (comps["unet"], comps["text_encoder"], comps["vae"], net):
        torch.nn.Module.to(module, dtype=dtype)
    taesd = build_taesd(arch="sd15").to(dtype)
    full = EngineParts.from_components(comps, {"canny": net})
    draft = dataclasses.replace(full, draft_vae=taesd)
    maps = (np.random.default_rng(0).random((args.frames, args.size, args.size, 3)) > 0.8).astype(np.uint8) * 255
    spec = EditSpec(mode="controlnet", prompt="a robot dancing", controls=(ControlSpec("canny"),), steps=2,
                    size=args.size, guidance_scale=9.0, scheduler="ddim", chunk_size=args.frames, seed=3)
    draft_spec = spec.with_overrides(draft=True)  # 4 LCM steps, guidance 1

    def timed(fn):
        t = time.perf_counter()
        fn()
        seconds = time.perf_counter() - t
        print(f"{seconds:8.1f} s", file=sys.stderr, flush=True)
        return seconds

    run_edit(spec.with_overrides(size=64, steps=1), full, controls={"canny": maps[:, :64, :64]})  # lazy set-up
    run_edit(draft_spec.with_overrides(size=64), draft, controls={"canny": maps[:, :64, :64]})
    latent = torch.randn(args.frames, 4, args.size // 8, args.size // 8).to(dtype)
    decode = {"full_vae_s": timed(lambda: vae.decode(full, latent, args.frames)),
              "taesd_s": timed(lambda: vae.decode(draft, latent, args.frames))}
    text_s = timed(lambda: [encode_prompt(full, t, torch.device("cpu"), dtype) for t in ("a robot dancing", "")])
    draft_s = timed(lambda: run_edit(draft_spec, draft, controls={"canny": maps}))
    full2_s = timed(lambda: run_edit(spec, full, controls={"canny": maps}))
    step_s = (full2_s - decode["full_vae_s"] - text_s) / 2  # one DDIM step, two groups, UNet + ControlNet
    projected = {n: full2_s + (n - 2) * step_s for n in (20, 50)}
    n = args.frames
    return {"device": "cpu", "threads": torch.get_num_threads(), "arch": "sd15 (random weights)", "mode": "controlnet",
            "size": args.size, "frames": n, "dtype": str(dtype).replace("torch.", ""), "why": why,
            "draft": {"steps": 4, "guidance_groups": 1, "decoder": "TAESD", "s_per_frame": round(draft_s / n, 1)},
            "full_2_steps": {"guidance_groups": 2, "decoder": "SD VAE", "s_per_frame": round(full2_s / n, 1),
                             "s_per_step": round(step_s / n, 1), "prompt_encoding_s": round(text_s, 1)},
            "full_projected_s_per_frame": {str(k): round(v / n, 1) for k, v in projected.items()},
            "draft_speedup_projected": {f"vs_{k}_steps": round(v / draft_s, 1) for k, v in projected.items()},
            "decode_s_per_frame": {k: round(v / n, 2) for k, v in decode.items()},
            "decode_ratio_full_vae_vs_taesd": round(decode["full_vae_s"] / decode["taesd_s"], 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--guidance", type=float, default=1.0)
    ap.add_argument("--chunk", type=int, default=8)
    ap.add_argument("--smooth", action="store_true", help="background smoothing on (saliency masks)")
    ap.add_argument("--draft", action="store_true", help="draft vs full render at the full-size config (see above)")
    ap.add_argument("--dtype", default="auto", help="with --draft: auto (what --dtype auto picks here), float32, bfloat16")
    ap.add_argument("--out", default="", help="also write the JSON here")
    args = ap.parse_args()
    torch.set_grad_enabled(False)
    if args.draft:
        t = time.perf_counter()
        report = draft_vs_full(args)
        report["total_s"] = round(time.perf_counter() - t, 1)
        text = json.dumps(report, indent=1)
        if args.out:
            with open(args.out, "w") as fh:
                fh.write(text + "\n")
        print(text)
        return

    t = time.perf_counter()
    parts = EngineParts.from_components(build_tiny("sd", seed=0, arch="sd15"))
    build_s, model_rss = time.perf_counter() - t, _rss_gib()
    print(f"built SD1.5-sized random models in {build_s:.1f} s, {model_rss:.2f} GiB resident", file=sys.stderr)
    samples = [0]
    parts.unet.register_forward_pre_hook(lambda _m, a, kw: samples.__setitem__(0, samples[0] + len(
        (a[0] if a else kw["sample"]))), with_kwargs=True)
    spec = EditSpec(mode="text2video", prompt="a horse galloping on a beach", frames=args.frames,
                    steps=args.steps, size=args.size, guidance_scale=args.guidance, chunk_size=args.chunk,
                    smooth_background=args.smooth, device="cpu", dtype="float32")
    clock = StageClock()
    video = run_edit(spec, parts, progress=clock)
    total_s = time.perf_counter() - clock.start
    denoise_s = clock.last.get("denoise", total_s)
    groups = 2 if args.guidance > 1 else 1
    unet_samples = samples[0]
    frame_steps = unet_samples // groups  # one frame through one step: anchor backward + frames × joint steps
    print(json.dumps({
        "device": "cpu", "threads": torch.get_num_threads(), "arch": "sd15 (random weights)",
        "size": args.size, "frames": args.frames, "steps": args.steps, "guidance_groups": groups,
        "output_shape": list(video.shape), "build_s": round(build_s, 1),
        "total_s": round(total_s, 1), "denoise_s": round(denoise_s, 1), "decode_s": round(total_s - denoise_s, 1),
        "unet_samples": unet_samples, "frame_steps": frame_steps,
        "s_per_frame_step": round(denoise_s / frame_steps, 2),
        "s_per_unet_sample": round(denoise_s / unet_samples, 2),
        "achieved_tflops": round(UNET_TFLOP_512 * (args.size / 512) ** 2 * unet_samples / denoise_s, 4),
        "model_rss_gib": round(model_rss, 2), "peak_rss_gib": round(_peak_rss_gib(), 2),
        "peak_over_models_gib": round(_peak_rss_gib() - model_rss, 2),
    }, indent=1))


if __name__ == "__main__":
    main()
