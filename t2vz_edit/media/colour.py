"""Explicit colour conversion between coded YUV and RGB (never PyAV's implicit BT.601 guess).

Decoding picks the matrix from the clip's tags when present, else by size (BT.709 for HD,
i.e. height >= 720 or width >= 1280; BT.601 for SD), and the range from the tag (limited
unless tagged full). RGB is the source's own R'G'B' (no gamut or transfer conversion), so
encoding writes it back with the source's matrix and carries its primaries / transfer / matrix
tags (:func:`output_tags`); an untagged source is written as BT.709. Limited range always.
``depth=16`` decodes to 16-bit RGB (``rgb48``) so 10- and 12-bit sources keep their precision.
Names follow FFmpeg's (``bt709``, ``smpte170m``, ``tv``/``pc``) so they read like ffprobe.
"""
from __future__ import annotations

import logging

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace, Interpolation

# FFmpeg enum values (libavutil/pixfmt.h) → names, as ffprobe prints them.
PRIMARIES = {1: "bt709", 2: None, 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m",
             8: "film", 9: "bt2020", 10: "smpte428", 11: "smpte431", 12: "smpte432", 22: "ebu3213"}
TRANSFERS = {1: "bt709", 2: None, 4: "gamma22", 5: "gamma28", 6: "smpte170m", 7: "smpte240m",
             8: "linear", 13: "iec61966-2-1", 14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084",
             18: "arib-std-b67"}
MATRICES = {0: "gbr", 1: "bt709", 2: None, 4: "fcc", 5: "bt470bg", 6: "smpte170m",
            7: "smpte240m", 9: "bt2020nc", 10: "bt2020c"}
RANGES = {0: None, 1: "tv", 2: "pc"}

# matrix tag → swscale colourspace used to convert
_SWS_MATRIX = {"bt709": Colorspace.ITU709, "bt470bg": Colorspace.ITU601, "smpte170m": Colorspace.ITU601,
               "fcc": Colorspace.FCC, "smpte240m": Colorspace.SMPTE240M, "bt2020nc": Colorspace.BT2020,
               "bt2020c": Colorspace.BT2020}

# Tags written on every render: BT.709 primaries, transfer, matrix; limited ("tv") range.
BT709 = 1
# accurate rounding and full chroma interpolation: keeps flat colours within a level or two
_FLAGS = (Interpolation.BICUBIC | Interpolation.ACCURATE_RND | Interpolation.FULL_CHR_H_INT
          | Interpolation.FULL_CHR_H_INP)
LIMITED = 1


def is_rgb_format(pix_fmt: str | None) -> bool:
    return bool(pix_fmt) and (pix_fmt.startswith(("rgb", "bgr", "gbr", "argb", "abgr")) or pix_fmt in ("gray",))


def decode_matrix(matrix_tag: str | None, width: int, height: int) -> Colorspace:
    """The YUV→RGB matrix: the tag when known, else BT.709 for HD and BT.601 for SD."""
    if matrix_tag in _SWS_MATRIX:
        return _SWS_MATRIX[matrix_tag]
    return Colorspace.ITU709 if height >= 720 or width >= 1280 else Colorspace.ITU601


def decode_range(range_tag: str | None, pix_fmt: str | None) -> ColorRange:
    """Full range when tagged ``pc`` or a ``yuvj`` format, else limited (the broadcast default)."""
    full = range_tag == "pc" or bool(pix_fmt and pix_fmt.startswith("yuvj"))
    return ColorRange.JPEG if full else ColorRange.MPEG


def frame_to_rgb(frame: av.VideoFrame, matrix: Colorspace, colour_range: ColorRange,
                 width: int, height: int, depth: int = 8) -> np.ndarray:
    """Decoded frame → RGB ``(H, W, 3)`` at ``width``x``height`` (coded orientation): uint8, or
    uint16 with ``depth=16``."""
    fmt = "rgb48le" if depth == 16 else "rgb24"
    if is_rgb_format(frame.format.name):
        rgb = frame.reformat(width=width, height=height, format=fmt, interpolation=_FLAGS)
    else:
        rgb = frame.reformat(width=width, height=height, format=fmt, src_colorspace=matrix,
                             src_color_range=colour_range, dst_color_range=ColorRange.JPEG,
                             interpolation=_FLAGS)
    return rgb.to_ndarray()


