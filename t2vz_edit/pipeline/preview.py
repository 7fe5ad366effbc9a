"""Before/after previews of a restyle: a side-by-side video and a contact-sheet PNG.

Both sit next to the render (``<render>.preview.mp4`` and ``<render>.contact.png``), are built
from the frames as they stream (the contact sheet keeps only its few chosen frames), and are
written atomically on success only.
"""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
from PIL import Image

from t2vz_edit.media.atomic import check_output_path, commit, remove_quietly, temp_path_for
from t2vz_edit.media.encode import open_render
from t2vz_edit.media.ranges import FrameRange

CONTACT_FRAMES = 6


def preview_paths(render: Path) -> tuple[Path, Path]:
    return render.with_name(render.name + ".preview.mp4"), render.with_name(render.name + ".contact.png")


class PreviewWriter:
    """Streams (source, render) chunk pairs into the side-by-side video and picks contact frames."""

    def __init__(self, render: Path, info, span: FrameRange, size_wh: tuple[int, int], overwrite: bool):
        self.video_path, self.sheet_path = preview_paths(render)
        check_output_path(self.sheet_path, (info.path,), overwrite)
        width, height = size_wh
        self._video = open_render(self.video_path, info, span, size=(2 * width, height), overwrite=overwrite,
                                  provenance={"job": "restyle-preview"})
        self._picks = {int(i) for i in np.linspace(0, span.count - 1, min(CONTACT_FRAMES, span.count))}
        self._sheet: dict[int, np.ndarray] = {}
        self._seen = 0
        self.paths: list[Path] = [self.video_path, self.sheet_path]

    @classmethod
    @contextlib.contextmanager
    def maybe(cls, enabled: bool, render: Path, info, span, size_wh, overwrite: bool):
        """The writer when ``enabled``, else a no-op with the same interface."""
        if not enabled:
            yield _NoPreview()
            return
        writer = cls(render, info, span, size_wh, overwrite)
        with writer._video:
            yield writer
        try:
            temp = temp_path_for(writer.sheet_path)
            try:
                temp.write_bytes(writer._sheet_png())
                commit(temp, writer.sheet_path, overwrite=overwrite)
            finally:
                remove_quietly(temp)
        except BaseException:
            remove_quietly(writer.video_path)
            raise

    def write(self, source: np.ndarray, rendered: np.ndarray) -> None:
        """``source`` and ``rendered`` uint8 (N, H, W, 3) at working size."""
        rendered = _fit(rendered, source.shape[1:3])
        self._video.write(np.concatenate([source, rendered], axis=2))        # (N, H, 2W, 3)
        for i in range(len(source)):
            if self._seen + i in self._picks:
                self._sheet[self._seen + i] = np.concatenate([source[i], rendered[i]], axis=0)  # (2H, W, 3)
        self._seen += len(source)

    def _sheet_png(self) -> bytes:
        columns = [self._sheet[i] for i in sorted(self._sheet)]
        buf = io.BytesIO()
        Image.fromarray(np.concatenate(columns, axis=1)).save(buf, format="PNG")  # before on top, after below
        return buf.getvalue()


class _NoPreview:
    paths: list[Path] = []

    def write(self, source: np.ndarray, rendered: np.ndarray) -> None:
        return None


def _fit(frames: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    if frames.shape[1:3] == tuple(size_hw):
        return frames
    return np.stack([np.asarray(Image.fromarray(f).resize(size_hw[::-1], Image.BILINEAR)) for f in frames])
