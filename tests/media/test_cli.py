"""`t2vz-edit probe` / `trim` end to end, and one test per kind of bad input (issue 2, item 8)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from t2vz_edit.media.probe import probe


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "t2vz_edit", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)


def test_probe_json_and_table(clips):
    r = run("probe", clips["df2997_tc"], "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert (data["rate"], data["start_timecode"], data["frame_count"]) == ("30000/1001", "00:59:59;20", 48)
    table = run("probe", clips["phone_portrait"])
    assert table.returncode == 0 and "rotation" in table.stdout and "-90" in table.stdout


def test_trim_end_to_end(clips, tmp_path):
    out = tmp_path / "conform.mov"
    r = run("trim", clips["ntsc24_tc_stereo"], "--range", "01:00:01:00+12", "-o", out, "--codec", "prores",
            "--progress", "json")
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]
    assert events[-1]["event"] == "done" and events[-1]["frames"] == 12
    info = probe(out)
    assert (info.frame_count, info.start_timecode, info.bit_depth) == (12, "01:00:01:00", 10)
    assert json.loads(Path(str(out) + ".json").read_text())["provenance"]["mode"] == "trim"


def _audio_only(path, with_empty_video=False):
    with av.open(str(path), "w") as c:
        if with_empty_video:  # a video track with no frames at all
            video = c.add_stream("libx264", rate=25)
            video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        stream = c.add_stream("aac", rate=48000, layout="stereo")
        for i in range(10):
            frame = av.AudioFrame.from_ndarray(np.zeros((2, 1024), np.float32), format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = 48000, i * 1024
            c.mux(stream.encode(frame))
        c.mux(stream.encode(None))
    return path


def _zeroed_packets(src, path):
    """Same container and index, every video packet's bytes zeroed: nothing decodes."""
    data = bytearray(Path(src).read_bytes())
    with av.open(str(src)) as c:
        for entry in c.streams.video[0].index_entries:
            data[entry.pos:entry.pos + entry.size] = bytes(entry.size)
    path.write_bytes(bytes(data))
    return path


BAD_INPUTS = {  # name → (builder(tmp_path, clips) -> path, exit code, words in the message)
    "missing": (lambda t, c: t / "nope.mov", 2, "no such file"),
    "directory": (lambda t, c: t, 2, "is a folder"),
    "not media": (lambda t, c: (t / "notes.mp4").write_text("hello") and t / "notes.mp4", 1, "not a media file"),
    "truncated": (lambda t, c: (t / "cut.mov").write_bytes(Path(c["pal25"]).read_bytes()[:20000]) and t / "cut.mov",
                  1, "cut short"),
    "audio only": (lambda t, c: _audio_only(t / "voice.m4a"), 1, "no video stream"),
    "zero frames": (lambda t, c: _audio_only(t / "empty.mkv", with_empty_video=True), 1, "no decodable video frames"),
    "corrupt packets": (lambda t, c: _zeroed_packets(c["pal25"], t / "zeros.mp4"), 1, "corrupt"),
    "absurd dimensions": (lambda t, c: (t / "huge.y4m").write_bytes(
        b"YUV4MPEG2 W17000 H64 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + bytes(17000 * 64 * 3 // 2)) and t / "huge.y4m",
        1, "absurd dimensions"),
}


@pytest.mark.parametrize("kind", list(BAD_INPUTS))
@pytest.mark.parametrize("command", ["probe", "trim"])
def test_bad_input_one_line_exit_code_no_output(clips, tmp_path, kind, command):
    build, code, words = BAD_INPUTS[kind]
    inputs = tmp_path / "in"
    inputs.mkdir()
    bad = build(inputs, clips)
    out_dir = tmp_path / "renders"
    args = ("probe", bad) if command == "probe" else ("trim", bad, "-o", out_dir / "out.mp4")
    r = run(*args)
    assert r.returncode == code, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and str(Path(bad).name) in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert not out_dir.exists() or list(out_dir.iterdir()) == []


def test_range_outside_clip_names_the_real_extent(clips, tmp_path):
    r = run("trim", clips["ntsc24_tc_stereo"], "--range", "40-60", "-o", tmp_path / "o.mp4")
    assert r.returncode == 2 and "frames 0-48" in r.stderr and "01:00:00:00-01:00:02:00" in r.stderr
    assert "Traceback" not in r.stderr and list(tmp_path.iterdir()) == []


def test_unwritable_output_folder(clips, tmp_path):
    (tmp_path / "file").write_text("x")
    r = run("trim", clips["pal25"], "-o", tmp_path / "file" / "o.mp4")
    assert r.returncode == 2 and "output folder" in r.stderr and "o.mp4" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_existing_output_and_output_equal_to_input(clips, tmp_path):
    existing = tmp_path / "o.mp4"
    existing.write_bytes(b"keep")
    r = run("trim", clips["pal25"], "-r", "0+4", "-o", existing)
    assert r.returncode == 2 and "--overwrite" in r.stderr and existing.read_bytes() == b"keep"
    r = run("trim", clips["pal25"], "-r", "0+4", "-o", clips["pal25"], "--overwrite")
    assert r.returncode == 2 and "is also an input" in r.stderr


def test_debug_shows_the_traceback(tmp_path):
    r = run("--debug", "probe", tmp_path / "nope.mov")
    assert r.returncode == 2 and "Traceback" in r.stderr
