"""Issue 16 item 12: a full disk is reported as a full disk, naming the output's folder, and leaves nothing.

Real full disks (a size-limited tmpfs, see ``small_disk`` in tests/conftest.py). Before: a full
disk during the audio copy said "the audio track is corrupt — re-export the clip" (blaming the
source), and one during the video said ``unexpected OSError`` naming a hidden temporary file.
"""
from __future__ import annotations

import errno
import subprocess
import sys
from fractions import Fraction

import pytest

from t2vz_edit.media.synth import make_clip


@pytest.fixture(scope="module")
def loud_clip(tmp_path_factory):
    """Mostly audio (PCM): a full disk strikes while audio packets are being copied."""
    return make_clip(tmp_path_factory.mktemp("loud") / "loud.mov", frames=48, width=64, height=48, rate=Fraction(24),
                     audio={"channels": 2, "sample_rate": 48000, "codec": "pcm_s16le"})


@pytest.fixture(scope="module")
def busy_clip(tmp_path_factory):
    """Mostly video: a full disk strikes while video is being written."""
    return make_clip(tmp_path_factory.mktemp("busy") / "busy.mov", frames=96, width=320, height=240,
                     rate=Fraction(24), audio={"channels": 2, "sample_rate": 48000})


@pytest.mark.parametrize("which, out_name, codec", [("loud", "out.mov", "h264"), ("busy", "out.mov", "h264"),
                                                   ("busy", "seq", "png")],
                         ids=["during-audio", "during-video", "png-frames"])
def test_a_full_disk_names_the_output_folder_and_leaves_nothing(small_disk, loud_clip, busy_clip, which, out_name,
                                                                codec):
    disk = small_disk("40k")
    clip = loud_clip if which == "loud" else busy_clip
    result = subprocess.run([sys.executable, "-m", "t2vz_edit", "trim", str(clip), "--codec", codec, "-o",
                             str(disk / out_name), "--progress", "none"], capture_output=True, text=True, timeout=300)
    err = result.stderr.strip()
    assert result.returncode == 1 and len(err.splitlines()) == 1, err
    assert f"{disk}: the output folder's disk is full" in err and "-o" in err, err
    assert "corrupt" not in err and "re-export" not in err and "unexpected" not in err and "t2vz-partial" not in err
    assert list(disk.iterdir()) == []


def test_a_full_disk_elsewhere_names_that_folder_not_a_temp_file(monkeypatch, tmp_path, capsys):
    """Any disk-full OSError the commands did not name themselves (a cache, the store) still gets one line."""
    from t2vz_edit.cli.app import main

    hidden = tmp_path / "cache" / ".maps_000016.partial-123"

    def full(path):
        raise OSError(errno.ENOSPC, "No space left on device", str(hidden))
    monkeypatch.setattr("t2vz_edit.media.probe.probe", full)
    with pytest.raises(SystemExit) as exc:
        main(["trim", str(tmp_path / "any.mov"), "-o", str(tmp_path / "o.mp4"), "--progress", "none"])
    err = capsys.readouterr().err.strip()
    assert exc.value.code == 1 and err.startswith(f"error: {hidden.parent}: ") and "disk is full" in err, err
    assert "unexpected" not in err and "partial" not in err
