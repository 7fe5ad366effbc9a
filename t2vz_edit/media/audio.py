"""Carry the audio of a frame range into a render, in sync with the video.

The window is ``[t(start), t(stop))`` where ``t(i)`` is the time of source frame i; output audio
starts at 0 like output frame 0. Stream copy is used when the container takes the codec and one
packet lasts at most one frame (AAC at 48 kHz: 21 ms; a 24 fps frame: 42 ms): packets are kept
when their midpoint lies in the window, so each end is off by at most half a packet. Otherwise (PCM, long packets, codecs
the container refuses) the audio is decoded, trimmed to the sample and re-encoded: AAC in .mp4,
16-bit PCM in .mov. Packets are pushed as the video advances (:meth:`push_until`) so the muxer
interleaves without buffering the whole clip.
"""
from __future__ import annotations

from fractions import Fraction

import av

from t2vz_edit.spec.errors import MediaError

COPY_CODECS = {"mp4": {"aac", "alac", "mp3", "ac3", "eac3", "opus"}, "mov": {"aac", "alac", "mp3", "ac3", "eac3"},
               "wav": set()}
REENCODE_CODEC = {"mp4": "aac", "mov": "pcm_s16le", "wav": "pcm_s16le"}


class _Track:
    """One source audio stream → one output stream."""

    def __init__(self, source_stream, output, out_format: str, start_sec: Fraction, stop_sec: Fraction, rate):
        ctx = source_stream.codec_context
        self.source = source_stream
        self.start_sec, self.stop_sec = start_sec, stop_sec
        packet_sec = Fraction(ctx.frame_size or 0, ctx.sample_rate or 1)
        self.copy = ctx.name in COPY_CODECS[out_format] and 0 < packet_sec <= 1 / rate
        if self.copy:
            self.stream = output.add_stream_from_template(source_stream)
            self.offset = None  # pts of the first kept packet
        else:
            layout = ctx.layout.name if ctx.layout else ("stereo" if ctx.channels == 2 else "mono")
            self.stream = output.add_stream(REENCODE_CODEC[out_format], rate=ctx.sample_rate, layout=layout)
            self.sample_rate = ctx.sample_rate
            self.first_sample = round(start_sec * ctx.sample_rate)
            self.stop_sample = round(stop_sec * ctx.sample_rate)

    def handle(self, packet) -> list:
        """Output packets for one demuxed source packet (possibly none)."""
        return self._copy(packet) if self.copy else self._reencode(packet)

    def _copy(self, packet) -> list:
        if packet.pts is None or packet.size == 0:
            return []
        mid = (packet.pts + (packet.duration or 0) / 2) * packet.time_base
        if not self.start_sec <= mid < self.stop_sec:
            return []
        if self.offset is None:
            self.offset = packet.pts
        packet.pts -= self.offset
        packet.dts = packet.pts if packet.dts is None else packet.dts - self.offset
        packet.stream = self.stream
        return [packet]

    def _reencode(self, packet) -> list:
        out = []
        for frame in packet.decode() if packet is not None else self.source.codec_context.decode(None):
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
        return [] if self.copy else self._reencode(None) + list(self.stream.encode(None))


class AudioPassthrough:
    """Copy/re-encode the audio of ``[start_sec, stop_sec)`` (source clock) into ``output``."""

    def __init__(self, info, output, out_format: str, start_sec: Fraction, stop_sec: Fraction):
        self.info = info
        self.output = output
        self.done_sec = start_sec
        self.stop_sec = stop_sec
        self.source = av.open(info.path) if info.audio else None
        self.tracks: dict[int, _Track] = {}
        self._packets = None
        if self.source is None:
            return
        for a in info.audio:
            s = self.source.streams[a.index]
            self.tracks[a.index] = _Track(s, output, out_format, start_sec, stop_sec, info.rate)
        streams = [self.source.streams[i] for i in self.tracks]
        seek_sec = max(Fraction(0), start_sec - 1)  # a second early: packet starts before the cut
        first = streams[0]
        self.source.seek(int(seek_sec / first.time_base), stream=first, backward=True)
        self._packets = self.source.demux(streams)
        self._held = None

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
            raise MediaError(f"audio could not be copied ({exc.strerror or exc}); the audio track is corrupt — "
                             "re-export the clip", path=self.info.path) from exc

    def finish(self) -> None:
        """Push the rest of the window and flush encoders."""
        self.push_until(self.stop_sec)
        for track in self.tracks.values():
            self.output.mux(track.flush())

    def close(self) -> None:
        if self.source is not None:
            self.source.close()
            self.source = None
