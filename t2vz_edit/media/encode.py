"""Render frames to H.264, HEVC, ProRes, DNxHR or a PNG / EXR sequence: exact timing, timecode, audio,
colour tags, provenance, atomic.

Bit depth: with ``high_bit_depth=True`` (trim) a source above 8 bits is decoded to 16-bit RGB and
written at 10 bits where the codec allows it (H.264 and HEVC become 10-bit, PNG 16-bit); ProRes,
DNxHR HQX and ``h264-10`` are always 10-bit, ``png16`` always 16-bit, ``exr`` always 16-bit half
float (11 significant bits: a 10-bit code value survives exactly). Colour: the source's tags are
carried (see :mod:`colour`).

EXR holds the source's own R'G'B' code values scaled to 0..1 — the source's transfer (BT.709,
sRGB, PQ, HLG ...), not scene-linear light: nothing is linearised on the way, so a conform is
value-exact and the compositor applies the input transform it would apply to the source (the
sidecar's ``colour`` says which). Half float, ZIP (16-line) compression, channels R, G, B.

>>> import tempfile, os
>>> from t2vz_edit.media.synth import make_clip
>>> from t2vz_edit.media.probe import probe
>>> from t2vz_edit.media.decode import iter_chunks
>>> from t2vz_edit.media.ranges import FrameRange
>>> folder = tempfile.mkdtemp()
>>> info = probe(make_clip(os.path.join(folder, "src.mov"), frames=12, timecode="01:00:00:00"))
>>> with open_render(os.path.join(folder, "out.mov"), info, FrameRange(2, 10)) as render:
...     for chunk in iter_chunks(info, FrameRange(2, 10), long_side=64):
...         render.write(chunk.frames)
>>> out = probe(os.path.join(folder, "out.mov"))
>>> (out.frame_count, out.start_timecode, out.display_width)
(8, '01:00:00:02', 320)
"""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import Colorspace

import t2vz_edit
from t2vz_edit.media import atomic, colour
from t2vz_edit.media.audio import AudioPassthrough
from t2vz_edit.media.ranges import FrameRange
from t2vz_edit.media.sidecar import sidecar_path, write_sidecar
from t2vz_edit.media.timecode import frames_to_timecode, offset_timecode
from t2vz_edit.media.timing import frame_pts_table
from t2vz_edit.spec.errors import MediaError, UsageError
from t2vz_edit.spec.progress import reporter

CODECS = {  # codec → (encoder, pix_fmt, pix_fmt for sources above 8 bits, allowed suffixes)
    "h264": ("libx264", "yuv420p", "yuv420p10le", (".mp4", ".mov", ".m4v")),
    "h264-10": ("libx264", "yuv420p10le", "yuv420p10le", (".mp4", ".mov", ".m4v")),
    "hevc": ("libx265", "yuv420p", "yuv420p10le", (".mp4", ".mov")),
    "prores": ("prores_ks", "yuv422p10le", "yuv422p10le", (".mov",)),
    "prores4444": ("prores_ks", "yuv444p10le", "yuv444p10le", (".mov",)),
    "dnxhr-hqx": ("dnxhd", "yuv422p10le", "yuv422p10le", (".mxf", ".mov")),
    "png": ("png", "rgb24", "rgb48be", ("",)),
    "png16": ("png", "rgb48be", "rgb48be", ("",)),
    "exr": ("exr", "gbrpf32le", "gbrpf32le", ("",)),  # written as half float (ENCODER_OPTIONS)
}
SEQUENCES = ("png", "png16", "exr")  # codecs that write a folder of numbered images
IMAGE_SUFFIX = {"png": ".png", "png16": ".png", "exr": ".exr"}
ENCODER_OPTIONS = {"exr": {"format": "half", "compression": "zip16"}, "prores": {"profile": "3"}, "prores4444": {"profile": "4"}, "dnxhr-hqx": {"profile": "dnxhr_hqx"},
                   "hevc": {"x265-params": "log-level=error"}}

# libx264 options every encoder in the project adds. mbtree off: the macroblock-tree rate control
# reads uninitialised memory on small frames (e.g. 96x64, 192x128, 320x208), so the same frames
# gave different bitstreams run to run; without it an encode is a pure function of its frames
# and settings (tests/media/test_encode_determinism.py).
X264_REPRODUCIBLE = {"mbtree": "0"}


# Largest side a render, a working size or a comparison may have: 8K, what libx264/prores_ks and
# a chunk of RGB frames in memory take (16 frames of 8192x8192 RGB are 3 GiB).
MAX_SIDE = 8192


