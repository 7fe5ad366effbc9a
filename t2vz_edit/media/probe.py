"""`probe(path) -> ClipInfo`: what a clip is, read once, checked for the ways real files go wrong.

>>> import tempfile, os
>>> from t2vz_edit.media.synth import make_clip
>>> clip = make_clip(os.path.join(tempfile.mkdtemp(), "c.mov"), frames=6, timecode="01:00:00:00")
>>> info = probe(clip)
>>> (info.frame_count, str(info.rate), info.start_timecode)
(6, '24000/1001', '01:00:00:00')
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

import av

from t2vz_edit.media import colour
from t2vz_edit.media.timing import coded_timestamps, hold_slots, is_variable_rate, snap_rate
from t2vz_edit.spec.errors import InputNotFoundError, MediaError

MAX_SIDE = 16384  # FFmpeg's own limit for most decoders; larger headers are corrupt
FIRST_FRAME_PACKETS = 300  # packets to try before declaring "nothing decodable"


@dataclass(frozen=True)
class AudioInfo:
    index: int
    codec: str
    channels: int
    sample_rate: int
    duration_sec: float


@dataclass(frozen=True)
class ClipInfo:
    """One clip's facts. Sizes in pixels; ``rate`` exact; ``rotation`` is FFmpeg's display-matrix
    angle in counter-clockwise degrees (-90 = turn 90° clockwise to display, as iPhones write)."""

    path: str
    container: str
    duration_sec: float
    video_codec: str
    width: int
    height: int
    display_width: int
    display_height: int
    rotation: int
    pix_fmt: str
    bit_depth: int
    color_primaries: str | None
    color_transfer: str | None
    color_matrix: str | None
    color_range: str | None
    rate: Fraction
    is_vfr: bool
    frame_count: int
    start_timecode: str | None
    audio: tuple[AudioInfo, ...] = ()
    video_stream_index: int = 0
    time_base: Fraction = Fraction(1, 1)
    start_pts: int = 0
    metadata: dict = field(default_factory=dict)
    sparse: bool = False  # hold slots: frame i shows the latest coded frame at or before slot i
    coded_frames: int = 0  # frames that decode (hold slots and edit-list discards not counted)
    header_frames: int = 0  # what the container header claims (0: it claims nothing)
    notes: tuple[str, ...] = ()  # where the file disagrees with itself, in one line each

    def to_dict(self) -> dict:
        """JSON-able dict (fractions as ``"num/den"`` strings)."""
        out = asdict(self)
        out["rate"] = f"{self.rate.numerator}/{self.rate.denominator}"
        out["rate_fps"] = float(self.rate)
        out["time_base"] = f"{self.time_base.numerator}/{self.time_base.denominator}"
        out["audio"] = [asdict(a) for a in self.audio]
        return out


def _open(path: Path):
    if not path.exists():
        raise InputNotFoundError("no such file; check the path", path=path)
    if path.is_dir():
        raise InputNotFoundError("is a folder, not a media file; pass a video file (.mov, .mp4, .mxf, ...)", path=path)
    if path.stat().st_size == 0:
        raise MediaError("is empty (0 bytes); re-copy or re-export the clip", path=path)
    try:
        return av.open(str(path))
    except av.FFmpegError as exc:
        claimed = _refused_picture_size(path)
        if claimed:  # e.g. a header claiming 100000x100000: FFmpeg's errno alone says "Device or resource busy"
            raise MediaError(f"its header claims a picture FFmpeg refuses ({claimed}); the file is damaged or not "
                             "a video — re-export it", path=path) from exc
        raise MediaError(f"is not a media file FFmpeg can read ({exc.strerror or exc}); pass a video file "
                         "or re-export it if it was cut short", path=path) from exc


def _refused_picture_size(path: Path) -> str:
    """FFmpeg's own words when opening ``path`` failed on an impossible picture size, else ''."""
    import av.logging

    level = av.logging.get_level()
    av.logging.set_level(av.logging.ERROR)
    try:
        with av.logging.Capture() as logs:
            try:
                av.open(str(path)).close()
            except av.FFmpegError:
                pass
    finally:
        av.logging.set_level(level)
    return next((" ".join(text.split()) for _, _, text in logs if "Picture size" in text), "")


def _first_frame(container, stream, path: Path) -> av.VideoFrame:
    try:
        for n, packet in enumerate(container.demux(stream)):
            for frame in packet.decode():
                return frame
            if n > FIRST_FRAME_PACKETS:
                break
    except av.FFmpegError as exc:
        raise MediaError(f"video cannot be decoded ({exc.strerror or exc}); the file is corrupt — re-export it",
                         path=path) from exc
    raise MediaError("has no decodable video frames; the file is corrupt or truncated — re-export it", path=path)


