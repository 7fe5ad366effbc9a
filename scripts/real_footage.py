#!/usr/bin/env python3
"""Real-footage acceptance: fetch public clips from Debian packages, run probe, trim and restyle.

Clips come from distribution packages by name and version, checked against pinned SHA-256 sums
(the .deb and each clip); nothing is committed to the repository. For each clip the script runs,
as a user would, ``t2vz-edit probe --json``, a mid-clip ``trim`` and a tiny-model ``restyle``,
and compares probe's frame count and rate with ``ffprobe -count_packets`` (FFmpeg's CLI is used
for the comparison only). Exit status 0 when every clip passes.

    python scripts/real_footage.py                      # cache in ~/.cache/t2vz-edit/real-footage
    python scripts/real_footage.py --cache /tmp/f --no-restyle --json report.json

Needs ``apt-get`` and ``dpkg-deb`` (Debian/Ubuntu with the Debian bookworm archive) and, for the
comparison, ``ffprobe``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    sha256: str


@dataclass(frozen=True)
class Clip:
    name: str
    package: Package
    path: str  # inside the package
    sha256: str
    covers: str


OPENCV_DOC = Package("opencv-doc", "4.6.0+dfsg-12", "4b12681df35878207ac7097dc66184b2ae552e4bf4ddd2af04a0f03ed0b8682a")
KIVY = Package("python-kivy-examples", "2.1.0-1", "ad619d8291a888b59e6f1942db52ad7f3c03373c195d6fc449fbf01721b4f4a1")
_DATA = "usr/share/doc/opencv-doc/examples/data/"
CLIPS = (
    Clip("Megamind.avi", OPENCV_DOC, _DATA + "Megamind.avi",
         "0057387cb7e75c8fd1663b62cfdc51fa53f527795d0fe3c1fea2fd159d3130b5",
         "AVI, MPEG-4 part 2, 2997/125 fps, AC-3 audio with a bad packet"),
    Clip("Megamind_bugy.avi", OPENCV_DOC, _DATA + "Megamind_bugy.avi",
         "b82dd32d5444031d1a46a133e7554be7b80c54d12e3503a1b1332a540218e22c", "AVI, MPEG-4 part 2, no audio"),
    Clip("tree.avi", OPENCV_DOC, _DATA + "tree.avi",
         "4666099d0f704e310047b2f0a5ec9f936cb76a7271de9a2e70a0c57f82ac82dc",
         "sparse capture AVI, Cinepak, RGB 4:4:4, 444 slots / 68 coded"),
    Clip("vtest.avi", OPENCV_DOC, _DATA + "vtest.avi",
         "45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf", "AVI, MS-MPEG-4 v3, 768x576 PAL"),
    Clip("cityCC0.mpg", KIVY, "usr/share/kivy-examples/widgets/cityCC0.mpg",
         "fe129d341e5b1a174336b956bf16d2b215a506c4a07f6fa3351a1e9b58ca0279",
         "MPEG-2 program stream (no index), 720x405"),
)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(clip: Clip, cache: Path) -> Path:
    """The clip's path in ``cache``, downloading and unpacking its package when needed."""
    target = cache / "root" / clip.path
    if target.is_file() and sha256(target) == clip.sha256:
        return target
    pkg = clip.package
    deb = cache / f"{pkg.name}_{pkg.version.replace(':', '%3a')}_all.deb"
    if not deb.is_file() or sha256(deb) != pkg.sha256:
        subprocess.run(["apt-get", "download", f"{pkg.name}={pkg.version}"], cwd=cache, check=True,
                       stdout=subprocess.DEVNULL)
        found = sorted(cache.glob(f"{pkg.name}_*.deb"))
        if not found or sha256(found[-1]) != pkg.sha256:
            raise SystemExit(f"{pkg.name} {pkg.version}: download missing or checksum differs; not using it")
        deb = found[-1]
    subprocess.run(["dpkg-deb", "-x", str(deb), str(cache / "root")], check=True)
    if sha256(target) != clip.sha256:
        raise SystemExit(f"{clip.name}: checksum differs from the pinned one; not using it")
    return target


def t2vz(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "t2vz_edit", *map(str, args)], capture_output=True, text=True,
                          env=env)


def probe_json(path: Path) -> dict:
    r = t2vz("probe", path, "--json")
    if r.returncode:
        raise RuntimeError(r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "probe failed")
    return json.loads(r.stdout)


