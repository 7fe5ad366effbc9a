"""Restyle memory and stage costs with tiny models on a synthesized 1080p clip.

    python benchmarks/bench_restyle.py [--frames 48 480] [--size 512] [--steps 4] [--control canny]

1. Memory: a full `restyle` (ControlNet mode, canny maps, tiny random models saved and loaded
   through the real loading path) over each length, each in its own subprocess, so its peak
   RSS is its own. Target: peak(480) <= 1.25 x peak(48), measured in the same invocation.
2. Stages: seconds per frame of decode, conditions, engine and encode, each timed in
   isolation on the shorter clip (the full run interleaves them), so you can see which one
   dominates. With tiny models the engine is cheap; with SD1.5 it is ~100x more.
Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path


def make_source(folder: Path, frames: int) -> Path:
    from t2vz_edit.media.synth import make_clip

    return Path(make_clip(folder / f"src{frames}.mp4", frames=frames, width=1920, height=1080,
                          rate=Fraction(24000, 1001), audio={"channels": 2, "sample_rate": 48000},
                          timecode="01:00:00:00", crf=28))


def child_restyle(src: Path, models: Path, args) -> dict:
    from t2vz_edit.pipeline.restyle import restyle

    started = time.perf_counter()
    result = restyle(src, prompt="a claymation figure", controls=[{"kind": args.control, "model": str(models / "cn")}],
                     model=str(models / "sd"), steps=args.steps, size=args.size, chunk_size=8, seed=0,
                     output=src.with_name(src.stem + ".out.mp4"), overwrite=True)
    seconds = time.perf_counter() - started
    return {"frames": result.frame_count, "seconds": round(seconds, 2),
            "seconds_per_frame": round(seconds / result.frame_count, 4),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def stage_costs(src: Path, models: Path, args) -> dict:
    """Each stage alone over the whole clip: seconds per frame."""
    import numpy as np

    from t2vz_edit.engine.models.loading import load_parts
    from t2vz_edit.engine.run import EngineInput, stream_edit
    from t2vz_edit.media.decode import iter_chunks, working_size
    from t2vz_edit.media.encode import open_render
    from t2vz_edit.media.probe import probe
    from t2vz_edit.media.ranges import FrameRange
    from t2vz_edit.pipeline.conditions_job import compute_conditions
    from t2vz_edit.pipeline.spec_builder import build_spec

    info = probe(src)
    span = FrameRange(0, info.frame_count)
    w, h = working_size(info, args.size)
    t = {}
    start = time.perf_counter()
    chunks = [c.frames for c in iter_chunks(info, span, chunk_frames=8, long_side=args.size)]
    t["decode"] = time.perf_counter() - start
    start = time.perf_counter()
    maps = compute_conditions(src, args.control, frame_range=span, long_side=args.size, refresh=True)
    t["conditions"] = time.perf_counter() - start
    spec = build_spec(prompt="a claymation figure", controls=[{"kind": args.control, "model": str(models / "cn")}],
                      model=str(models / "sd"), steps=args.steps, size=args.size, chunk_size=8, seed=0)
    parts = load_parts(spec)
    inputs = [EngineInput(frames=f, controls={args.control: maps.read(i * 8, i * 8 + len(f))})
              for i, f in enumerate(chunks)]
    start = time.perf_counter()
    rendered = list(stream_edit(spec, parts, inputs, total_frames=span.count, size_hw=(h, w)))
    t["engine"] = time.perf_counter() - start
    start = time.perf_counter()
    with open_render(src.with_name("enc.mp4"), info, span, overwrite=True) as render:
        for frames in rendered:
            render.write(np.asarray(frames))
    t["encode"] = time.perf_counter() - start
    per_frame = {k: round(v / span.count, 4) for k, v in t.items()}
    return {"seconds_per_frame": per_frame, "engine_share": round(t["engine"] / sum(t.values()), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, nargs=2, default=[48, 480])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--control", default="canny")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--models", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_restyle(Path(args.child), Path(args.models), args)))
        return
    from t2vz_edit.engine.tiny import save_tiny_controlnet, save_tiny_pipeline

    with tempfile.TemporaryDirectory(prefix="t2vz-bench-") as tmp:
        folder = Path(tmp)
        models = folder / "models"
        save_tiny_pipeline(models / "sd", "sd")
        save_tiny_controlnet(models / "cn")
        runs = []
        for frames in args.frames:
            src = make_source(folder, frames)
            cmd = [sys.executable, __file__, "--child", str(src), "--models", str(models), "--size", str(args.size),
                   "--steps", str(args.steps), "--control", args.control]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        stages = stage_costs(make_source(folder, args.frames[0]), models, args)
    ratio = runs[1]["peak_rss_mib"] / runs[0]["peak_rss_mib"]
    print(json.dumps({"benchmark": "restyle", "runs": runs, "peak_ratio": round(ratio, 3), "target_peak_ratio": 1.25,
                      "ok": ratio <= 1.25, "stages": stages, "size": args.size, "steps": args.steps}, indent=2))


if __name__ == "__main__":
    main()
