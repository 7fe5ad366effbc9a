"""Edits the format tests build: the layout real cuts have, on tiny synthesized media.

``build_edit`` lays out, at a timeline rate R with a 01:00:00:00 start:

- V1: shotA | dissolve | shotB (timecoded media, 10:00:00:00) | gap | shotC (clip marker
  ``restyle: watercolor``) | gap | shotE (media at 2R: a clip at another rate than its media)
- V2: gap | shotD (over shotB/shotC)
- A1: shotA's linked audio, same source and record range as shotA
- a timeline marker ``note: check grade`` over shotC

``single_track=True`` gives the EDL variant (CMX 3600 holds one video track; no A1 or V2).
Every clip's media carries its true ``available_range`` (start timecode, frame count).
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio

import av
from av.video.reformatter import Colorspace

from t2vz_edit.media.colour import rgb_to_frame, tag_stream
from t2vz_edit.media.encode import X264_REPRODUCIBLE
from t2vz_edit.media.synth import draw_frame, make_clip

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
MEDIA_FRAMES = 40
RATES = {"23.976": Fraction(24000, 1001), "25": Fraction(25), "29.97DF": Fraction(30000, 1001)}
SELECTED = ("shotC", "shotD", "shotE")  # what the format tests restyle
TIMECODED = "shotB"


def drop_frame(rate: Fraction) -> bool:
    return rate.denominator == 1001 and rate.numerator % 30000 == 0


def tc_frames(text: str, rate: Fraction) -> int:
    """Frames of a nominal timecode ``HH:MM:SS:FF`` at ``rate`` (drop-frame at 29.97/59.94)."""
    if drop_frame(rate):
        text = text[:8] + ";" + text[9:]
    return round(otio.opentime.from_timecode(text, float(rate)).value)


CODE_BASE = {"shotA": 0, "shotB": 256, "shotC": 512, "shotD": 768, "shotE": 1024}  # frame codes per file


def coded_clip(path: Path, *, rate: Fraction, code_base: int, timecode: str | None = None) -> Path:
    """A tiny H.264 .mov whose frame i shows code ``code_base + i`` (read back with read_frame_number)."""
    container = av.open(str(path), "w", format="mov")
    try:
        stream = container.add_stream("libx264", rate=rate, options={"crf": "12", "g": "6", "bf": "2",
                                                                     "preset": "veryfast", **X264_REPRODUCIBLE})
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.time_base = 1 / rate
        tag_stream(stream, Colorspace.ITU709)
        if timecode:
            stream.metadata["timecode"] = timecode
        for i in range(MEDIA_FRAMES):
            frame = rgb_to_frame(draw_frame(code_base + i, 64, 48), "yuv420p", 64, 48, Colorspace.ITU709)
            frame.pts, frame.time_base = i, 1 / rate
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    finally:
        container.close()
    return path


def make_media(folder: Path, rate: Fraction) -> dict[str, Path]:
    """name -> tiny .mov; shotA (make_clip's, codes 0..) has an audio tone, shotB a 10:00:00:00
    timecode, shotE runs at 2R; every frame of every file has its own code."""
    folder.mkdir(parents=True, exist_ok=True)
    media = {"shotA": Path(make_clip(folder / "shotA.mov", frames=MEDIA_FRAMES, width=64, height=48, rate=rate,
                                     gop=6, audio={"channels": 2, "sample_rate": 48000}))}
    tc = "10:00:00;00" if drop_frame(rate) else "10:00:00:00"
    for name in ("shotB", "shotC", "shotD", "shotE"):
        media[name] = coded_clip(folder / f"{name}.mov", rate=rate * 2 if name == "shotE" else rate,
                                 code_base=CODE_BASE[name], timecode=tc if name == TIMECODED else None)
    return media


def media_start(name: str, rate: Fraction) -> int:
    """First frame of ``name``'s media as a frame number at the media's rate."""
    return tc_frames("10:00:00:00", rate) if name == TIMECODED else 0


def _clip(name: str, media: dict[str, Path], rate: Fraction, first: int, frames: int) -> otio.schema.Clip:
    """A clip using ``frames`` timeline frames from media frame ``first`` (at the media's rate)."""
    r = float(rate)
    media_rate = 2 * rate if name == "shotE" else rate
    m = float(media_rate)
    start = media_start(name, media_rate)
    ref = otio.schema.ExternalReference(target_url=media[name].as_uri(),
                                        available_range=TR(RT(start, m), RT(MEDIA_FRAMES, m)))
    source = TR(RT(start + first, m).rescaled_to(r), RT(frames, r))
    return otio.schema.Clip(name=name, media_reference=ref, source_range=source)


def _gap(frames: int, r: float) -> otio.schema.Gap:
    return otio.schema.Gap(source_range=TR(RT(0, r), RT(frames, r)))


def build_edit(media: dict[str, Path], rate: Fraction, *, single_track: bool = False) -> otio.schema.Timeline:
    r = float(rate)
    timeline = otio.schema.Timeline("format matrix", global_start_time=RT(tc_frames("01:00:00:00", rate), r))
    v1 = otio.schema.Track("V1", kind=otio.schema.TrackKind.Video)
    v1.append(_clip("shotA", media, rate, 4, 14))
    v1.append(otio.schema.Transition(name="dissolve", transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                                     in_offset=RT(3, r), out_offset=RT(3, r)))
    v1.append(_clip("shotB", media, rate, 8, 12))
    v1.append(_gap(5, r))
    shot_c = _clip("shotC", media, rate, 6, 16)
    shot_c.markers.append(otio.schema.Marker(name="restyle: watercolor", marked_range=TR(RT(10, r), RT(0, r)),
                                             color=otio.schema.MarkerColor.RED))
    v1.append(shot_c)
    v1.append(_gap(4, r))
    v1.append(_clip("shotE", media, rate, 6, 10))  # media frames 6.. at 2R: 20 of them under 10 frames
    timeline.tracks.append(v1)
    # a timeline marker over shotC: 14 + 12 + 5 = 31 frames in, and 3 more
    timeline.tracks.markers.append(otio.schema.Marker(name="note: check grade", marked_range=TR(RT(34, r), RT(0, r)),
                                                      color=otio.schema.MarkerColor.GREEN))
    if single_track:
        return timeline
    v2 = otio.schema.Track("V2", kind=otio.schema.TrackKind.Video)
    v2.append(_gap(20, r))
    v2.append(_clip("shotD", media, rate, 2, 15))
    timeline.tracks.append(v2)
    a1 = otio.schema.Track("A1", kind=otio.schema.TrackKind.Audio)
    audio = _clip("shotA", media, rate, 4, 14)
    a1.append(audio)
    timeline.tracks.append(a1)
    return timeline
