"""Renderers every job list can use: the restyle pipeline (production), a trim renderer (checks).

All take ``(request, progress=None)`` and return a
:class:`~t2vz_edit.pipeline.render_job.RenderResult`. The trim renderer decodes the requested
range and encodes it unchanged through the media layer (audio, timecode, provenance and sidecar
included): tests and dry runs use it to prove frame-exact placement without a diffusion model.
Renderers are found by name in :data:`RENDERERS`, the registry of the ``t2vz_edit.renderers``
entry-point group (built-ins in pyproject.toml, plugins the same way): each name gives a factory,
a picklable callable returning a new renderer per run (the restyle renderer holds models).
"""
from __future__ import annotations

from pathlib import Path

from t2vz_edit.pipeline.render_job import RenderRequest, RenderResult
from t2vz_edit.spec.progress import ProgressCallback
from t2vz_edit.spec.registry import Registry

CHUNK_FRAMES = 16


def trim_renderer(request: RenderRequest, progress: ProgressCallback | None = None) -> RenderResult:
    """Re-encode source frames [start_frame, stop_frame) of the media to ``out_path``."""
    from t2vz_edit.media.decode import iter_chunks
    from t2vz_edit.media.encode import open_render
    from t2vz_edit.media.probe import probe
    from t2vz_edit.media.ranges import FrameRange

    info = probe(request.media_path)
    frame_range = FrameRange(request.start_frame, request.stop_frame)
    Path(request.out_path).parent.mkdir(parents=True, exist_ok=True)
    provenance = {**request.provenance, "renderer": "trim"}
    with open_render(request.out_path, info, frame_range, codec=request.codec, crf=request.crf, overwrite=True,
                     provenance=provenance, progress=progress, audio=request.audio) as render:
        for chunk in iter_chunks(info, frame_range, chunk_frames=CHUNK_FRAMES):
            render.write(chunk.frames)
    return RenderResult(Path(request.out_path), frame_range.count)


class RestyleRenderer:
    """Render through :func:`t2vz_edit.pipeline.restyle.render_spec` (diffusion).

    Models are loaded once and kept while the following requests name the same ones
    (:class:`~t2vz_edit.pipeline.model_cache.ModelCache`). The request's provenance (render key,
    clip, job) goes into the sidecar with the pipeline's own, written once, so re-runs can
    recognise the render.
    """

    def __init__(self) -> None:
        from t2vz_edit.pipeline.model_cache import ModelCache

        self.models = ModelCache()

    @property
    def loads(self) -> int:
        return self.models.loads

    def __call__(self, request: RenderRequest, progress: ProgressCallback | None = None) -> RenderResult:
        from t2vz_edit.media.ranges import FrameRange
        from t2vz_edit.pipeline.restyle import render_spec

        Path(request.out_path).parent.mkdir(parents=True, exist_ok=True)
        result = render_spec(request.media_path, request.spec, output=request.out_path, codec=request.codec,
                             crf=request.crf, preview=request.preview, audio=request.audio, frame_range=FrameRange(request.start_frame, request.stop_frame),
                             overwrite=True, progress=progress, parts=self.models.parts_for(request.spec),
                             provenance=request.provenance)
        return RenderResult(Path(result.output), result.frame_count)


def trim_factory():
    """The trim renderer's factory (it holds nothing, so every run shares the function)."""
    return trim_renderer


# The one renderer registry: name -> factory. ``--renderer`` (batch, timeline restyle) names its entries.
RENDERERS = Registry("t2vz_edit.renderers", "renderer", flag="--renderer", check=callable,
                     expected="a callable renderer factory")
