"""Write a timeline as MLT XML (the engine of Kdenlive and Shotcut; plays with ``melt``).

Written by the project rather than through ``otio-mlt-adapter``, which ignores a media
reference's ``available_range.start_time``: every render (whose range starts at its source
in-point) and every timecoded clip played from the wrong frame.

Layout, in MLT terms:

- ``<profile>``: the timeline's exact rate (``frame_rate_num/den``) and the sequence's frame size.
- one ``avformat`` producer per media file; an entry's ``in`` is the clip's source start minus
  the media's first-frame time (``available_range.start_time``), counted in timeline frames
  (MLT seeks media of another rate by time, as NLEs do).
- one playlist per track (``<blank>`` for gaps); a dissolve becomes what Shotcut writes for a
  mix: the outgoing and incoming clips, each shortened, around a small tractor holding their
  overlapping frames with a ``luma`` transition (no luma file: a plain dissolve).
- a tractor stacking the playlists bottom to top; video tracks hide their audio, audio tracks
  their video, and audio tracks are summed with ``mix`` transitions. Without a compositing
  transition MLT shows the top track that has a clip, as an NLE does with opaque clips.

The record start timecode is not an MLT concept (MLT counts from frame 0); it is kept as the
tractor's ``t2vz:start_timecode`` property. Markers are not written (see :func:`dropped`).

>>> import opentimelineio as otio
>>> tl = otio.schema.Timeline("t")
>>> dropped(tl)
[]
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from t2vz_edit.spec.errors import OutputError
from t2vz_edit.timeline.rates import timecode

Kind = otio.schema.TrackKind


@dataclass
class _Piece:
    """One playlist item: a blank (``producer`` None), an entry, or a mix tractor."""

    length: int
    producer: str | None = None
    first: int = 0  # entry in-point, in timeline frames of the producer
    skip_next: int = 0  # a mix: frames of the next clip it already shows


class _Document:
    def __init__(self, rate: Fraction, frame_size: tuple[int, int]):
        self.rate = rate
        self.root = ET.Element("mlt", LC_NUMERIC="C", version="7.0.0", title="t2vz-edit")
        width, height = frame_size
        ET.SubElement(self.root, "profile", description="t2vz-edit", width=str(width), height=str(height),
                      progressive="1", sample_aspect_num="1", sample_aspect_den="1",
                      display_aspect_num=str(width), display_aspect_den=str(height),
                      frame_rate_num=str(rate.numerator), frame_rate_den=str(rate.denominator), colorspace="709")
        self.producers: dict[str, str] = {}
        self.count = 0

    def new_id(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def producer(self, ref: otio.schema.ExternalReference) -> str:
        path = otio.url_utils.filepath_from_url(ref.target_url)
        if path not in self.producers:
            ident = self.new_id("producer")
            span = ref.available_range
            frames = round(span.duration.value_rescaled_to(float(self.rate))) if span is not None else 0
            element = ET.SubElement(self.root, "producer", id=ident, **({"in": "0", "out": str(frames - 1)}
                                                                        if frames > 0 else {}))
            _property(element, "resource", path)
            _property(element, "mlt_service", "avformat")
            self.producers[path] = ident
        return self.producers[path]

    def playlist(self, pieces: list[_Piece], ident: str | None = None) -> str:
        ident = ident or self.new_id("playlist")
        element = ET.SubElement(self.root, "playlist", id=ident)
        for piece in pieces:
            if piece.producer is None:
                ET.SubElement(element, "blank", length=str(piece.length))
            else:
                ET.SubElement(element, "entry", producer=piece.producer, **{
                    "in": str(piece.first), "out": str(piece.first + piece.length - 1)})
        return ident


def _property(element: ET.Element, name: str, value: str) -> None:
    ET.SubElement(element, "property", name=name).text = value


def _frames(time: otio.opentime.RationalTime, rate: Fraction, what: str) -> int:
    value = time.value_rescaled_to(float(rate))
    if abs(value - round(value)) > 1e-3:
        raise OutputError(f"{what} is not on a frame of the {float(rate):g} fps timeline; "
                          "MLT counts whole frames — conform the edit or write .otio")
    return round(value)


def _clip_piece(doc: _Document, clip: otio.schema.Clip) -> _Piece:
    ref = clip.media_reference
    if not isinstance(ref, otio.schema.ExternalReference) or ref.available_range is None:
        raise OutputError(f"clip {clip.name!r} has no media file with a known range; MLT needs both — "
                          "relink it or write .otio")
    used = clip.trimmed_range()
    offset = used.start_time - ref.available_range.start_time
    return _Piece(_frames(used.duration, doc.rate, f"clip {clip.name!r}"), doc.producer(ref),
                  _frames(offset, doc.rate, f"source in of clip {clip.name!r}"))


def _mix(doc: _Document, outgoing: _Piece, incoming: _Piece, length: int, kind: str) -> _Piece:
    """A tractor of ``length`` frames dissolving ``outgoing`` into ``incoming``."""
    a = doc.playlist([_Piece(length, outgoing.producer, outgoing.first)])
    b = doc.playlist([_Piece(length, incoming.producer, incoming.first)])
    ident = doc.new_id("mix")
    tractor = ET.SubElement(doc.root, "tractor", id=ident, **{"in": "0", "out": str(length - 1)})
    multitrack = ET.SubElement(tractor, "multitrack")
    ET.SubElement(multitrack, "track", producer=a)
    ET.SubElement(multitrack, "track", producer=b)
    transition = ET.SubElement(tractor, "transition", **{"in": "0", "out": str(length - 1)})
    _property(transition, "a_track", "0")
    _property(transition, "b_track", "1")
    _property(transition, "mlt_service", "luma" if kind == Kind.Video else "mix")
    if kind != Kind.Video:
        _property(transition, "start", "0")
        _property(transition, "end", "1")
    return _Piece(length, ident, 0)


def _track_pieces(doc: _Document, track: otio.schema.Track) -> list[_Piece]:
    children = list(track)
    pieces: list[_Piece] = []
    for index, child in enumerate(children):
        if isinstance(child, otio.schema.Gap):
            pieces.append(_Piece(_frames(child.trimmed_range().duration, doc.rate, "a gap")))
        elif isinstance(child, otio.schema.Clip):
            pieces.append(_clip_piece(doc, child))
        elif isinstance(child, otio.schema.Transition):
            pieces.append(_transition(doc, track, children, index, pieces))
        else:
            raise OutputError(f"track {track.name!r} holds a {type(child).__name__} (nested sequence); "
                              "MLT output takes clips, gaps and dissolves — flatten it in the NLE or write .otio")
    return [p for p in _joined(pieces) if p.length > 0]


def _transition(doc: _Document, track, children, index: int, pieces: list[_Piece]) -> _Piece:
    transition = children[index]
    before = pieces[-1] if pieces else None
    after = children[index + 1] if index + 1 < len(children) else None
    if transition.transition_type != otio.schema.TransitionTypes.SMPTE_Dissolve or before is None \
            or before.producer is None or not isinstance(after, otio.schema.Clip):
        raise OutputError(f"transition {transition.name or transition.transition_type!r} on track {track.name!r} "
                          "is not a dissolve between two clips; MLT output writes dissolves only — write .otio")
    cut_in = _frames(transition.in_offset, doc.rate, "a transition")
    cut_out = _frames(transition.out_offset, doc.rate, "a transition")
    incoming = _clip_piece(doc, after)
    outgoing = _Piece(cut_in + cut_out, before.producer, before.first + before.length - cut_in)
    before.length -= cut_in
    mix = _mix(doc, outgoing, _Piece(cut_in + cut_out, incoming.producer, incoming.first - cut_in),
               cut_in + cut_out, track.kind)
    mix.skip_next = cut_out
    return mix


def _joined(pieces: list[_Piece]) -> list[_Piece]:
    """Shorten the clip after each mix by the frames the mix already showed."""
    out, skip = [], 0
    for piece in pieces:
        if skip and piece.producer is not None:
            piece.first += skip
            piece.length -= skip
            skip = 0
        skip = skip or piece.skip_next
        out.append(piece)
    return out


def to_mlt(timeline: otio.schema.Timeline, rate: Fraction, frame_size: tuple[int, int]) -> str:
    """The MLT XML document for ``timeline`` (global-start layout, media ranges filled)."""
    doc = _Document(rate, frame_size)
    tracks = [(track, doc.playlist(_track_pieces(doc, track))) for track in timeline.tracks]
    tractor = ET.SubElement(doc.root, "tractor", id="tractor0", title=timeline.name or "t2vz-edit")
    start = timeline.global_start_time or otio.opentime.RationalTime(0, float(rate))
    _property(tractor, "t2vz:start_timecode", timecode(start, rate))
    multitrack = ET.SubElement(tractor, "multitrack")
    audio = []
    for index, (track, ident) in enumerate(tracks):
        hide = "video" if track.kind == Kind.Audio else "audio"
        ET.SubElement(multitrack, "track", producer=ident, hide="both" if not track.enabled else hide)
        if track.kind == Kind.Audio:
            audio.append(index)
    for index in audio[1:]:
        mix = ET.SubElement(tractor, "transition")
        for name, value in (("a_track", str(audio[0])), ("b_track", str(index)), ("mlt_service", "mix"),
                            ("always_active", "1"), ("sum", "1")):
            _property(mix, name, value)
    ET.indent(doc.root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(doc.root, encoding="unicode") + "\n"


def dropped(timeline: otio.schema.Timeline) -> list[str]:
    """What MLT XML cannot hold from ``timeline``: one line per kind of loss (markers)."""
    markers = [m.name for m in timeline.tracks.markers]
    for item in timeline.tracks.find_children():
        markers += [m.name for m in getattr(item, "markers", [])]
    if not markers:
        return []
    return [f"MLT: {len(markers)} marker(s) not written ({', '.join(repr(n) for n in markers[:3])}"
            f"{', ...' if len(markers) > 3 else ''}): MLT XML has no markers; write .otio, .xml or .fcpxml to keep them"]


def write_mlt(timeline: otio.schema.Timeline, path: Path, rate: Fraction, frame_size: tuple[int, int]) -> None:
    Path(path).write_text(to_mlt(timeline, rate, frame_size), encoding="utf-8")