def _output_size(info, size, codec: str) -> tuple[int, int]:
    width, height = size or (info.display_width, info.display_height)
    what = f"--size {width}x{height}" if size else f"{info.path}: the display size {width}x{height}"
    if width < 2 or height < 2:  # a clip this small was not made smaller by any option: say how to scale it up
        raise UsageError(f"{what} is too small; use at least 2x2" if size else
                         f"{what} is too small to render (sides of at least 2 px); make a larger copy first, e.g. "
                         f"`t2vz-edit trim {info.path} --size 64x64 -o larger.mov`")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise UsageError(f"{what} is too large; sides up to {MAX_SIDE} px (the encoders' and memory's limit)"
                         + ("" if size else " — pass a smaller --size"))
    if codec == "dnxhr-hqx" and (width < 256 or height < 120):
        raise UsageError(f"{width}x{height} is too small for DNxHR (at least 256x120); pass --size or use prores")
    pix_fmt = CODECS[codec][1]
    if "420" in pix_fmt:  # 4:2:0 needs even sides: drop the odd row/column by scaling (< 1 px)
        return width - width % 2, height - height % 2
    if "422" in pix_fmt:  # 4:2:2 needs an even width
        return width - width % 2, height
    return width, height


def check_render_output(out_path, info, codec: str = "h264", size=None) -> tuple[int, int]:
    """What a render of ``info`` to ``out_path`` is refused for, checked before any frame is made:
    an unknown codec, an extension the codec cannot write, a frame size the encoder refuses.
    Returns the output size (width, height)."""
    if codec not in CODECS:
        raise UsageError(f"--codec {codec!r} is not supported; use one of {', '.join(CODECS)}")
    out = Path(out_path)
    suffixes = CODECS[codec][3]
    if codec not in SEQUENCES and out.suffix.lower() not in suffixes:
        raise UsageError(f"{out}: codec {codec} needs a {' or '.join(suffixes)} file; change the "
                         "extension or --codec (png writes a folder)")
    if codec in SEQUENCES and out.suffix.lower() in VIDEO_SUFFIXES:
        raise UsageError(f"{out}: codec {codec} writes a folder of images, not a {out.suffix} file; give -o a "
                         "folder name without an extension, or another --codec")
    return _output_size(info, size, codec)


VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mxf", ".mkv", ".webm", ".avi")