def ffprobe(path: Path) -> dict | None:
    if not shutil.which("ffprobe"):
        return None
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
                        "stream=nb_read_packets,nb_frames,avg_frame_rate", "-of", "json", str(path)],
                       capture_output=True, text=True, check=True)
    stream = json.loads(r.stdout)["streams"][0]
    return {"packets": int(stream["nb_read_packets"]), "header": stream.get("nb_frames"),
            "rate": str(Fraction(stream["avg_frame_rate"]))}


def frames_agree(info: dict, ff: dict | None) -> bool:
    """probe = ffprobe's packets; a sparse clip: its coded frames = packets and slots = the header."""
    if ff is None:
        return True
    if info["sparse"]:
        return info["coded_frames"] == ff["packets"] and str(info["frame_count"]) == str(ff["header"])
    return info["frame_count"] == ff["packets"]


def _result(r: subprocess.CompletedProcess, out: Path, frames: int) -> str:
    if r.returncode:
        return "FAIL " + (r.stderr.strip().splitlines() or ["?"])[-1]
    got = probe_json(out)
    audio = ", ".join(f"{a['codec']} {a['duration_sec']:.3f}s" for a in got["audio"]) or "no audio"
    ok = got["frame_count"] == frames
    return f"{'ok' if ok else 'FAIL'} {got['frame_count']}/{frames} frames, tc {got['start_timecode']}, {audio}"


def run_clip(clip: Clip, path: Path, work: Path, model: Path | None) -> dict:
    row = {"clip": clip.name, "covers": clip.covers}
    try:
        info = probe_json(path)
    except RuntimeError as exc:
        return {**row, "probe": f"FAIL {exc}", "ok": False}
    ff = ffprobe(path)
    n = info["frame_count"]
    row.update(probe_frames=n, coded=info["coded_frames"], rate=info["rate"], sparse=info["sparse"],
               notes=info["notes"], ffprobe=ff, frames_agree=frames_agree(info, ff))
    start, count = n // 3, min(48, max(1, n // 3))
    out = work / f"{clip.name}.trim.mov"
    row["trim"] = _result(t2vz("trim", path, "--range", f"{start}+{count}", "-o", out, "--overwrite",
                               "--progress", "none"), out, count)
    if model is not None:
        out = work / f"{clip.name}.restyle.mov"
        r = t2vz("restyle", path, "-i", "make it snowy", "--model", model, "--steps", "2", "--size", "64",
                 "--range", f"{start}+6", "-o", out, "--overwrite", "--progress", "none")
        row["restyle"] = _result(r, out, 6)
    row["ok"] = row["frames_agree"] and all(str(row.get(k, "ok")).startswith("ok") for k in ("trim", "restyle"))
    return row


def tiny_model(cache: Path) -> Path:
    from t2vz_edit.engine.tiny import save_tiny_pipeline

    folder = cache / "tiny-instruct"
    return folder if (folder / "model_index.json").is_file() else save_tiny_pipeline(folder, "instruct")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "t2vz-edit" / "real-footage")
    parser.add_argument("--clips", help="comma-separated clip names (default: all)")
    parser.add_argument("--no-restyle", action="store_true", help="skip the tiny-model restyle")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    work = args.cache / "renders"
    work.mkdir(exist_ok=True)
    chosen = [c for c in CLIPS if not args.clips or c.name in args.clips.split(",")]
    model = None if args.no_restyle else tiny_model(args.cache)
    rows = []
    for clip in chosen:
        row = run_clip(clip, fetch(clip, args.cache), work, model)
        rows.append(row)
        ff = row.get("ffprobe") or {}
        print(f"{'PASS' if row['ok'] else 'FAIL'} {clip.name} ({clip.covers})\n"
              f"  probe {row.get('probe_frames')} frames (coded {row.get('coded')}) @ {row.get('rate')}"
              f" | ffprobe packets {ff.get('packets')} header {ff.get('header')} @ {ff.get('rate')}"
              f" | agree {row.get('frames_agree')}\n"
              f"  trim: {row.get('trim')}\n  restyle: {row.get('restyle', 'skipped')}", flush=True)
        for note in row.get("notes", []):
            print(f"  note: {note}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    failed = sum(not r["ok"] for r in rows)
    print(f"{len(rows) - failed} of {len(rows)} clips passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
