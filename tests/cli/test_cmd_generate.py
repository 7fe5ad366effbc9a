"""`t2vz-edit generate` end to end with tiny random models (offline)."""
from __future__ import annotations

from fractions import Fraction

import av
import pytest

from t2vz_edit.cli.app import main

FAST = ["--tiny", "--steps", "4", "--size", "64", "--t0", "0.5", "--t1", "0.75", "--progress", "none"]


def test_generate_writes_a_video_with_the_asked_frame_count_and_rate(tmp_path, capsys):
    out = tmp_path / "horse.mp4"
    with pytest.raises(SystemExit) as exc:
        main(["generate", "a horse galloping", "--frames", "5", "--motion", "1,1", "--strength", "12",
              "--fps", "24000/1001", "-o", str(out), *FAST])
    assert exc.value.code == 0
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert sum(1 for _ in container.decode(stream)) == 5
        assert stream.average_rate == Fraction(24000, 1001) and (stream.width, stream.height) == (64, 64)
    printed = capsys.readouterr().out
    assert "RANDOM weights" in printed
    assert "compute cpu float32" in printed  # the dtype is said, tiny models never switch to bfloat16


@pytest.mark.parametrize("args, message", [
    (["--motion", "1"], "--motion '1': give two numbers"),
    # t0/t1 that round to one timestep now warp across the next step; a reversed pair is refused
    (["--t0", "0.95", "--t1", "0.9"], "need t0 < t1"),
    (["--fps", "zero"], "--fps 'zero'"),
])
def test_bad_settings_fail_with_one_line_and_no_output(tmp_path, capsys, args, message):
    out = tmp_path / "x.mp4"
    with pytest.raises(SystemExit) as exc:
        main(["generate", "a horse", "-o", str(out), *FAST, *args])
    err = capsys.readouterr().err.strip()
    assert exc.value.code == 2 and message in err and len(err.splitlines()) == 1
    assert not out.exists() and not list(tmp_path.iterdir())