def rgb_to_frame(rgb: np.ndarray, pix_fmt: str, width: int, height: int,
                 matrix: Colorspace = Colorspace.ITU709, tags: tuple[int, int] | None = None) -> av.VideoFrame:
    """RGB ``(H, W, 3)`` uint8 or uint16 → a frame in ``pix_fmt`` at ``width``x``height``, limited range,
    tagged with ``tags`` (primaries, transfer) — encoders such as ProRes read them from the frame."""
    rgb = np.ascontiguousarray(rgb)
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb48le" if rgb.dtype == np.uint16 else "rgb24")
    if is_rgb_format(pix_fmt):
        return frame.reformat(width=width, height=height, format=pix_fmt, interpolation=_FLAGS)
    out = frame.reformat(width=width, height=height, format=pix_fmt, src_colorspace=Colorspace.ITU709,
                         dst_colorspace=matrix, src_color_range=ColorRange.JPEG,
                         dst_color_range=ColorRange.MPEG, interpolation=_FLAGS,
                         dst_color_trc=BT709 if matrix == Colorspace.ITU709 and not tags else None,
                         dst_color_primaries=BT709 if matrix == Colorspace.ITU709 and not tags else None)
    if tags:  # set after the conversion: as reformat targets, swscale would convert gamut and transfer
        out.color_primaries, out.color_trc = tags
    return out


# tag names (ffprobe's) → FFmpeg enum values, for writing
_PRIMARIES_IDS = {v: k for k, v in PRIMARIES.items() if v}
_TRANSFER_IDS = {v: k for k, v in TRANSFERS.items() if v}
_MATRIX_IDS = {v: k for k, v in MATRICES.items() if v}
HDR_TRANSFERS = ("smpte2084", "arib-std-b67")


def output_tags(info) -> tuple[int, int, int, Colorspace]:
    """(primaries, transfer, matrix) enum values a render of ``info`` carries, and the matrix to
    encode with: the source's tags when it has them, BT.709 otherwise (and for RGB sources)."""
    matrix_tag = info.color_matrix if info.color_matrix in _SWS_MATRIX else None
    if not (info.color_primaries or info.color_transfer or matrix_tag):
        return BT709, BT709, BT709, Colorspace.ITU709
    primaries = _PRIMARIES_IDS.get(info.color_primaries, BT709)
    transfer = _TRANSFER_IDS.get(info.color_transfer, BT709)
    matrix = _MATRIX_IDS.get(matrix_tag, BT709)
    return primaries, transfer, matrix, _SWS_MATRIX.get(matrix_tag, Colorspace.ITU709)


def diffusion_warning(info) -> str | None:
    """One line when the diffusion path (8-bit R'G'B', trained on sRGB-like pictures) changes what
    the source carries: bit depth above 8, or an HDR transfer; None otherwise."""
    changes = []
    if info.bit_depth > 8:
        changes.append(f"{info.bit_depth}-bit becomes 8-bit precision")
    if info.color_transfer in HDR_TRANSFERS:
        changes.append(f"{info.color_transfer} (HDR) pictures are edited as if they were SDR")
    if not changes:
        return None
    return (f"warning: {info.path}: the diffusion path works on 8-bit R'G'B': " + "; ".join(changes)
            + f"; the render keeps the source's colour tags ({info.color_primaries}/{info.color_transfer}); "
            "use trim for a bit-exact conform")


def warn_diffusion(info) -> None:
    """Log :func:`diffusion_warning` (once per render) on the media logger."""
    message = diffusion_warning(info)
    if message:
        logging.getLogger("t2vz_edit.media").warning(message)


def tag_stream_like(stream, info) -> Colorspace:
    """Tag an encoder with the tags :func:`output_tags` picks for ``info``; return the matrix."""
    primaries, transfer, matrix, sws = output_tags(info)
    ctx = stream.codec_context
    ctx.color_primaries, ctx.color_trc, ctx.colorspace, ctx.color_range = primaries, transfer, matrix, LIMITED
    return sws


def tag_stream(stream, matrix: Colorspace = Colorspace.ITU709) -> None:
    """Tag an encoder with BT.709 (or BT.601 for ``matrix`` ITU601) limited range."""
    ctx = stream.codec_context
    if matrix == Colorspace.ITU709:
        ctx.color_primaries, ctx.color_trc, ctx.colorspace = 1, 1, 1
    else:
        ctx.color_primaries, ctx.color_trc, ctx.colorspace = 6, 6, 6
    ctx.color_range = LIMITED
