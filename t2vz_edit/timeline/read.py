"""Read a timeline of any format OTIO's installed adapters know, and describe it.

The adapter comes from ``--format`` or the file suffix; EDLs need ``rate`` (CMX 3600 has no
rate field). Readers that return a ``SerializableCollection`` (FCP7 XML with several
sequences, AAF) are unwrapped to the one timeline asked for. Media is not linked on read:
the timeline is kept exactly as the file says.

>>> FORMATS["edl"]
'cmx_3600'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

from t2vz_edit.spec.errors import InputNotFoundError, TimelineError, UsageError
from t2vz_edit.timeline import conform, fcpxml
from t2vz_edit.timeline.rates import checked_rate, exact_rate, is_drop_frame, timecode

# --format name / file suffix -> OTIO adapter name
FORMATS = {
    "otio": "otio_json", "otioz": "otioz", "otiod": "otiod", "edl": "cmx_3600",
    "xml": "fcp_xml", "fcpxml": "fcpx_xml", "aaf": "AAF",
}


@dataclass
class ReadTimeline:
    """A timeline as read, with what was needed to read it."""

    timeline: otio.schema.Timeline
    path: Path
    format: str  # key of FORMATS
    rate: Fraction


def format_of(path: Path, fmt: str | None) -> str:
    """The FORMATS key for ``path`` (``fmt`` wins over the suffix)."""
    key = (fmt or path.suffix.lstrip(".")).lower()
    if key not in FORMATS:
        raise UsageError(f"{path}: cannot tell the timeline format from {key or 'no suffix'!r}; "
                         f"pass --format with one of {', '.join(FORMATS)}")
    return key


def read_timeline(path: str | Path, *, fmt: str | None = None, rate: float | Fraction | None = None,
                  sequence: str | None = None) -> ReadTimeline:
    """Read ``path``; an EDL without ``rate`` takes the rate of its media (see :func:`edl_media_rate`)."""
    path = Path(path)
    if not path.exists() or path.is_dir():
        raise InputNotFoundError("timeline file not found (or is a folder); check the path", path=path)
    key = format_of(path, fmt)
    args, clock = {}, None
    if key == "edl":
        edl_rate = checked_rate(rate if rate is not None else edl_media_rate(path), f"{path} (--rate)")
        args["rate"] = float(edl_rate)
    args.update(adapter_name=FORMATS[key], media_linker_name=otio.media_linker.MediaLinkingPolicy.DoNotLinkMedia)
    try:
        text = None
        if key == "edl":  # drop-frame locators are fixed in the text first
            text = edl_dissolves_readable(edl_locators_readable(_text_of(path), args["rate"]))
        elif key == "fcpxml":  # exact times and tcStart: see t2vz_edit.timeline.fcpxml
            text, clock = fcpxml.readable(_text_of(path), sequence)
        result = otio.adapters.read_from_file(str(path), **args) if text is None \
            else otio.adapters.read_from_string(text, **args)
    except Exception as exc:  # adapters raise anything from ValueError to KeyError
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise TimelineError(f"cannot read as {key} ({detail}); check the file or pass --format",
                            path=path) from None
    timeline = _unwrap(result, path, sequence)
    fcpxml.finish(timeline, clock)
    if key == "edl":  # one layout inside: the start timecode is the global start time
        conform.start_into_global_time(timeline)
    return ReadTimeline(timeline, path, key, timeline_rate(timeline, path, rate))


_EDL_MEDIA = re.compile(r"^\*\s*(?:FROM CLIP(?! NAME)|FROM FILE|SOURCE FILE|OTIO REFERENCE [A-Za-z]+):?\s*(\S.*?)\s*$",
                        re.MULTILINE | re.IGNORECASE)


def edl_media_rate(path: Path) -> Fraction:
    """The frame rate of the first media an EDL names that is found (CMX 3600 has no rate field;
    defaulting to 24 silently misread 25 and 29.97 EDLs), else a :class:`UsageError` naming --rate."""
    from t2vz_edit.media.probe import probe
    from t2vz_edit.spec.errors import T2VZError
    from t2vz_edit.timeline.media_paths import resolve_media

    tried = []
    for location in _EDL_MEDIA.findall(_text_of(path)):
        found = resolve_media(location, timeline_dir=path.parent).path
        tried.append(location)
        if found is None:
            continue
        try:
            return checked_rate(probe(found).rate, f"{path} (rate of its media {found.name})")
        except T2VZError:  # unreadable or odd-rate media: try the next one
            continue
    named = f"none of its media was found ({', '.join(tried[:2])}{', ...' if len(tried) > 2 else ''})" \
        if tried else "it names no media"
    raise UsageError(f"{path}: an EDL has no frame rate and {named}; pass --rate (e.g. 25, 23.976 or 30000/1001)")


_LOCATOR = re.compile(r"^(\*\s*LOC:\s*)(\d\d:\d\d:\d\d[;.,]\d\d)", re.MULTILINE)


def _text_of(path: Path) -> str:
    """A text timeline's contents; Avid and older tools write Latin-1 rather than UTF-8."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def edl_locators_readable(text: str, rate: float) -> str:
    """Rewrite drop-frame locator timecodes so the CMX 3600 reader keeps them.

    The reader only parses ``* LOC: hh:mm:ss:ff`` and silently drops ``hh:mm:ss;ff`` — the
    form Avid, Resolve and the adapter's own writer use at 29.97 and 59.94 — so every
    ``restyle:`` marker vanished from drop-frame EDLs. Each such timecode becomes the
    non-drop spelling of the same frame count, which the reader counts back exactly.

    >>> edl_locators_readable("* LOC: 01:00:00;14 RED     RESTYLE: SNOW", 30000 / 1001)
    '* LOC: 00:59:56:26 RED     RESTYLE: SNOW'
    """
    def rewrite(match: re.Match) -> str:
        tc = match.group(2)[:8] + ";" + match.group(2)[9:]
        try:
            frames = otio.opentime.from_timecode(tc, rate)
        except ValueError:  # not a drop-frame rate: leave the line to the reader
            return match.group(0)
        return match.group(1) + otio.opentime.to_timecode(frames, rate, drop_frame=False)

    return _LOCATOR.sub(rewrite, text)


