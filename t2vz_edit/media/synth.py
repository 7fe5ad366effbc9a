"""Synthesize small test and sample clips with PyAV: a moving figure on a panning background.

Every frame carries its own index as a 12-bit code in a band across the top (12 equal black /
white blocks, most significant bit first), so a test can read back which source frame it got
after decoding, resizing and re-encoding (:func:`read_frame_number`). With ``colour_bars`` the
bottom quarter holds the seven BT.709 75 % bars (:data:`COLOUR_BARS`, RGB 0/191) so a test can
check colour within a few levels (:func:`bar_samples`).

``width``/``height`` are the DISPLAY size. With ``rotation`` (FFmpeg's display-matrix angle,
counter-clockwise degrees, as ffprobe prints it; iPhones shooting portrait write -90) the
picture is stored rotated (coded size swapped) and the display matrix tells players to turn
it back, like a phone does.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "c.mp4")
>>> make_clip(path, frames=4, width=64, height=48) == path
True
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import Colorspace

from t2vz_edit.media.colour import rgb_to_frame, tag_stream
from t2vz_edit.media.encode import X264_REPRODUCIBLE

CODE_BITS = 12
COLOUR_BARS = ((191, 191, 191), (191, 191, 0), (0, 191, 191), (0, 191, 0),
               (191, 0, 191), (191, 0, 0), (0, 0, 191))
_CODECS = {  # codec → (encoder, 8-bit pix_fmt, 10-bit pix_fmt)
    "h264": ("libx264", "yuv420p", "yuv420p10le"),
    "hevc": ("libx265", "yuv420p", "yuv420p10le"),
    "prores": ("prores_ks", "yuv422p10le", "yuv422p10le"),
    "mjpeg": ("mjpeg", "yuvj420p", "yuvj420p"),
    "mpeg4": ("mpeg4", "yuv420p", "yuv420p"),
    "mpeg2": ("mpeg2video", "yuv422p", "yuv422p"),
}


def draw_frame(index: int, width: int, height: int, colour_bars: bool = False) -> np.ndarray:
    """RGB uint8 ``(height, width, 3)`` of frame ``index`` in display orientation."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    pan = 3.0 * index  # background pans 3 px per frame
    frame = np.empty((height, width, 3), np.float32)
    frame[..., 0] = 110 + 60 * np.sin((x + pan) / 19.0)
    frame[..., 1] = 110 + 60 * np.sin((y + 0.5 * pan) / 23.0)
    frame[..., 2] = 120 + 40 * np.cos((x - y + pan) / 31.0)
    # the figure: a disc crossing the frame
    cx = (index * 5) % max(width, 1)
    cy = height * (0.5 + 0.15 * np.sin(index / 6.0))
    radius = max(3.0, min(width, height) / 8.0)
    frame[(x - cx) ** 2 + (y - cy) ** 2 <= radius**2] = (235, 200, 40)
    if colour_bars:
        top = height - height // 4
        for k, rgb in enumerate(COLOUR_BARS):
            frame[top:, k * width // 7:(k + 1) * width // 7] = rgb
    band = max(4, height // 10)
    for bit in range(CODE_BITS):
        on = (index >> (CODE_BITS - 1 - bit)) & 1
        frame[:band, bit * width // CODE_BITS:(bit + 1) * width // CODE_BITS] = 255 if on else 0
    return np.clip(frame + 0.5, 0, 255).astype(np.uint8)


def read_frame_number(rgb: np.ndarray) -> int:
    """Read the code band of a (possibly resized, re-encoded) frame drawn by :func:`draw_frame`."""
    height, width = rgb.shape[:2]
    y = max(0, int(height / 20))
    value = 0
    for bit in range(CODE_BITS):
        x = int((bit + 0.5) * width / CODE_BITS)
        value = (value << 1) | int(rgb[y, x].astype(np.int32).mean() > 127)
    return value


def bar_samples(rgb: np.ndarray) -> list[tuple[tuple[int, int, int], np.ndarray]]:
    """(expected RGB, measured mean RGB of the bar's centre patch) for each colour bar."""
    height, width = rgb.shape[:2]
    y0 = height - height // 8 - 1
    out = []
    for k, expected in enumerate(COLOUR_BARS):
        x0 = int((k + 0.5) * width / 7)
        patch = rgb[y0 - 1:y0 + 2, x0 - 1:x0 + 2].reshape(-1, 3).astype(np.float64)
        out.append((expected, patch.mean(axis=0)))
    return out


def tone(channels: int, sample_rate: int, start: int, count: int) -> np.ndarray:
    """Test tone ``(channels, count)`` float32: a chirp rising 100 Hz per second from 440 Hz (660 Hz on
    the right), never periodic, so a test can find where in the clip a piece of audio comes from."""
    t = (start + np.arange(count)) / sample_rate
    phase = 2 * np.pi * (np.outer(1 + 0.5 * np.arange(channels), 440 * t) + 50 * t**2)
    return (0.2 * np.sin(phase)).astype(np.float32)


def _frame_times(frames: int, rate: Fraction, vfr: bool, time_base: Fraction) -> list[int]:
    """Presentation timestamps in ``time_base``; VFR holds every fourth frame twice as long."""
    pts, t = [], Fraction(0)
    for i in range(frames):
        pts.append(int(t / time_base))
        t += (2 if vfr and i % 4 == 3 else 1) / rate
    return pts


def _add_audio(container, audio: dict, duration: Fraction, fmt: str):
    channels = int(audio.get("channels", 2))
    sample_rate = int(audio.get("sample_rate", 48000))
    codec = audio.get("codec") or ("pcm_s16le" if fmt in ("wav",) else "aac")
    stream = container.add_stream(codec, rate=sample_rate, layout="stereo" if channels == 2 else "mono")
    total = int(duration * sample_rate)
    return stream, total, channels, sample_rate


def _mux_audio(container, stream, total: int, channels: int, sample_rate: int) -> None:
    layout = "stereo" if channels == 2 else "mono"
    block = 1024
    for start in range(0, total, block):
        count = min(block, total - start)
        frame = av.AudioFrame.from_ndarray(tone(channels, sample_rate, start, count), format="fltp", layout=layout)
        frame.sample_rate, frame.pts = sample_rate, start
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))


def make_clip(path, *, frames: int = 48, width: int = 320, height: int = 180,
              rate: Fraction = Fraction(24000, 1001), timecode: str | None = None, rotation: int = 0,
              audio: dict | None = None, vfr: bool = False, ten_bit: bool = False, codec: str = "h264",
              colour_bars: bool = False, gop: int = 12, matrix: str = "bt709", crf: int = 12,
              container_metadata: dict | None = None, audio_first: bool = False) -> str:
    """Write a synthetic clip to ``path`` (container from the extension) and return the path.

    ``audio`` like ``{"channels": 2, "sample_rate": 48000}`` (optional ``"codec"``) adds a tone as
    long as the video. ``matrix`` "bt601" tags and converts with BT.601 (SD material).
    ``audio_first`` makes the audio stream 0 and the video stream 1, as VLC, phones and streaming
    exports write them.
    """
    path = str(path)
    rate = Fraction(rate)
    encoder, pix8, pix10 = _CODECS[codec]
    coded_w, coded_h = (height, width) if rotation % 180 else (width, height)
    container = av.open(path, "w", format="mov" if path.endswith(".mov") else None)
    try:
        for key, value in (container_metadata or {}).items():
            container.metadata[key] = value
        pts_end = Fraction(_frame_times(frames, rate, vfr, Fraction(1, 90000))[-1], 90000) + 1 / rate if frames else 0
        sound = _add_audio(container, audio, pts_end, "") if audio and audio_first else None
        options = {"crf": str(crf), "g": str(gop), "bf": "2", "preset": "veryfast", **X264_REPRODUCIBLE} \
            if encoder == "libx264" else {}
        if encoder == "prores_ks":
            options = {"profile": "3"}
        elif encoder in ("mpeg4", "mpeg2video"):
            options = {"g": str(gop), "bf": "2"}  # B-frames: decode order differs from presentation order
        stream = container.add_stream(encoder, rate=rate, options=options)
        stream.width, stream.height = coded_w, coded_h
        stream.pix_fmt = pix10 if ten_bit else pix8
        time_base = Fraction(1, 90000) if vfr else 1 / rate
        stream.codec_context.time_base = time_base
        sws_matrix = Colorspace.ITU601 if matrix == "bt601" else Colorspace.ITU709
        tag_stream(stream, sws_matrix)
        if timecode:
            stream.metadata["timecode"] = timecode
        if rotation:
            stream.set_display_rotation(rotation)
        pts = _frame_times(frames, rate, vfr, time_base)
        duration = Fraction(pts[-1], 1) * time_base + (1 / rate) if frames else Fraction(0)
        if audio and not audio_first:
            sound = _add_audio(container, audio, duration, "")
        k = (rotation // 90) % 4
        for i in range(frames):
            rgb = np.rot90(draw_frame(i, width, height, colour_bars), -k)  # coded = display turned back
            frame = rgb_to_frame(rgb, stream.pix_fmt, coded_w, coded_h, sws_matrix)
            frame.pts, frame.time_base = pts[i], time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        if sound:
            _mux_audio(container, *sound)
    finally:
        container.close()
    return path
