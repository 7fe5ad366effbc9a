"""Renderers a timeline can use: the restyle pipeline (production) and a trim renderer.

Both have the :data:`~t2vz_edit.timeline.render.Renderer` signature. The trim renderer decodes
the requested range and encodes it unchanged through the media layer (audio, timecode,
provenance and sidecar included): it is what tests and dry runs use to prove frame-exact
placement without a diffusion model.
"""
from __future__ import annotations

from t2vz_edit.timeline.render import RenderRequest, RenderResult

CHUNK_FRAMES = 16


def trim_renderer(request: RenderRequest) -> RenderResult:
    """Re-encode source frames [start_frame, stop_frame) of the media to ``out_path``."""
    from t2vz_edit.media.decode import iter_chunks
    from t2vz_edit.media.encode import open_render
    from t2vz_edit.media.probe import probe
    from t2vz_edit.media.ranges import FrameRange

    info = probe(request.media_path)
    frame_range = FrameRange(request.start_frame, request.stop_frame)
    request.out_path.parent.mkdir(parents=True, exist_ok=True)
    provenance = {**request.provenance, "renderer": "trim"}
    with open_render(request.out_path, info, frame_range, codec="h264", crf=18, overwrite=True,
                     provenance=provenance, progress=request.progress) as render:
        for chunk in iter_chunks(info, frame_range, chunk_frames=CHUNK_FRAMES):
            render.write(chunk.frames)
    return RenderResult(request.out_path, frame_range.count)


def restyle_renderer(request: RenderRequest) -> RenderResult:
    """Render through ``t2vz_edit.pipeline.restyle.restyle`` (imported when first used)."""
    try:
        from t2vz_edit.pipeline.restyle import restyle
    except ImportError as exc:  # the pipeline is optional at import time of this layer
        from t2vz_edit.spec.errors import ModelError

        raise ModelError(f"the restyle pipeline is not available ({exc}); use --renderer trim") from None
    from t2vz_edit.media.ranges import FrameRange

    request.out_path.parent.mkdir(parents=True, exist_ok=True)
    result = restyle(request.media_path, request.out_path, request.spec,
                     frame_range=FrameRange(request.start_frame, request.stop_frame),
                     overwrite=True, provenance=request.provenance, progress=request.progress)
    frame_count = getattr(result, "frame_count", request.frame_count)
    return RenderResult(request.out_path, frame_count)


RENDERERS = {"restyle": restyle_renderer, "trim": trim_renderer}
