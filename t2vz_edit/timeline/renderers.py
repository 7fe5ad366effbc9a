"""Renderers a timeline can use: the restyle pipeline (production) and a trim renderer.

Both have the :data:`~t2vz_edit.timeline.render.Renderer` signature. The trim renderer decodes
the requested range and encodes it unchanged through the media layer (audio, timecode,
provenance and sidecar included): it is what tests and dry runs use to prove frame-exact
placement without a diffusion model.
"""
from __future__ import annotations

from pathlib import Path

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


class RestyleRenderer:
    """Render through ``t2vz_edit.pipeline.restyle.render_spec`` (diffusion; imported when used).

    The models a spec names are loaded once and kept while the following clips name the same
    ones (a timeline usually restyles every clip with one base model): loading SD1.5 costs
    seconds to tens of seconds a time. One set is held at a time, so memory does not grow with
    the number of distinct specs. The pipeline writes its own provenance; the timeline's (render
    key, clip, timeline) is merged into the sidecar afterwards so re-runs can recognise the render.
    """

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._parts = None
        self.loads = 0  # how many times models were loaded (a check for tests and logs)

    def parts_for(self, spec):
        key = _models_key(spec)
        if key != self._key:
            from t2vz_edit.engine.models.loading import load_parts

            self._parts = self._key = None  # drop the old set before loading the next
            self._parts, self._key = load_parts(spec), key
            self.loads += 1
        return self._parts

    def __call__(self, request: RenderRequest) -> RenderResult:
        from t2vz_edit.media.ranges import FrameRange
        from t2vz_edit.media.sidecar import read_sidecar, write_sidecar
        from t2vz_edit.pipeline.restyle import render_spec

        request.out_path.parent.mkdir(parents=True, exist_ok=True)
        result = render_spec(request.media_path, request.spec, output=request.out_path,
                             frame_range=FrameRange(request.start_frame, request.stop_frame),
                             overwrite=True, progress=request.progress, parts=self.parts_for(request.spec))
        data = read_sidecar(result.output)
        data.pop("schema", None)
        data["provenance"] = {**data.get("provenance", {}), **request.provenance}
        write_sidecar(result.output, data)
        return RenderResult(Path(result.output), result.frame_count)


def _models_key(spec) -> tuple:
    """Everything :func:`~t2vz_edit.engine.models.loading.load_parts` reads from a spec."""
    return (spec.resolved_model, spec.mode, tuple((c.kind, c.resolved_model) for c in spec.controls),
            tuple((lo.path, lo.scale) for lo in spec.loras), spec.resolved_scheduler, spec.device, spec.dtype)


# name -> factory of a renderer (a new one per timeline job: the restyle renderer holds models)
RENDERERS = {"restyle": RestyleRenderer, "trim": lambda: trim_renderer}
