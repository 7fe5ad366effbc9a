"""Carry the audio of a frame range into a render, in sync with the video.

Modes (``--audio``): ``copy`` (default) stream-copies where the output takes the codec and
re-encodes otherwise; ``reencode`` always re-encodes; ``none`` writes no audio. Re-encoding
writes AAC beside H.264 (.mp4/.mov), 24-bit PCM beside ProRes/DNxHR and in the WAV of an image
sequence; PCM sources stay PCM in .mov (lossless). Before any video work the window is decoded
once (:meth:`AudioPassthrough.check`, milliseconds per second of audio): packets that do not
decode are skipped in both modes with one warning saying how many and where, as ffmpeg does,
and a track where most packets fail is refused up front.

The window is ``[t(start), t(stop))`` where ``t(i)`` is the time of source frame i; output audio
starts at 0 like output frame 0. Stream copy is used when the container takes the codec and one
packet lasts at most one frame (AAC at 48 kHz: 21 ms; a 24 fps frame: 42 ms): packets are kept
when their midpoint lies in the window, so each end is off by at most half a packet. Otherwise (PCM, long packets, codecs
the container refuses) the audio is decoded, trimmed to the sample and re-encoded: AAC in .mp4,
16-bit PCM in .mov. Packets are pushed as the video advances (:meth:`push_until`) so the muxer
interleaves without buffering the whole clip.
"""
from __future__ import annotations

import logging
from fractions import Fraction

import av

from t2vz_edit.media.atomic import DISK_FULL
from t2vz_edit.spec.errors import MediaError, UsageError

log = logging.getLogger("t2vz_edit.media")

AUDIO_MODES = ("copy", "reencode", "none")
COPY_CODECS = {"mp4": {"aac", "alac", "mp3", "ac3", "eac3", "opus"}, "mov": {"aac", "alac", "mp3", "ac3", "eac3"},
               "mxf": set(), "wav": set()}
FRAME_SIZES = {"ac3": 1536, "eac3": 1536, "mp3": 1152, "mp2": 1152, "aac": 1024}  # when AVI headers omit it
MAX_BAD_SHARE = 0.5  # more undecodable packets than this in the window: the track is refused


def reencode_codec(source_codec: str, out_format: str, video_codec: str | None) -> str:
    """Codec a track is re-encoded to: AAC beside H.264/HEVC, 24-bit PCM beside ProRes/DNxHR and in
    WAV and MXF, PCM kept PCM in .mov."""
    if out_format in ("wav", "mxf") or (out_format == "mov" and source_codec.startswith("pcm_")):
        return "pcm_s24le"
    if out_format == "mov" and video_codec in ("prores_ks", "dnxhd"):
        return "pcm_s24le"
    return "aac"


def _layout_name(ctx) -> str:
    """A named layout for the encoder: AVI and WAV often say only "2 channels" (no order)."""
    name = ctx.layout.name if ctx.layout else ""
    if name and "channels" not in name:
        return name
    return {1: "mono", 2: "stereo", 6: "5.1", 8: "7.1"}.get(ctx.channels, f"{ctx.channels}c")


class _Track:
    """One source audio stream → one output stream."""

    def __init__(self, source_stream, output, out_format: str, start_sec: Fraction, stop_sec: Fraction, rate,
                 mode: str = "copy", video_codec: str | None = None):
        ctx = source_stream.codec_context
        self.source = source_stream
        self.start_sec, self.stop_sec = start_sec, stop_sec
        self.bad: set[int | None] = set()  # pts of packets that do not decode (found by check)
        self.skipped: list[Fraction] = []  # source times of packets left out
        self.flushed = False
        packet_sec = Fraction(ctx.frame_size or FRAME_SIZES.get(ctx.name, 0), ctx.sample_rate or 1)
        self.copy = mode == "copy" and ctx.name in COPY_CODECS[out_format] and 0 < packet_sec <= 1 / rate
        if self.copy:
            self.stream = output.add_stream_from_template(source_stream)
            self.offset = None  # pts of the first kept packet
        else:
            layout = _layout_name(ctx)
            codec = reencode_codec(ctx.name, out_format, video_codec)
            self.stream = output.add_stream(codec, rate=ctx.sample_rate, layout=layout)
            self.sample_rate = ctx.sample_rate
            self.first_sample = round(start_sec * ctx.sample_rate)
            self.stop_sample = round(stop_sec * ctx.sample_rate)

    def in_window(self, packet) -> bool:
        if packet.pts is None or packet.size == 0:
            return False
        mid = (packet.pts + (packet.duration or 0) / 2) * packet.time_base
        return self.start_sec <= mid < self.stop_sec

    def handle(self, packet) -> list:
        """Output packets for one demuxed source packet (possibly none). A demuxer's empty end-of-
        stream packet is ignored: sending it to the decoder would end the stream before :meth:`flush`."""
        if packet.size == 0:
            return []
        if packet.pts in self.bad:
            if self.in_window(packet):
                self.skipped.append(packet.pts * packet.time_base)
            return []
        return self._copy(packet) if self.copy else self._reencode(packet)

    def _copy(self, packet) -> list:
        if not self.in_window(packet):
            return []
        if self.offset is None:
            self.offset = packet.pts
        packet.pts -= self.offset
        packet.dts = packet.pts if packet.dts is None else packet.dts - self.offset
        packet.stream = self.stream
        return [packet]

    def _reencode(self, packet) -> list:
        out = []
        try:
            frames = packet.decode() if packet is not None else self.source.codec_context.decode(None)
        except av.FFmpegError:  # a bad packet check() did not see (decoder state): skip it too
            self.skipped.append(packet.pts * packet.time_base if packet is not None and packet.pts else Fraction(0))
            return []
        for frame in frames:
            first = round(frame.pts * frame.time_base * self.sample_rate) if frame.pts is not None else None
            if first is None:
                continue
            lo, hi = max(0, self.first_sample - first), min(frame.samples, self.stop_sample - first)
            if hi <= lo:
                continue
            array = frame.to_ndarray()
            planar = frame.format.is_planar
            piece = array[:, lo:hi] if planar else array[:, lo * len(frame.layout.channels):hi * len(frame.layout.channels)]
            trimmed = av.AudioFrame.from_ndarray(piece.copy(), format=frame.format.name, layout=frame.layout.name)
            trimmed.sample_rate = self.sample_rate
            trimmed.pts = first + lo - self.first_sample
            trimmed.time_base = Fraction(1, self.sample_rate)
            out.extend(self.stream.encode(trimmed))
        return out

    def flush(self) -> list:
        """End of stream for the decoder and encoder, exactly once."""
        if self.copy or self.flushed:
            return []
        self.flushed = True
        return self._reencode(None) + list(self.stream.encode(None))


