"""Before/after previews of a restyle: a side-by-side video and a contact-sheet PNG.

Both sit next to the render (``<render>.preview.mp4`` and ``<render>.contact.png``), are built
from the frames as they stream (the contact sheet keeps only its few chosen frames), and commit
with the render or not at all: they are written under hidden temporary names and published
only after the render itself is in place (issue 16: a render that fails on a full disk leaves
no previews). Use :meth:`PreviewWriter.maybe` as the *outer* context of the render's.

The contact sheet is for judging the look: each column is one picked frame, the source on top
taken from the clip at its full display size (not the working size), the render below, both
scaled to tiles of :data:`TILE_LONG_SIDE` px on the long side, under a label with the source
frame number and its timecode.
"""
from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image

from t2vz_edit.media.atomic import (check_output_path, commit, disk_full_named, release, remove_quietly,
                                    temp_path_for)
from t2vz_edit.media.encode import open_render
from t2vz_edit.media.ranges import FrameRange
from t2vz_edit.media.sidecar import sidecar_path, write_sidecar

CONTACT_FRAMES = 6
TILE_LONG_SIDE = 480  # px, long side of each tile: large enough to judge faces and edges
LABEL_HEIGHT = 22  # px, the strip above each column with its frame number and timecode


def preview_paths(render: Path) -> tuple[Path, Path]:
    return render.with_name(render.name + ".preview.mp4"), render.with_name(render.name + ".contact.png")


class PreviewWriter:
    """Streams (source, render) chunk pairs into the side-by-side video and picks contact frames."""

    def __init__(self, render: Path, info, span: FrameRange, size_wh: tuple[int, int], overwrite: bool):
        self.video_path, self.sheet_path = preview_paths(render)
        self.overwrite = overwrite
        check_output_path(self.video_path, (info.path,), overwrite, companions=(sidecar_path(self.video_path),))
        check_output_path(self.sheet_path, (info.path,), overwrite)
        self._staged_video = temp_path_for(self.video_path)
        self._staged_sheet = temp_path_for(self.sheet_path)
        width, height = size_wh
        self._video = open_render(self._staged_video, info, span, size=(2 * width, height),
                                  provenance={"job": "restyle-preview"})
        self._info, self._span = info, span
        self._picks = {int(i) for i in np.linspace(0, span.count - 1, min(CONTACT_FRAMES, span.count))}
        self._sheet: dict[int, np.ndarray] = {}
        self._seen = 0
        self.paths: list[Path] = [self.video_path, self.sheet_path]

    @classmethod
    @contextlib.contextmanager
    def maybe(cls, enabled: bool, render: Path, info, span, size_wh, overwrite: bool):
        """The writer when ``enabled``, else a no-op with the same interface.

        Enter it *before* the render and leave it after: the previews are published only when
        the render's own commit succeeded, and discarded on any error or cancel.
        """
        if not enabled:
            yield _NoPreview()
            return
        writer = cls(render, info, span, size_wh, overwrite)
        try:
            with writer._video:
                yield writer
            with disk_full_named(writer.sheet_path):
                writer._stage_sheet()
                writer._publish()
        except BaseException:
            writer._discard()
            raise

    def _stage_sheet(self) -> None:
        self._staged_sheet.write_bytes(self._sheet_png())

    def _publish(self) -> None:
        data = json.loads(sidecar_path(self._staged_video).read_text(encoding="utf-8"))
        data.pop("schema", None)
        data["render"] = self.video_path.name
        commit(self._staged_video, self.video_path, overwrite=self.overwrite)
        write_sidecar(self.video_path, data, overwrite=self.overwrite)
        remove_quietly(sidecar_path(self._staged_video))
        commit(self._staged_sheet, self.sheet_path, overwrite=self.overwrite)

    def _discard(self) -> None:
        for path in (self._staged_video, sidecar_path(self._staged_video), self._staged_sheet):
            remove_quietly(path)
        release(self.video_path)
        release(self.sheet_path)

    def write(self, source: np.ndarray, rendered: np.ndarray) -> None:
        """``source`` and ``rendered`` uint8 (N, H, W, 3) at working size."""
        rendered = _fit(rendered, source.shape[1:3])
        self._video.write(np.concatenate([source, rendered], axis=2))        # (N, H, 2W, 3)
        for i in range(len(source)):
            if self._seen + i in self._picks:
                self._sheet[self._seen + i] = rendered[i].copy()  # the source is read again at full size
        self._seen += len(source)

    def _sheet_png(self) -> bytes:
        columns = [self._column(i) for i in sorted(self._sheet)]
        buf = io.BytesIO()
        Image.fromarray(np.concatenate(columns, axis=1)).save(buf, format="PNG")  # before on top, after below
        return buf.getvalue()

    def _column(self, index: int) -> np.ndarray:
        """Label, full-size source tile, render tile: (LABEL_HEIGHT + 2 h, w, 3) uint8."""
        from t2vz_edit.media.decode import iter_chunks
        from t2vz_edit.media.timecode import frames_to_timecode, offset_timecode

        frame = self._span.start + index
        chunk = next(iter_chunks(self._info, FrameRange(frame, frame + 1), chunk_frames=1))
        source = chunk.frames[0]                                              # (H_full, W_full, 3)
        tile_hw = tile_size(source.shape[:2])
        tiles = [_resize(source, tile_hw), _resize(self._sheet[index], tile_hw)]
        start_tc = self._info.start_timecode or frames_to_timecode(0, self._info.rate)
        label = f"frame {frame}  {offset_timecode(start_tc, frame, self._info.rate)}"
        return np.concatenate([_label(label, tile_hw[1]), *tiles], axis=0)


class _NoPreview:
    paths: list[Path] = []

    def write(self, source: np.ndarray, rendered: np.ndarray) -> None:
        return None


def tile_size(size_hw: tuple[int, int]) -> tuple[int, int]:
    """(h, w) of a contact-sheet tile: the frame's aspect with a long side of TILE_LONG_SIDE."""
    height, width = size_hw
    scale = TILE_LONG_SIDE / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def _resize(frame: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    if frame.shape[:2] == tuple(size_hw):
        return frame
    return np.asarray(Image.fromarray(frame).resize(size_hw[::-1], Image.LANCZOS))


def _label(text: str, width: int) -> np.ndarray:
    """A dark strip ``width`` px wide with ``text`` in white: (LABEL_HEIGHT, width, 3) uint8."""
    from PIL import ImageDraw

    strip = Image.new("RGB", (width, LABEL_HEIGHT), (24, 24, 24))
    ImageDraw.Draw(strip).text((6, 5), text, fill=(255, 255, 255))
    return np.asarray(strip)


def _fit(frames: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    if frames.shape[1:3] == tuple(size_hw):
        return frames
    return np.stack([np.asarray(Image.fromarray(f).resize(size_hw[::-1], Image.BILINEAR)) for f in frames])
