"""Issue 16 item 10: sizes are bounded by what the encoders and the machine take, in one line, up front.

Run under an address-space limit: a size that slipped through would try to allocate gigabytes.
"""
from __future__ import annotations

import resource
import subprocess
import sys

import pytest

from t2vz_edit.media.synth import make_clip

LIMIT = 5 * 2**30


def _limited():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("sizes") / "c.mp4", frames=4, width=64, height=48)


@pytest.mark.parametrize("args, expected", [
    (("trim", "{clip}", "--size", "16000x16000", "-o", "{out}/t.mp4"), "--size 16000x16000 is too large"),
    (("trim", "{clip}", "--size", "64x20000", "--codec", "png", "-o", "{out}/seq"), "is too large"),
    (("conditions", "{clip}", "-k", "canny", "--size", "16000", "-o", "{out}/m.mp4"), "--size 16000 is outside"),
    (("score", "{clip}", "{clip}", "--size", "100000"), "--size 100000 is outside"),
], ids=["trim", "trim-png", "conditions", "score"])
def test_absurd_size_is_refused_in_one_line(clip, tmp_path, args, expected):
    argv = [a.format(clip=clip, out=tmp_path) for a in args]
    result = subprocess.run([sys.executable, "-m", "t2vz_edit", *argv], capture_output=True, text=True,
                            preexec_fn=_limited, timeout=300)
    err = result.stderr.strip()
    assert result.returncode == 2 and len(err.splitlines()) == 1 and expected in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def clip_8k(tmp_path_factory):
    """Two flat 8192x8192 frames (H.264 ultrafast: a few seconds, a few hundred kB)."""
    import av
    import numpy as np

    path = tmp_path_factory.mktemp("8k") / "big.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width = stream.height = 8192
        stream.pix_fmt, stream.options = "yuv420p", {"preset": "ultrafast"}
        for value in (40, 80):
            frame = av.VideoFrame.from_ndarray(np.full((8192, 8192, 3), value, np.uint8), format="rgb24")
            container.mux(stream.encode(frame.reformat(format="yuv420p")))
        container.mux(stream.encode(None))
    return path


def test_score_at_the_source_size_of_an_8k_clip_is_bounded(clip_8k):
    """Issue 16 item 10: ``score --size 0`` on an 8192² clip was OOM-killed; now one line, before decoding."""
    result = subprocess.run([sys.executable, "-m", "t2vz_edit", "score", str(clip_8k), str(clip_8k), "--size", "0"],
                            capture_output=True, text=True, preexec_fn=_limited, timeout=300)
    err = result.stderr.strip()
    assert result.returncode == 2 and len(err.splitlines()) == 1, err
    assert "8192x8192" in err and "--size 4096" in err and str(clip_8k) in err


def test_a_claimed_100000_square_picture_is_named_as_such(tmp_path):
    """Issue 16 item 12: a header claiming 100000x100000 said "Device or resource busy"; now it names the size."""
    clip = tmp_path / "huge.y4m"
    clip.write_bytes(b"YUV4MPEG2 W100000 H100000 F24:1 Ip A1:1 C420jpeg\nFRAME\n" + bytes(1000))
    for argv in (["probe", str(clip)], ["trim", str(clip), "-o", str(tmp_path / "t.mp4"), "--progress", "none"]):
        result = subprocess.run([sys.executable, "-m", "t2vz_edit", *argv], capture_output=True, text=True,
                                preexec_fn=_limited, timeout=120)
        err = result.stderr.strip()
        assert result.returncode == 1 and len(err.splitlines()) == 1, err
        assert "100000x100000" in err and "busy" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["huge.y4m"]