class Render:
    """Context manager returned by :func:`open_render`; see that function."""

    def __init__(self, out_path, info, frame_range: FrameRange, *, codec="h264", crf=18, size=None,
                 overwrite=False, provenance=None, progress=None, preset="fast", extra_inputs=(), audio="copy",
                 high_bit_depth=False):
        self.size = check_render_output(out_path, info, codec, size)
        self.out = Path(out_path)
        self.info, self.range, self.codec, self.crf, self.preset = info, frame_range, codec, int(crf), preset
        self.audio_mode = audio
        self.depth = 16 if high_bit_depth and info.bit_depth > 8 else 8  # of the frames write() takes
        self.pix_fmt = CODECS[codec][2 if self.depth == 16 else 1]
        primaries, transfer, _, self.matrix = colour.output_tags(info)
        self.frame_tags = (primaries, transfer)
        if codec == "dnxhr-hqx":  # the DNxHR bitstream signals BT.709 YCbCr only: convert the matrix
            self.matrix = Colorspace.ITU709
        self.overwrite, self.provenance = overwrite, dict(provenance or {})
        self.report = reporter(progress)
        self.inputs = (info.path, *extra_inputs)
        self.written = 0
        self.container = self.audio = self.temp = None
        self.pts_table = frame_pts_table(info.path, info.video_stream_index) if info.is_vfr else None

    # ---- timing ---------------------------------------------------------------------------
    def _source_sec(self, index: int) -> Fraction:
        """Source-clock time of source frame ``index`` (the end of the clip for ``frame_count``)."""
        if self.pts_table is not None:
            if index < len(self.pts_table):
                return self.pts_table[index] * self.info.time_base
            return self.pts_table[-1] * self.info.time_base + 1 / self.info.rate
        return self.info.start_pts * self.info.time_base + index / self.info.rate

    def _start_timecode(self) -> str:
        """Source timecode of the in-point; for an untimecoded source, frame N at the source rate
        (non-drop), so an NLE conforming by timecode finds the render where the timeline put it."""
        tc = self.info.start_timecode or frames_to_timecode(0, self.info.rate)
        return offset_timecode(tc, self.range.start, self.info.rate)

    # ---- setup ----------------------------------------------------------------------------
    def __enter__(self) -> "Render":
        atomic.check_output_name(self.out)  # before its sidecar's name is derived from it
        atomic.check_output_path(self.out, self.inputs, self.overwrite, folder=self.codec in SEQUENCES,
                                 companions=(sidecar_path(self.out),))
        self.temp = atomic.temp_path_for(self.out)
        try:
            self._open_output()
        except BaseException:
            self._discard()
            raise
        return self

    def _open_output(self) -> None:
        start, stop = self._source_sec(self.range.start), self._source_sec(self.range.stop)
        if self.codec in SEQUENCES:
            self.temp.mkdir()
            self.image = av.CodecContext.create(CODECS[self.codec][0], "w")
            self.image.width, self.image.height = self.size
            self.image.pix_fmt, self.image.time_base = self.pix_fmt, Fraction(1, 1)
            self.image.options = ENCODER_OPTIONS.get(self.codec, {})
            if self.info.audio and self.audio_mode != "none":
                self.container = av.open(str(self.temp / f"{self.out.name}.wav"), "w", format="wav")
                self.audio = AudioPassthrough(self.info, self.container, "wav", start, stop, mode=self.audio_mode)
            return
        suffix = self.out.suffix.lower()
        out_format = "mp4" if suffix in (".mp4", ".m4v") else "mxf" if suffix == ".mxf" else "mov"
        self.container = av.open(str(self.temp), "w", format=out_format)
        if out_format == "mxf":  # MXF keeps timecode in the container, not in a stream
            self.container.metadata["timecode"] = self._start_timecode()
        self.container.metadata["comment"] = json.dumps(self._provenance(), sort_keys=True, default=str)
        self.stream = self._video_stream()
        self.audio = AudioPassthrough(self.info, self.container, out_format, start, stop, mode=self.audio_mode,
                                      video_codec=CODECS[self.codec][0])

    def _video_stream(self):
        encoder = CODECS[self.codec][0]
        options = {"crf": str(self.crf), "preset": self.preset, **X264_REPRODUCIBLE} if encoder == "libx264" \
            else {"crf": str(self.crf), "preset": self.preset} if encoder == "libx265" else {}
        stream = self.container.add_stream(encoder, rate=self.info.rate,
                                           options={**options, **ENCODER_OPTIONS.get(self.codec, {})})
        stream.width, stream.height = self.size
        stream.pix_fmt = self.pix_fmt
        stream.codec_context.time_base = self.info.time_base if self.pts_table else 1 / self.info.rate
        colour.tag_stream_like(stream, self.info)
        if self.codec == "dnxhr-hqx":
            stream.codec_context.colorspace = colour.BT709
        stream.metadata["timecode"] = self._start_timecode()
        return stream

    def _provenance(self) -> dict:
        return {"tool": "t2vz-edit", "version": t2vz_edit.__version__, "source": str(Path(self.info.path).resolve()),
                "range": {"start_frame": self.range.start, "stop_frame": self.range.stop,
                          "start_timecode": self._start_timecode()}, **self.provenance}

    # ---- writing --------------------------------------------------------------------------
    def write(self, frames: np.ndarray) -> None:
        """Append RGB uint8 frames ``(N, H, W, 3)`` (any N, any size: scaled to the output size)."""
        frames = np.asarray(frames)
        if frames.ndim == 3:
            frames = frames[None]
        dtype = np.uint16 if self.depth == 16 else np.uint8
        if frames.dtype != dtype or frames.ndim != 4 or frames.shape[-1] != 3:
            raise UsageError(f"render {self.out}: frames must be {np.dtype(dtype).name} (N, H, W, 3) RGB, "
                             f"got {frames.dtype} {frames.shape}")
        if self.written + len(frames) > self.range.count:
            raise UsageError(f"render {self.out}: {self.written + len(frames)} frames written but the range has "
                             f"{self.range.count}")
        with atomic.disk_full_named(self.out):
            for rgb in frames:
                self._write_one(rgb)
                self.written += 1
            if self.audio is not None:
                self.audio.push_until(self._source_sec(self.range.start + self.written))
        self.report("encode", self.written, self.range.count)

    def _write_one(self, rgb: np.ndarray) -> None:
        width, height = self.size
        if self.codec in SEQUENCES:
            frame = _image_frame(rgb, self.pix_fmt, width, height)
            data = b"".join(bytes(p) for p in self.image.encode(frame))
            (self.temp / f"{self.out.name}_{self.written:06d}{IMAGE_SUFFIX[self.codec]}").write_bytes(data)
            return
        frame = colour.rgb_to_frame(rgb, self.pix_fmt, width, height, self.matrix, self.frame_tags)
        index = self.range.start + self.written
        if self.pts_table is not None:
            frame.pts, frame.time_base = self.pts_table[index] - self.pts_table[self.range.start], self.info.time_base
        else:
            frame.pts, frame.time_base = self.written, 1 / self.info.rate
        self.container.mux(self.stream.encode(frame))

    # ---- finishing ------------------------------------------------------------------------
    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            self._discard()
            return False
        try:
            if self.written != self.range.count:
                raise UsageError(f"render {self.out}: got {self.written} frames but the range has "
                                 f"{self.range.count}; nothing was written")
            with atomic.disk_full_named(self.out):
                self._finish()
        except BaseException:
            self._discard()
            raise
        return False

    def _finish(self) -> None:
        try:
            if self.codec not in SEQUENCES:
                self.container.mux(self.stream.encode(None))
            if self.audio is not None:
                self.audio.finish()
        except av.FFmpegError as exc:
            if atomic.is_disk_full(exc):
                raise
            raise MediaError(f"encoding failed ({exc.strerror or exc})", path=self.out) from exc
        self._close()
        sidecar = write_sidecar(self.out, self._sidecar(), overwrite=self.overwrite)
        try:
            atomic.commit(self.temp, self.out, overwrite=self.overwrite)
        except BaseException:
            if not self.overwrite:  # the sidecar was created by this run: it goes with the render
                atomic.remove_quietly(sidecar)
            raise

    def _sidecar(self) -> dict:
        return {"render": self.out.name, "codec": self.codec, "size": list(self.size),
                "rate": f"{self.info.rate.numerator}/{self.info.rate.denominator}",
                "frame_count": self.written, "start_timecode": self._start_timecode(),
                "colour": self._colour_label(), "bit_depth": 16 if "48" in self.pix_fmt or self.codec == "exr"
                else 10 if "10" in self.pix_fmt else 8,
                "audio_streams": len(self.audio.tracks) if self.audio is not None else 0, "provenance": self._provenance()}

    def _colour_label(self) -> str:
        names = [self.info.color_primaries, self.info.color_transfer, self.info.color_matrix]
        tags = "/".join(n or "bt709" for n in names) if any(names) else "bt709"
        return f"R'G'B' {tags}" if self.codec in SEQUENCES else f"{tags} tv"

    def _close(self) -> None:
        if self.audio is not None:
            self.audio.close()
        if self.container is not None:
            # forgotten before closing: a cancel landing just after close() returns must not make the
            # clean-up close it a second time (PyAV raises then, and the temporary file stayed behind)
            container, self.container = self.container, None
            container.close()

    def _discard(self) -> None:
        try:
            try:
                self._close()
            except (av.FFmpegError, OSError):
                pass  # the output is being thrown away; the original error is what matters
        finally:  # whatever closing raised, the temporary file and the claim go
            if self.temp is not None:
                atomic.remove_quietly(self.temp)
            atomic.release(self.out)