def _check_truncated(stream, path: Path) -> None:
    """An index (mov/mp4) pointing past the end of the file means it was cut short."""
    entries = stream.index_entries
    if entries is None or len(entries) == 0:
        return
    last = entries[len(entries) - 1]
    if last.pos >= 0 and last.pos + last.size > path.stat().st_size:
        raise MediaError("is truncated: its index refers to data past the end of the file; re-copy or "
                         "re-export it", path=path)


def _timecode(container, stream) -> str | None:
    """Start timecode: video stream metadata (mov/mp4 tmcd), a tmcd data stream, container (MXF)."""
    candidates = [stream.metadata] + [s.metadata for s in container.streams if s.type == "data"]
    candidates.append(container.metadata)
    for meta in candidates:
        if meta.get("timecode"):
            return meta["timecode"]
    return None


def _audio(container, fallback_sec: float) -> tuple[AudioInfo, ...]:
    out = []
    for s in container.streams.audio:
        duration = float(s.duration * s.time_base) if s.duration and s.time_base else fallback_sec
        ctx = s.codec_context
        out.append(AudioInfo(s.index, ctx.name, ctx.channels, ctx.sample_rate, round(duration, 6)))
    return tuple(out)


@dataclass(frozen=True)
class FrameModel:
    """How many frames a clip has (see docs/media.md, "Frame model")."""

    frame_count: int
    coded: int
    header: int
    sparse: bool
    notes: tuple[str, ...]


def frame_model(path: Path, stream, rate: Fraction) -> FrameModel:
    """Frames = coded frames; for a sparse clip (hold slots on the rate grid) = slots, like an NLE."""
    stamps = coded_timestamps(str(path), stream.index)
    header = int(stream.frames or 0)
    slots = hold_slots(stamps, Fraction(stream.time_base), rate)
    notes = []
    if slots:
        count = max(slots, header if header <= 2 * slots else 0)  # trailing hold slots count too
        notes.append(f"sparse: {len(stamps)} coded frames in {count} slots at {float(rate):g} fps; "
                     "a slot without a picture shows the latest one (hold)")
    else:
        count = len(stamps)
        if header and header != count:
            notes.append(f"header says {header} frames, {count} decode; using {count}")
    if not count:
        raise MediaError("has no video frames in its index; the file is truncated — re-copy or re-export it",
                         path=path)
    return FrameModel(count, len(stamps), header, bool(slots), tuple(notes))


def probe(path: str | os.PathLike) -> ClipInfo:
    """Read a clip's facts; raise :class:`InputNotFoundError` / :class:`MediaError` naming the file."""
    path = Path(path)
    container = _open(path)
    with container:
        if not container.streams.video:
            raise MediaError("has no video stream (audio-only?); pass a video clip", path=path)
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
            raise MediaError(f"reports absurd dimensions {width}x{height} (allowed 1-{MAX_SIDE}); the header is "
                             "corrupt — re-export the clip", path=path)
        _check_truncated(stream, path)
        first = _first_frame(container, stream, path)
        rate = snap_rate(stream.average_rate or stream.guessed_rate or Fraction(24))
        model = frame_model(path, stream, rate)
        frame_count = model.frame_count
        vfr = not model.sparse and is_variable_rate(str(path), stream.index, rate)
        duration = float(stream.duration * stream.time_base) if stream.duration else float(frame_count / rate)
        if model.sparse:
            duration = float(frame_count / rate)
        rotation = int(round(first.rotation or 0))
        rotation = ((rotation + 180) % 360) - 180 if rotation != 180 else 180
        display_w, display_h = (height, width) if rotation % 180 else (width, height)
        pix_fmt = first.format.name
        return ClipInfo(
            path=str(path), container=container.format.name, duration_sec=round(duration, 6),
            video_codec=stream.codec_context.name, width=width, height=height,
            display_width=display_w, display_height=display_h, rotation=rotation, pix_fmt=pix_fmt,
            bit_depth=max(c.bits for c in first.format.components),
            color_primaries=colour.PRIMARIES.get(int(first.color_primaries)),
            color_transfer=colour.TRANSFERS.get(int(first.color_trc)),
            color_matrix=colour.MATRICES.get(int(first.colorspace)),
            color_range=colour.RANGES.get(int(first.color_range)),
            rate=rate, is_vfr=vfr, frame_count=frame_count, start_timecode=_timecode(container, stream),
            audio=_audio(container, duration), video_stream_index=stream.index,
            time_base=Fraction(stream.time_base), start_pts=int(first.pts or 0),
            metadata=dict(container.metadata), sparse=model.sparse, coded_frames=model.coded,
            header_frames=model.header, notes=model.notes,
        )
