from __future__ import annotations

from fractions import Fraction

import pytest

from t2vz_edit.media.timecode import frames_to_timecode, offset_timecode, timecode_to_frames
from t2vz_edit.spec.errors import UsageError

DF30, DF60 = Fraction(30000, 1001), Fraction(60000, 1001)


@pytest.mark.parametrize("rate", [DF30, DF60])
def test_drop_frame_round_trips_every_frame_of_eleven_minutes(rate):
    for n in range(0, round(rate * 660)):
        assert timecode_to_frames(frames_to_timecode(n, rate, drop_frame=True), rate) == n


def test_drop_frame_skips_labels_except_every_tenth_minute():
    assert frames_to_timecode(1799, DF30, True) == "00:00:59;29"
    assert frames_to_timecode(1800, DF30, True) == "00:01:00;02"  # ;00 and ;01 do not exist
    assert frames_to_timecode(17982, DF30, True) == "00:10:00;00"  # tenth minute keeps them
    assert frames_to_timecode(3600, DF60, True) == "00:01:00;04"
    # one hour of 29.97 DF is 107892 frames: the label matches the wall clock
    assert timecode_to_frames("01:00:00;00", DF30) == 107892


def test_non_drop_and_offsets():
    assert timecode_to_frames("01:00:00:00", Fraction(24000, 1001)) == 86400
    assert offset_timecode("01:00:00:00", 13, Fraction(24000, 1001)) == "01:00:00:13"
    assert offset_timecode("00:59:59;28", 13, DF30) == "01:00:00;11"
    assert offset_timecode("00:00:10:00", 30, Fraction(25)) == "00:00:11:05"


@pytest.mark.parametrize("bad", ["1:00", "01:00:00:30", "01:61:00:00", "xx:00:00:00"])
def test_bad_timecodes_raise(bad):
    with pytest.raises(UsageError):
        timecode_to_frames(bad, Fraction(30))