_EVENT = re.compile(r"^\d+\s+\S+\s+\S+\s+(\S+)")
_FROM_MEDIA = re.compile(r"^\*\s*FROM (?:CLIP|FILE)(?! NAME)\s*:", re.IGNORECASE)
_TO_MEDIA = re.compile(r"^\*\s*TO (?:CLIP|FILE)(?! NAME)\s*:\s*(.*?)\s*$", re.IGNORECASE)
_NAMES = re.compile(r"^\*\s*(FROM|TO) CLIP NAME\s*:\s*(.*?)\s*$", re.IGNORECASE)


def edl_dissolves_readable(text: str) -> str:
    r"""Give the incoming clip of each dissolve its own media.

    A dissolve event's comments name both sides (``* FROM CLIP:`` outgoing, ``* TO CLIP:``
    incoming), but the CMX reader knows only ``FROM CLIP`` and gives the clip it makes (the
    incoming one) the outgoing clip's media. The incoming media replaces it; when the event
    names no incoming media but another incoming clip, the outgoing media is dropped, so the
    clip reads as offline (and is refused with that line) rather than showing the wrong shot.

    >>> print(edl_dissolves_readable("002  B  V  D 006  01:00:00:00 01:00:01:00 01:00:00:11 01:00:01:11\n"
    ...                              "* FROM CLIP: a.mov\n* TO CLIP: b.mov"))
    002  B  V  D 006  01:00:00:00 01:00:01:00 01:00:00:11 01:00:01:11
    * FROM CLIP: b.mov
    """
    out: list[str] = []
    block: list[str] = []  # one event: its line(s) (a dissolve has two with one number) and comments

    def flush():
        dissolve = any((m := _EVENT.match(line)) and m.group(1).upper() == "D" for line in block)
        out.extend(_incoming_media(block) if dissolve else block)
        block.clear()

    for line in text.splitlines():
        event = _EVENT.match(line)
        same_event = event and block and _EVENT.match(block[0]) and block[0].split()[0] == line.split()[0]
        if event and not same_event:
            flush()
        block.append(line)
    flush()
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def _incoming_media(block: list[str]) -> list[str]:
    incoming = next((m.group(1) for m in map(_TO_MEDIA.match, block) if m), None)
    names = {m.group(1).upper(): m.group(2) for m in map(_NAMES.match, block) if m}
    if incoming is None and names.get("TO", names.get("FROM")) == names.get("FROM"):
        return block  # nothing says the incoming clip is another shot
    kept = [line for line in block if not _TO_MEDIA.match(line)]
    if incoming is None:
        return [line for line in kept if not _FROM_MEDIA.match(line)]
    return [f"* FROM CLIP: {incoming}" if _FROM_MEDIA.match(line) else line for line in kept]


