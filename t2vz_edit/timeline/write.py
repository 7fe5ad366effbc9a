"""Write a timeline atomically in any writable format, with the fixes NLEs need.

- FCP7 XML: the adapter writes an empty ``<format>`` under ``<video>``; Resolve wants the
  sequence's sample characteristics there (rate and frame size), so they are filled in.
- FCPXML: written at exact rates with the sequence's ``tcStart``/``tcFormat`` (see
  :mod:`t2vz_edit.timeline.fcpxml`; the adapter alone writes neither, nor 23.976 at all).
- AAF: written with ``use_empty_mob_ids=True`` so clips that never came from Avid (no MobID
  in their metadata) get fresh MobIDs instead of failing; the adapter adds the timecode track
  Resolve needs.
- The file is written next to the target under a temporary name and renamed into place, so a
  failed write leaves nothing; the input timeline is never the output.
"""
from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from t2vz_edit.media import atomic
from t2vz_edit.spec.errors import OutputError
from t2vz_edit.timeline import dropframe, fcpxml, mlt
from t2vz_edit.timeline.read import FORMATS, format_of

DEFAULT_FRAME_SIZE = (1920, 1080)  # when neither the sequence nor its media say
WRITABLE = ("otio", "otioz", "edl", "xml", "fcpxml", "aaf", "mlt")


def check_output(out_path: Path, input_path: Path, fmt: str | None, overwrite: bool) -> str:
    """Validate the output up front; return its format key."""
    key = (fmt or out_path.suffix.lstrip(".")).lower()
    key = key if key == "mlt" else format_of(out_path, fmt)
    if key not in WRITABLE:
        raise OutputError(f"cannot write {key} timelines; use one of {', '.join(WRITABLE)}", path=out_path)
    if out_path.resolve() == input_path.resolve():
        raise OutputError("is the input timeline; the input is never overwritten — choose another -o", path=out_path)
    if out_path.exists() and not overwrite:
        raise OutputError("exists; pass --overwrite to replace it or choose another -o", path=out_path)
    if not out_path.parent.is_dir():
        raise OutputError("folder does not exist; create it first", path=out_path)
    atomic.clean_stale(out_path.parent)
    atomic.claim(out_path)  # a second run on the same output refuses here, not after rendering
    if out_path.exists() and not overwrite:  # a run that finished since the check above
        atomic.release(out_path)
        raise OutputError("exists; pass --overwrite to replace it or choose another -o", path=out_path)
    return key


def write_timeline(timeline: otio.schema.Timeline, out_path: Path, key: str, *, rate: Fraction,
                   frame_size: tuple[int, int] | None = None, overwrite: bool = True) -> None:
    """Write atomically; adapter failures become one-line :class:`OutputError`.

    Without ``overwrite`` a file that appeared at ``out_path`` meanwhile is kept (exclusive link).
    """
    tmp = atomic.temp_path_for(out_path)
    args = {"use_empty_mob_ids": True} if key == "aaf" else {}
    if key == "edl":
        args["rate"] = float(rate)
    try:
        try:
            if key == "fcpxml":  # exact rates, tcStart/tcFormat: see t2vz_edit.timeline.fcpxml
                otio.adapters.write_to_file(fcpxml.writable(timeline, rate), str(tmp), adapter_name=FORMATS[key])
                fcpxml.fill_sequence(tmp, rate, fcpxml.start_frames_of(timeline, rate), frame_size)
            elif key == "mlt":  # written by the project: the MLT adapter ignores media start times
                mlt.write_mlt(timeline, tmp, rate, frame_size or DEFAULT_FRAME_SIZE)
            elif key == "xml":
                otio.adapters.write_to_file(_distinct_clips(timeline), str(tmp), adapter_name=FORMATS[key])
            else:
                otio.adapters.write_to_file(timeline, str(tmp), adapter_name=FORMATS[key], **args)
            if key == "xml":
                _fill_fcp7_format(tmp, rate, frame_size)
            elif key == "edl":
                dropframe.label_edl(tmp, rate)
            elif key == "aaf":
                dropframe.label_aaf(tmp)
        except Exception as exc:  # adapters raise many types; report one line, leave nothing behind
            detail = " ".join(str(exc).split())[:240] or type(exc).__name__
            atomic.release(out_path)
            raise OutputError(f"cannot write as {key}: {detail}", path=out_path) from None
        atomic.commit(tmp, out_path, overwrite=overwrite)
    finally:
        atomic.remove_quietly(tmp)


def _distinct_clips(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """A copy in which no two clips serialize alike.

    The FCP7 writer gives items that serialize identically one ``id`` and writes the second as
    a back-reference (``<clipitem id="clipitem-3"/>``); a linked audio clip (same name, media and
    range as its video) became such a reference, which FCP7 does not allow for clip items and
    the reader fails on. A per-clip index in a namespace the writer ignores keeps them apart.
    """
    out = copy.deepcopy(timeline)
    for index, clip in enumerate(out.find_clips()):
        clip.metadata["t2vz_edit_item"] = index
    return out


def _files_defined_first(root: ET.Element) -> None:
    """Move each ``<file>`` definition to the first element with its id, in document order.

    The FCP7 writer can define a file where it meets it first while building (an audio track)
    and refer to it by id before that in the document (a video clip item); readers resolve
    ids in document order, so the video clip read with no media.
    """
    first: dict = {}
    for element in root.iter("file"):
        ident = element.get("id")
        if ident is None:
            continue
        if ident not in first:
            first[ident] = element
        elif len(element) and not len(first[ident]):
            first[ident].extend(list(element))
            for child in list(element):
                element.remove(child)


def _fill_fcp7_format(path: Path, rate: Fraction, frame_size: tuple[int, int] | None) -> None:
    """Give every sequence ``<video><format><samplecharacteristics>`` (rate, width, height)."""
    tree = ET.parse(path)
    timebase = str(round(rate))
    ntsc = "TRUE" if rate.denominator == 1001 else "FALSE"
    for video in tree.iter("video"):
        fmt = video.find("format")
        if fmt is None:  # clip-level <video> elements carry no <format>
            continue
        chars = fmt.find("samplecharacteristics")
        if chars is None:
            chars = ET.SubElement(fmt, "samplecharacteristics")
        if chars.find("rate") is None:
            rate_e = ET.SubElement(chars, "rate")
            ET.SubElement(rate_e, "timebase").text = timebase
            ET.SubElement(rate_e, "ntsc").text = ntsc
        if frame_size and chars.find("width") is None:
            ET.SubElement(chars, "width").text = str(frame_size[0])
            ET.SubElement(chars, "height").text = str(frame_size[1])
            ET.SubElement(chars, "pixelaspectratio").text = "square"
    _files_defined_first(tree.getroot())
    dropframe.label_fcp7(tree.getroot())
    body = ET.tostring(tree.getroot(), encoding="unicode")
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n' + body, encoding="utf-8")