class AudioPassthrough:
    """Copy/re-encode the audio of ``[start_sec, stop_sec)`` (source clock) into ``output``.

    ``mode`` is one of :data:`AUDIO_MODES`; ``video_codec`` (the output's video encoder) picks the
    re-encode codec. Construction checks the window (:meth:`check`) before any video work."""

    def __init__(self, info, output, out_format: str, start_sec: Fraction, stop_sec: Fraction, *,
                 mode: str = "copy", video_codec: str | None = None):
        if mode not in AUDIO_MODES:
            raise UsageError(f"--audio {mode!r} is not allowed; use one of {', '.join(AUDIO_MODES)}")
        self.info = info
        self.output = output
        self.done_sec = start_sec
        self.stop_sec = stop_sec
        self.source = av.open(info.path) if info.audio and mode != "none" else None
        self.tracks: dict[int, _Track] = {}
        self._packets = None
        if self.source is None:
            return
        for a in info.audio:
            s = self.source.streams[a.index]
            self.tracks[a.index] = _Track(s, output, out_format, start_sec, stop_sec, info.rate, mode, video_codec)
        self.check(start_sec)
        self._packets = self._window_packets(self.source, start_sec)
        self._held = None

    def _window_packets(self, container, start_sec: Fraction):
        streams = [container.streams[i] for i in self.tracks]
        seek_sec = max(Fraction(0), start_sec - 1)  # a second early: packet starts before the cut
        container.seek(int(seek_sec / streams[0].time_base), stream=streams[0], backward=True)
        return container.demux(streams)

    def check(self, start_sec: Fraction) -> None:
        """Decode the window once: remember undecodable packets, refuse a track that is mostly bad."""
        counts = {index: [0, 0] for index in self.tracks}  # index -> [packets, bad]
        with av.open(self.info.path) as probe_container:
            for packet in self._window_packets(probe_container, start_sec):
                if packet.pts is not None and packet.pts * packet.time_base >= self.stop_sec:
                    break
                track = self.tracks[packet.stream.index]
                if not track.in_window(packet):
                    continue
                counts[packet.stream.index][0] += 1
                try:
                    packet.decode()
                except av.FFmpegError:
                    track.bad.add(packet.pts)
                    counts[packet.stream.index][1] += 1
        for index, (total, bad) in counts.items():
            if total and bad > MAX_BAD_SHARE * total:
                raise MediaError(f"audio track #{index} is corrupt ({bad} of {total} packets in the range do not "
                                 "decode); re-export the clip or pass --audio none", path=self.info.path)

    def warn_skipped(self) -> None:
        """One warning per track that lost packets: how many and where."""
        for index, track in self.tracks.items():
            if track.skipped:
                where = ", ".join(f"{float(t):.3f}s" for t in track.skipped[:5])
                more = f" and {len(track.skipped) - 5} more" if len(track.skipped) > 5 else ""
                log.warning(f"warning: {self.info.path}: audio track #{index} ({track.source.codec_context.name}): "
                            f"skipped {len(track.skipped)} undecodable packet(s) at {where}{more} (source time); "
                            "the render has a short gap there")

    def push_until(self, source_sec: Fraction) -> None:
        """Mux every audio packet that starts before ``source_sec`` (source clock)."""
        if self._packets is None:
            return
        limit = min(source_sec, self.stop_sec)
        try:
            while True:
                packet = self._held or next(self._packets, None)
                self._held = None
                if packet is None:
                    self._packets = None
                    return
                if packet.pts is not None and packet.pts * packet.time_base >= limit and limit < self.stop_sec:
                    self._held = packet
                    return
                if packet.pts is not None and packet.pts * packet.time_base >= self.stop_sec:
                    self._packets = None
                    return
                self.output.mux(self.tracks[packet.stream.index].handle(packet))
        except av.FFmpegError as exc:
            if getattr(exc, "errno", None) in DISK_FULL:  # writing failed, not reading: the renderer names the folder
                raise
            raise MediaError(f"audio could not be copied ({exc.strerror or exc}); the audio track is corrupt — "
                             "re-export the clip", path=self.info.path) from exc

    def finish(self) -> None:
        """Push the rest of the window and flush encoders."""
        self.push_until(self.stop_sec)
        for track in self.tracks.values():
            self.output.mux(track.flush())
        self.warn_skipped()

    def close(self) -> None:
        if self.source is not None:
            source, self.source = self.source, None  # never closed twice, even if a cancel lands in between
            source.close()
