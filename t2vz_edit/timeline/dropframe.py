"""Drop-frame labels in written files: what an editor reads must match the frame counts.

Frame counts survive every writer; the labels did not: the FCP7 writer marks every timecode
``NDF`` (a 29.97 sequence start read ``00:59:56:12 ... NDF``), the AAF writer writes
``Drop=False`` for 29.97 and ``Drop=True`` for 23.976 sources, and the CMX writer writes no
``FCM`` line. The project's rule (SMPTE 12M): 29.97 and 59.94 count drop-frame, every other
rate non-drop. Each written file is relabelled here after the adapter wrote it.

>>> root = ET.fromstring("<t><timecode><rate><timebase>30</timebase><ntsc>TRUE</ntsc></rate>"
...                      "<string>00:59:56:12</string><frame>107892</frame><displayformat>NDF</displayformat></timecode></t>")
>>> label_fcp7(root)
>>> root.find("timecode/string").text, root.find("timecode/displayformat").text
('01:00:00;00', 'DF')
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from t2vz_edit.timeline.rates import is_drop_frame


def _fcp7_rate(element: ET.Element) -> Fraction | None:
    timebase = element.findtext("rate/timebase")
    if not timebase or not timebase.strip().isdigit():
        return None
    ntsc = (element.findtext("rate/ntsc") or "").strip().upper() == "TRUE"
    return Fraction(int(timebase) * 1000, 1001) if ntsc else Fraction(int(timebase))


def label_fcp7(root: ET.Element) -> None:
    """Every ``<timecode>``: ``displayformat`` DF/NDF from its rate, ``string`` from its ``frame``."""
    for element in root.iter("timecode"):
        rate = _fcp7_rate(element)
        if rate is None:
            continue
        drop = is_drop_frame(rate)
        shown = element.find("displayformat")
        if shown is None:
            shown = ET.SubElement(element, "displayformat")
        shown.text = "DF" if drop else "NDF"
        frame, text = element.findtext("frame"), element.find("string")
        if frame is not None and frame.strip().lstrip("-").isdigit() and text is not None:
            text.text = otio.opentime.to_timecode(otio.opentime.RationalTime(int(frame), float(rate)),
                                                  float(rate), drop)


def label_edl(path: Path, rate: Fraction) -> None:
    """Add ``FCM: DROP FRAME`` / ``FCM: NON-DROP FRAME`` after the title (CMX 3600 header)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    fcm = "FCM: DROP FRAME" if is_drop_frame(rate) else "FCM: NON-DROP FRAME"
    at = 1 if lines and lines[0].startswith("TITLE:") else 0
    lines.insert(at, fcm)
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def label_aaf(path: Path) -> None:
    """Set ``Drop`` of every Timecode component from its slot's edit rate."""
    import aaf2

    with aaf2.open(str(path), "rw") as handle:
        for mob in handle.content.mobs:
            for slot in mob.slots:
                rate = Fraction(slot.edit_rate.numerator, slot.edit_rate.denominator) \
                    if hasattr(slot.edit_rate, "numerator") else Fraction(str(slot.edit_rate))
                for component in _timecodes(slot.segment):
                    component["Drop"].value = is_drop_frame(_nominal(rate, component["FPS"].value))


def _nominal(rate: Fraction, fps: int) -> Fraction:
    """The exact rate a timecode at nominal ``fps`` counts in (NTSC when the slot's rate is)."""
    return Fraction(fps * 1000, 1001) if rate.denominator == 1001 else Fraction(fps)


def _timecodes(segment):
    import aaf2

    if isinstance(segment, aaf2.components.Timecode):
        yield segment
    elif isinstance(segment, aaf2.components.Sequence):
        for component in segment.components:
            yield from _timecodes(component)
