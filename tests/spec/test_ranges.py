from __future__ import annotations

import pytest

from t2vz_edit.spec.errors import UsageError
from t2vz_edit.spec.ranges import parse_range


@pytest.mark.parametrize("text, kind, start, end, length, unit", [
    ("100-200", "frames", 100, 200, None, "frames"),
    ("100+50", "frames", 100, None, 50, "frames"),
    ("100-", "frames", 100, None, None, "frames"),
    ("2.5s-4s", "seconds", 2.5, 4.0, None, "frames"),
    ("2.5s+1.5s", "seconds", 2.5, None, 1.5, "seconds"),
    ("01:00:01:00-01:00:02:00", "timecode", "01:00:01:00", "01:00:02:00", None, "frames"),
    ("01:00:01:00+48", "timecode", "01:00:01:00", None, 48, "frames"),
    ("00:59:59;28+4", "timecode", "00:59:59;28", None, 4, "frames"),
    (" 10 - 20 ", "frames", 10, 20, None, "frames"),
])
def test_parse_range_forms(text, kind, start, end, length, unit):
    req = parse_range(text)
    assert (req.kind, req.start, req.end, req.length, req.length_unit) == (kind, start, end, length, unit)


@pytest.mark.parametrize("text", ["", "abc", "10", "200-100", "5-5", "1s-20", "01:00:00:00+0", "10+x",
                                  "01:00:00:00-5"])
def test_bad_ranges_are_one_line_usage_errors(text):
    with pytest.raises(UsageError) as err:
        parse_range(text)
    assert "\n" not in str(err.value) and "--range" in str(err.value)