def _image_frame(rgb: np.ndarray, pix_fmt: str, width: int, height: int) -> av.VideoFrame:
    """One image of a sequence: integer RGB for PNG, float R'G'B' in 0..1 (code value / max) for EXR.
    Scaled by swscale at the frames' own depth, then widened here, exactly: swscale's rgb24→rgb48
    and integer→float paths are off by up to one 8-bit level (284 of 65535)."""
    if rgb.shape[:2] != (height, width):
        rgb = colour.rgb_to_frame(rgb, "rgb48le" if rgb.dtype == np.uint16 else "rgb24", width, height).to_ndarray()
    if pix_fmt == "gbrpf32le":
        peak = 65535.0 if rgb.dtype == np.uint16 else 255.0
        # rounded to the nearest half here: FFmpeg's float→half truncates (off by up to one half step)
        half = (np.asarray(rgb, np.float32) / peak).astype(np.float16).astype(np.float32)
        return av.VideoFrame.from_ndarray(np.ascontiguousarray(half), format="gbrpf32le")
    if pix_fmt.startswith("rgb48") and rgb.dtype == np.uint8:
        rgb = rgb.astype(np.uint16) * 257  # 8-bit v → 16-bit v·257 (255 → 65535)
    return colour.rgb_to_frame(rgb, pix_fmt, width, height)


def open_render(out_path, info, frame_range: FrameRange, *, codec: str = "h264", crf: int = 18, size=None,
                overwrite: bool = False, provenance: dict | None = None, progress=None, **kw) -> Render:
    """A context manager writing a render of ``frame_range`` of ``info``; ``.write(frames)`` appends.

    ``audio="copy"|"reencode"|"none"`` (see :mod:`t2vz_edit.media.audio`); the audio of the range
    is checked when the render opens, before any frame is made.

    On a clean exit the render appears at ``out_path`` with its sidecar; on any error or
    cancel nothing is left. ``size`` (width, height) defaults to the source display size.
    """
    return Render(out_path, info, frame_range, codec=codec, crf=crf, size=size, overwrite=overwrite,
                  provenance=provenance, progress=progress, **kw)
