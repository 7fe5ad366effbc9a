"""Decode + re-encode a synthesized 1080p clip at 60 and 600 frames; peak memory must not grow with length.

    python benchmarks/bench_media.py [--frames 60 600] [--long-side 512]

Each length runs in its own subprocess (so peak RSS is that run's own). Prints JSON: frames per
second and peak RSS for each, and ``peak_ratio`` = peak(600) / peak(60) (target <= 1.2).
The reference is the 60-frame run measured in the same invocation.
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


def one_run(frames: int, folder: Path, long_side: int | None) -> dict:
    from t2vz_edit.media.decode import iter_chunks
    from t2vz_edit.media.encode import open_render
    from t2vz_edit.media.probe import probe
    from t2vz_edit.media.ranges import FrameRange
    from t2vz_edit.media.synth import make_clip

    src = make_clip(folder / f"src{frames}.mp4", frames=frames, width=1920, height=1080, rate=Fraction(24000, 1001),
                    audio={"channels": 2, "sample_rate": 48000}, timecode="01:00:00:00", crf=23)
    info = probe(src)
    whole = FrameRange(0, info.frame_count)
    started = time.perf_counter()
    with open_render(folder / f"out{frames}.mp4", info, whole, preset="veryfast") as render:
        for chunk in iter_chunks(info, whole, chunk_frames=16, long_side=long_side):
            render.write(chunk.frames)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"frames": frames, "seconds": round(seconds, 2), "fps": round(frames / seconds, 2),
            "peak_rss_mib": round(peak_kib / 1024, 1), "long_side": long_side}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, nargs="+", default=[60, 600])
    parser.add_argument("--long-side", type=int, default=None, help="decode at a working size (default: 1080p)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(args.child, Path(args.dir), args.long_side)))
        return
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for frames in args.frames:
            cmd = [sys.executable, __file__, "--child", str(frames), "--dir", folder]
            if args.long_side:
                cmd += ["--long-side", str(args.long_side)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True)
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    report = {"runs": results}
    if len(results) >= 2:
        report["peak_ratio"] = round(results[-1]["peak_rss_mib"] / results[0]["peak_rss_mib"], 3)
        report["target"] = "peak_ratio <= 1.2"
        report["ok"] = report["peak_ratio"] <= 1.2
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
