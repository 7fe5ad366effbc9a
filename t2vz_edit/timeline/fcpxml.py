"""FCPXML (Final Cut Pro) around the ``fcpx_xml`` adapter: exact times and the start timecode.

What the adapter (otio-fcpx-xml-adapter 1.x) gets wrong, and what is done about it here:

- Rates: it turns ``frameDuration="1001/24000s"`` into ``int(23.976) = 23`` fps and truncates
  ``seconds * fps`` to frames, so 23.976 timelines read at the wrong rate and times can lose a
  frame; its writer has no frame duration for 24000/1001 and fails. Before reading, every
  time attribute is rewritten as a whole number of the sequence's frames with
  ``frameDuration="1/1s"`` (its float arithmetic is then exact), and afterwards every time is
  relabelled with the exact rate. Before writing, the timeline is relabelled to 24 fps (a
  rate whose ``n/24`` seconds the writer handles exactly — checked for n < 3,000,000) and the
  written seconds are scaled back to the real frame duration.
- Start timecode: FCP writes ``<sequence tcStart="3600s" tcFormat="NDF">`` and counts the
  offsets of spine items from tcStart; the adapter ignores both, so a 01:00:00:00 timeline read
  with a one-hour gap on every track and wrote back at 00:00:00:00. Spine offsets are made
  relative before reading (only when all of them are at or after tcStart, i.e. absolute) and
  tcStart becomes ``global_start_time``; on write the sequence gets ``tcStart``/``tcFormat``
  and spine offsets are shifted back. Connected clips (``lane``) keep their offsets: those
  count in their parent clip's own time (FCPXML "Timing Attributes").
- FCPXML 1.10 keeps an asset's URL in ``<media-rep kind="original-media" src=...>``; the adapter
  reads only ``asset/@src``, so the URL is copied there.

Times off the sequence's frame grid (audio subframes, media of another rate) are snapped to the
nearest sequence frame. Transitions are not written by the adapter at all.

>>> spelled(Fraction(1001, 24000) * 86400)
'18018/5s'
>>> seconds("86420/24s")
Fraction(21605, 6)
"""
from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from t2vz_edit.timeline.rates import is_drop_frame

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
TIME_ATTRIBUTES = ("offset", "duration", "start", "tcStart")
PROXY_RATE = 24  # the adapter writes n/24 s exactly; the real frame duration is put back after
HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n'
_TIME = re.compile(r"^(-?\d+)(?:/(\d+))?s$")


def seconds(value: str) -> Fraction:
    """An FCPXML time ("3600s", "1001/24000s") as exact seconds."""
    match = _TIME.match(value.strip())
    if match is None:
        raise ValueError(f"not an FCPXML time: {value!r}")
    return Fraction(int(match.group(1)), int(match.group(2) or 1))


def spelled(value: Fraction) -> str:
    """Exact seconds as an FCPXML time."""
    value = Fraction(value)
    if value.denominator == 1:
        return f"{value.numerator}s"
    return f"{value.numerator}/{value.denominator}s"


@dataclass(frozen=True)
class SequenceClock:
    """The frame grid and start timecode of the sequence that is read."""

    frame_duration: Fraction  # seconds per frame
    start_frames: int  # tcStart in frames (01:00:00:00 at 24 fps -> 86400)
    drop_frame: bool  # tcFormat="DF"

    @property
    def rate(self) -> Fraction:
        return 1 / self.frame_duration


# -- reading ---------------------------------------------------------------------------------

def readable(text: str, sequence: str | None = None) -> tuple[str, SequenceClock | None]:
    """The document rewritten so the adapter reads it exactly, and the read sequence's clock.

    The clock is the one of the project named ``sequence``, else of the first project (the
    one the adapter returns first); ``None`` when the document has no frame duration at all.
    """
    root = ET.fromstring(text)
    for asset in root.iter("asset"):
        rep = asset.find("media-rep[@kind='original-media']")
        if not asset.get("src") and rep is not None and rep.get("src"):
            asset.set("src", rep.get("src"))
    projects = [p for p in root.iter("project") if p.find("sequence") is not None]
    for project in projects:
        _make_spine_relative(project.find("sequence"))
    chosen = next((p for p in projects if p.get("name") == sequence), projects[0] if projects else None)
    frame_duration = _frame_duration(root, chosen.find("sequence") if chosen is not None else None)
    if frame_duration is None:
        return text, None
    start = seconds(chosen.find("sequence").get("tcStart", "0s")) if chosen is not None else Fraction(0)
    drop = chosen is not None and chosen.find("sequence").get("tcFormat") == "DF"
    clock = SequenceClock(frame_duration, round(start / frame_duration), drop)
    _to_frames(root, frame_duration)
    return ET.tostring(root, encoding="unicode"), clock


def _frame_duration(root: ET.Element, sequence: ET.Element | None) -> Fraction | None:
    formats = {f.get("id"): f.get("frameDuration") for f in root.iter("format") if f.get("frameDuration")}
    if sequence is not None and sequence.get("format") in formats:
        return seconds(formats[sequence.get("format")])
    return seconds(next(iter(formats.values()))) if formats else None


