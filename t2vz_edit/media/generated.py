"""Writing a generated clip (no source: no range, timecode or audio) as H.264 with its sidecar.

The renderer of :mod:`.encode` is built around a source clip; a text-to-video clip has none,
so its frames are written here with PyAV, atomically (temporary file in the destination
folder, renamed on success, nothing left on failure or cancel), and its sidecar carries the
same fields as every other render's (``t2vz.sidecar.1``), through the one writer.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

import t2vz_edit
from t2vz_edit.media import atomic
from t2vz_edit.media.encode import X264_REPRODUCIBLE
from t2vz_edit.media.sidecar import sidecar_path, write_sidecar

CRF = 18
START_TIMECODE = "00:00:00:00"


def write_generated(frames: np.ndarray, out: Path, rate: Fraction, *, overwrite: bool,
                    provenance: dict | None = None) -> Path:
    """Frames (N, H, W, 3) uint8 → H.264 (yuv420p, BT.709 tags) at ``out`` plus ``out.json``."""
    import av

    out = atomic.check_output_path(out, overwrite=overwrite, companions=(sidecar_path(out),))
    temp = atomic.temp_path_for(out)
    height, width = frames.shape[1] - frames.shape[1] % 2, frames.shape[2] - frames.shape[2] % 2
    try:
        with atomic.disk_full_named(out), av.open(str(temp), "w") as container:
            stream = container.add_stream("libx264", rate=rate)
            stream.height, stream.width = height, width
            stream.pix_fmt, stream.options = "yuv420p", {"crf": str(CRF), "colorprim": "bt709", "transfer": "bt709",
                                                         "colormatrix": "bt709", **X264_REPRODUCIBLE}
            for rgb in frames:
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[:height, :width]), format="rgb24")
                container.mux(stream.encode(frame.reformat(format="yuv420p", dst_colorspace="ITU709")))
            container.mux(stream.encode(None))
        with atomic.disk_full_named(out):  # the sidecar first, as for every render: both or neither
            sidecar = _write_sidecar(out, frames, width, height, rate, overwrite, provenance)
        try:
            atomic.commit(temp, out, overwrite=overwrite)
        except BaseException:
            if not overwrite:  # created by this run: it goes with the render
                atomic.remove_quietly(sidecar)
            raise
    finally:
        atomic.remove_quietly(temp)
    return out


def _write_sidecar(out: Path, frames: np.ndarray, width: int, height: int, rate: Fraction, overwrite: bool,
                   provenance: dict | None) -> Path:
    return write_sidecar(out, {"render": out.name, "codec": "h264", "size": [width, height],
                        "rate": f"{rate.numerator}/{rate.denominator}", "frame_count": len(frames),
                        "start_timecode": START_TIMECODE, "colour": "bt709/bt709/bt709 tv", "bit_depth": 8,
                        "audio_streams": 0,
                        "provenance": {"tool": "t2vz-edit", "version": t2vz_edit.__version__, **(provenance or {})}},
                  overwrite=overwrite)  # checked with the render up front: never a user's file without --overwrite


__all__ = ["write_generated"]
