"""The engine on the real SD1.5 shapes (860 M UNet, 84 M VAE, 123 M CLIP; random weights) on CPU.

Shows the engine runs full-size shapes end to end — text encoding, motion dynamics (anchor
backward, spectral warp, re-noise), cross-frame attention over 8 frames at 64×64 latents,
smoothing, VAE decode at 512² — and prints JSON with seconds per frame-step, seconds per UNet
sample, the achieved rate against the nominal 0.80 TFLOP of one SD1.5 UNet forward at 512²
(FIELD_NOTES), and peak resident memory. No weights are downloaded; nothing is timed in tests.

    python benchmarks/bench_fullsize_cpu.py                 # 2 steps, 512², 8 frames, guidance 1
    python benchmarks/bench_fullsize_cpu.py --guidance 7.5  # two guidance groups (twice the UNet work)
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--guidance", type=float, default=1.0)
    ap.add_argument("--chunk", type=int, default=8)
    ap.add_argument("--smooth", action="store_true", help="background smoothing on (saliency masks)")
    args = ap.parse_args()

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