def _unwrap(result, path: Path, sequence: str | None) -> otio.schema.Timeline:
    if isinstance(result, otio.schema.Timeline):
        return result
    if isinstance(result, otio.schema.SerializableCollection):
        found = [t for t in result.find_children(descended_from_type=otio.schema.Timeline)]
        if sequence is not None:
            found = [t for t in found if t.name == sequence]
        if len(found) == 1:
            return found[0]
        names = ", ".join(repr(t.name) for t in result.find_children(descended_from_type=otio.schema.Timeline))
        if not found:
            raise TimelineError(f"no timeline {'named ' + repr(sequence) if sequence else ''} in the file "
                                f"(has: {names or 'none'})", path=path)
        raise TimelineError(f"holds {len(found)} timelines ({names}); pick one with --sequence NAME", path=path)
    raise TimelineError(f"holds a {type(result).__name__}, not a timeline", path=path)


def timeline_rate(timeline: otio.schema.Timeline, path: Path, asked: float | Fraction | None = None) -> Fraction:
    """The exact edit rate: the asked one, else the global start time's, else the first clip's."""
    if asked is not None:
        return checked_rate(asked, f"{path} (--rate)")
    candidates = []
    if timeline.global_start_time is not None:
        candidates.append(timeline.global_start_time.rate)
    candidates += [c.trimmed_range().duration.rate for c in timeline.find_clips()[:1]]
    if not candidates:
        raise TimelineError("has no clips and no start time to take a frame rate from", path=path)
    return checked_rate(candidates[0], str(path))


def start_frames(read: ReadTimeline) -> int:
    """Start timecode of the timeline in frames (01:00:00:00 at 24 fps -> 86400).

    The global start time when set; EDL readers instead shift the video track (its source
    range starts at minus the first record timecode), which counts the same.
    """
    start = read.timeline.global_start_time
    if start is not None:
        return round(start.value_rescaled_to(float(read.rate)))
    video = [t for t in read.timeline.tracks if t.kind == otio.schema.TrackKind.Video and t.source_range]
    return -round(video[0].source_range.start_time.value_rescaled_to(float(read.rate))) if video else 0


def describe(read: ReadTimeline) -> dict:
    """What was read: rate, start timecode, tracks and clips (for ``timeline inspect``)."""
    rate = read.rate
    start = otio.opentime.RationalTime(start_frames(read), float(rate))
    offset = read.timeline.global_start_time or otio.opentime.RationalTime(0, float(rate))
    tracks = []
    for index, track in enumerate(read.timeline.tracks):
        children = list(track)
        tracks.append({
            "index": index, "name": track.name, "kind": str(track.kind),
            "clips": sum(isinstance(c, otio.schema.Clip) for c in children),
            "gaps": sum(isinstance(c, otio.schema.Gap) for c in children),
            "transitions": sum(isinstance(c, otio.schema.Transition) for c in children),
            "nested": sum(isinstance(c, (otio.schema.Stack, otio.schema.Track)) for c in children),
        })
    clips = [_describe_clip(clip, rate, offset, read.timeline.tracks) for clip in read.timeline.find_clips()]
    return {
        "path": str(read.path), "format": read.format, "name": read.timeline.name,
        "rate": f"{rate.numerator}/{rate.denominator}", "fps": float(rate),
        "drop_frame": is_drop_frame(rate), "start_timecode": timecode(start, rate),
        "duration_frames": round(read.timeline.duration().value_rescaled_to(float(rate))),
        "tracks": tracks, "clips": clips,
    }


def _describe_clip(clip: otio.schema.Clip, rate: Fraction, start, stack) -> dict:
    record = clip.transformed_time_range(clip.trimmed_range(), stack)
    source = clip.trimmed_range()
    ref = clip.media_reference
    track = clip.parent()
    return {
        "track": track.name if track is not None else "",
        "name": clip.name,
        "record_in": timecode(start + record.start_time, rate),
        "record_out": timecode(start + record.end_time_exclusive(), rate),
        "source_in": timecode(source.start_time, rate),
        "frames": round(source.duration.value_rescaled_to(float(rate))),
        "media": getattr(ref, "target_url", None) or ("missing" if ref.is_missing_reference else type(ref).__name__),
        "markers": [m.name for m in clip.markers],
    }


__all__ = ["FORMATS", "ReadTimeline", "read_timeline", "describe", "format_of", "start_frames",
           "timeline_rate", "exact_rate"]
