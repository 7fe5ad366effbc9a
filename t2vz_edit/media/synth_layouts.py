"""Synthesize the layouts real cameras, phones and NLEs write (issue 9), for tests and demos.

Each function writes a small clip whose frames carry their index (see :mod:`synth`) and returns
its path. The layouts are the ones synthesized clips never have otherwise:

- :func:`make_bad_audio_clip`: AC-3, MP2 or PCM audio in an AVI or MOV, with one audio packet
  overwritten by garbage (what a dropped-out capture card or a bad sector leaves);
- :func:`make_sparse_avi`: a capture AVI at a nominal rate where only some frame slots hold a
  coded frame, the others are "hold" slots (the previous picture stays on screen);
- :func:`make_edit_list_mp4`: an MP4 whose header counts one frame more than decodes (the first
  sample sits before an edit list start, so players and decoders drop it);
- :func:`make_hdr_clip`: 10-bit BT.2020 primaries, PQ (SMPTE ST 2084) transfer, BT.2020 matrix.

Audio-first stream order is :func:`synth.make_clip` with ``audio_first=True``.

>>> import tempfile, os
>>> path = make_sparse_avi(os.path.join(tempfile.mkdtemp(), "s.avi"), slots=30, coded=(0, 1, 9, 20))
>>> import av
>>> with av.open(path) as c:
...     [p.pts for p in c.demux(video=0) if p.size]
[0, 1, 9, 20]
"""
from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
from av.video.reformatter import Colorspace

from t2vz_edit.media.colour import rgb_to_frame, tag_stream
from t2vz_edit.media.synth import draw_frame, tone


def _video_stream(container, codec: str, rate: Fraction, width: int, height: int, pix_fmt: str, options=None):
    stream = container.add_stream(codec, rate=rate, options=options or {})
    stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
    stream.codec_context.time_base = 1 / rate
    return stream


def _encode_video(container, stream, indices, width, height, matrix=Colorspace.ITU709, pts_shift=0) -> None:
    for i in indices:
        frame = rgb_to_frame(draw_frame(i, width, height), stream.pix_fmt, width, height, matrix)
        frame.pts, frame.time_base = i + pts_shift, stream.codec_context.time_base
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def _audio_packets(container, codec: str, seconds: Fraction, sample_rate: int = 48000) -> list:
    """Encode a stereo test tone with ``codec``; return the packets (not yet muxed)."""
    stream = container.add_stream(codec, rate=sample_rate, layout="stereo")
    fmt = stream.codec_context.format.name if stream.codec_context.format else "fltp"
    total, block, packets = int(seconds * sample_rate), 1152, []
    for start in range(0, total, block):
        count = min(block, total - start)
        samples = tone(2, sample_rate, start, count)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
        frame.sample_rate, frame.pts = sample_rate, start
        if fmt != "fltp":
            frame = av.AudioResampler(format=fmt, layout="stereo", rate=sample_rate).resample(frame)[0]
            frame.pts = start
        packets.extend(stream.encode(frame))
    packets.extend(stream.encode(None))
    return packets


def _garble_audio_packets(path: str, numbers: tuple[int, ...]) -> None:
    """Overwrite audio packets ``numbers`` in the written file with garbage after their first two
    bytes (the sync word survives, like a bad sector or a capture drop-out leaves it)."""
    with av.open(path) as container:
        spots = [(p.pos, p.size) for n, p in enumerate(container.demux(audio=0)) if n in numbers and p.size > 2]
    rng = np.random.default_rng(9)
    with open(path, "r+b") as fh:
        for pos, size in spots:
            fh.seek(pos + 2)
            fh.write(rng.integers(0, 256, size - 2, dtype=np.uint8).tobytes())


def make_bad_audio_clip(path, *, audio_codec: str = "ac3", frames: int = 48, rate: Fraction = Fraction(25),
                        bad_packets: tuple[int, ...] = (5,), width: int = 160, height: int = 96) -> str:
    """MPEG-4 part 2 video (AVI) or H.264 (MOV) with ``audio_codec`` audio whose packets
    ``bad_packets`` are corrupt in the file (``()``: a clean track). AC-3 and MP2 decoders reject
    such a packet; PCM has no checks, so its bad packet is noise."""
    path, rate = str(path), Fraction(rate)
    with av.open(path, "w") as container:
        avi = path.lower().endswith(".avi")
        video = _video_stream(container, "mpeg4" if avi else "libx264", rate, width, height, "yuv420p",
                              {"bf": "0"} if avi else {"preset": "veryfast"})
        tag_stream(video)
        for packet in _audio_packets(container, audio_codec, frames / rate):
            packet.stream = container.streams.audio[0]
            container.mux(packet)
        _encode_video(container, video, range(frames), width, height)
    _garble_audio_packets(path, bad_packets)
    return path


def make_sparse_avi(path, *, slots: int = 60, coded: tuple[int, ...] = (0, 1, 2, 7, 8, 20, 21, 22, 40, 59),
                    rate: Fraction = Fraction(15), width: int = 96, height: int = 64) -> str:
    """An AVI with ``slots`` frame slots at ``rate`` of which only ``coded`` hold a picture;
    frame i's picture is ``draw_frame(i)`` for i in ``coded``."""
    path = str(path)
    with av.open(path, "w", format="avi") as container:
        stream = _video_stream(container, "mpeg4", Fraction(rate), width, height, "yuv420p", {"bf": "0", "g": "600"})
        tag_stream(stream)
        _encode_video(container, stream, sorted(coded), width, height)
        if slots > max(coded) + 1:  # trailing hold slots: an empty chunk at the last slot
            hold = av.Packet(b"")
            hold.pts = hold.dts = slots - 1
            hold.time_base, hold.stream = stream.codec_context.time_base, stream
            container.mux(hold)
    return path


def make_edit_list_mp4(path, *, frames: int = 20, rate: Fraction = Fraction(24), width: int = 96,
                       height: int = 64) -> str:
    """An MP4 holding ``frames + 1`` samples whose first sits before the edit list start: the
    header says ``frames + 1``, decoders yield ``frames``. Frame i shows ``draw_frame(i)``."""
    path = str(path)
    with av.open(path, "w") as container:
        stream = _video_stream(container, "libx264", Fraction(rate), width, height, "yuv420p",
                               {"bf": "0", "g": "12", "preset": "veryfast"})
        tag_stream(stream)
        _encode_video(container, stream, range(-1, frames), width, height, pts_shift=0)
    return path


def make_hdr_clip(path, *, frames: int = 24, rate: Fraction = Fraction(24), width: int = 128,
                  height: int = 72, codec: str = "libx265") -> str:
    """10-bit 4:2:0 BT.2020 / PQ / BT.2020nc limited range (HDR10 as phones and cameras tag it)."""
    path = str(path)
    options = {"preset": "ultrafast", "x265-params": "log-level=error"} if codec == "libx265" \
        else {"preset": "veryfast"}
    with av.open(path, "w") as container:
        stream = _video_stream(container, codec, Fraction(rate), width, height, "yuv420p10le", options)
        ctx = stream.codec_context
        ctx.color_primaries, ctx.color_trc, ctx.colorspace, ctx.color_range = 9, 16, 9, 1
        _encode_video(container, stream, range(frames), width, height, matrix=Colorspace.BT2020)
    return path