def _make_spine_relative(sequence: ET.Element) -> None:
    """Spine offsets count from tcStart; subtract it when they are absolute (all >= tcStart)."""
    start = seconds(sequence.get("tcStart", "0s"))
    spine = sequence.find("spine")
    children = [c for c in (spine if spine is not None else []) if c.get("offset")]
    if start == 0 or not children or any(seconds(c.get("offset")) < start for c in children):
        return
    for child in children:
        child.set("offset", spelled(seconds(child.get("offset")) - start))


def _to_frames(root: ET.Element, frame_duration: Fraction) -> None:
    """Every time as whole frames ("Ns") on a 1 fps grid: the adapter's float maths is exact there."""
    for element in root.iter():
        for name in TIME_ATTRIBUTES:
            value = element.get(name)
            if value is not None and _TIME.match(value.strip()):
                element.set(name, f"{round(seconds(value) / frame_duration)}s")
        if element.tag == "format" and element.get("frameDuration"):
            element.set("frameDuration", "1/1s")


def finish(timeline: otio.schema.Timeline, clock: SequenceClock | None) -> None:
    """Relabel the 1 fps times the adapter built with the exact rate; set the start timecode."""
    if clock is None:
        return
    rate = float(clock.rate)
    _retime(timeline, lambda t: RT(t.value, rate))
    timeline.global_start_time = RT(clock.start_frames, rate)


# -- writing ---------------------------------------------------------------------------------

def writable(timeline: otio.schema.Timeline, rate: Fraction) -> otio.schema.Timeline:
    """A copy relabelled to the proxy rate (frame counts kept) that the adapter can write.

    The first video track is padded to the timeline's length: the writer hangs every other
    track's clip on the spine item under it and fails where there is none.
    """
    out = copy.deepcopy(timeline)
    _retime(out, lambda t: RT(round(t.value_rescaled_to(float(rate))), PROXY_RATE))
    video = [t for t in out.tracks if t.kind == otio.schema.TrackKind.Video]
    if video:
        missing = out.tracks.duration().value - video[0].duration().value
        if missing > 0:
            video[0].append(otio.schema.Gap(source_range=TR(RT(0, PROXY_RATE), RT(missing, PROXY_RATE))))
    return out


def fill_sequence(path: Path, rate: Fraction, start_frames: int, frame_size: tuple[int, int] | None) -> None:
    """Put the real frame duration, tcStart/tcFormat and absolute spine offsets into a written file."""
    tree = ET.parse(path)
    root = tree.getroot()
    frame_duration = 1 / rate
    for element in root.iter():
        for name in TIME_ATTRIBUTES:
            value = element.get(name)
            if value is not None and _TIME.match(value.strip()):
                element.set(name, spelled(round(seconds(value) * PROXY_RATE) * frame_duration))
    for fmt in root.iter("format"):
        fmt.set("frameDuration", spelled(frame_duration))
        if rate != PROXY_RATE or not fmt.get("name"):  # the adapter named it for the proxy rate
            fmt.attrib.pop("name", None)
        if frame_size and not fmt.get("width"):
            fmt.set("width", str(frame_size[0]))
            fmt.set("height", str(frame_size[1]))
    start = start_frames * frame_duration
    for sequence in (p.find("sequence") for p in root.iter("project")):
        if sequence is None:
            continue
        sequence.set("tcStart", spelled(start))
        sequence.set("tcFormat", "DF" if is_drop_frame(rate) else "NDF")
        for child in sequence.find("spine") if sequence.find("spine") is not None else []:
            if child.get("offset"):
                child.set("offset", spelled(seconds(child.get("offset")) + start))
    path.write_text(HEADER + ET.tostring(root, encoding="unicode"), encoding="utf-8")


def start_frames_of(timeline: otio.schema.Timeline, rate: Fraction) -> int:
    """The timeline's start timecode in frames (0 without a global start time)."""
    start = timeline.global_start_time
    return round(start.value_rescaled_to(float(rate))) if start is not None else 0


# -- shared ----------------------------------------------------------------------------------

def _retime(timeline: otio.schema.Timeline, convert) -> None:
    """Apply ``convert`` to every RationalTime in the timeline's tracks (ranges, markers, media)."""
    def span(r):
        return None if r is None else TR(convert(r.start_time), convert(r.duration))

    for item in [timeline.tracks, *timeline.tracks.find_children()]:
        if isinstance(item, otio.schema.Transition):
            item.in_offset, item.out_offset = convert(item.in_offset), convert(item.out_offset)
            continue
        item.source_range = span(item.source_range)
        for marker in item.markers:
            marker.marked_range = span(marker.marked_range)
        if isinstance(item, otio.schema.Clip):
            for ref in item.media_references().values():
                if ref.available_range is not None:
                    ref.available_range = span(ref.available_range)
