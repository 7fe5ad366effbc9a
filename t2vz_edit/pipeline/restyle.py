"""One clip end to end, streaming: probe → decode → conditions → engine → encode, chunk by chunk.

Memory does not grow with the clip: frames are decoded a chunk at a time, control maps live in
the on-disk cache and are read back per chunk, the engine holds latents for one segment, and
the encoder writes as chunks arrive. The render has the range's exact frame count, rate, start
timecode and audio, at the source's display size, and a sidecar that reproduces it
(:func:`restyle_from_sidecar`).

>>> import tempfile, os
>>> from t2vz_edit.media.synth import make_clip
>>> from t2vz_edit.engine.tiny import build_tiny
>>> from t2vz_edit.engine.parts import EngineParts
>>> clip = make_clip(os.path.join(tempfile.mkdtemp(), "c.mp4"), frames=4, width=64, height=48)
>>> parts = EngineParts.from_components(build_tiny("instruct"))
>>> result = restyle(clip, instruction="make it blue", steps=2, size=64, parts=parts, score=False)
>>> result.frame_count, result.output.name
(4, 'c.instruct.mp4')
"""
from __future__ import annotations

import collections
import contextlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from t2vz_edit.engine.run import EngineInput, stream_edit
from t2vz_edit.media.decode import iter_chunks, working_size
from t2vz_edit.media.colour import warn_diffusion
from t2vz_edit.media.encode import open_render
from t2vz_edit.media.probe import probe
from t2vz_edit.media.ranges import FrameRange, resolve_range
from t2vz_edit.media.sidecar import read_sidecar, render_fields
from t2vz_edit.pipeline.conditions_job import compute_conditions
from t2vz_edit.pipeline.model_plan import ensure_models
from t2vz_edit.pipeline.overlap import BackgroundWriter, SpooledChunks, read_ahead
from t2vz_edit.pipeline.preview import PreviewWriter
from t2vz_edit.pipeline.provenance import model_identity, render_provenance
from t2vz_edit.pipeline.spec_builder import build_restyle_spec, preflight, spec_from_sidecar
from t2vz_edit.quality.metrics import QualityAccumulator
from t2vz_edit.spec.edit_spec import EditSpec
from t2vz_edit.spec.errors import UsageError
from t2vz_edit.spec.progress import ProgressCallback, reporter

CODEC_SUFFIX = {"h264": ".mp4", "h264-10": ".mp4", "hevc": ".mp4", "prores": ".mov", "prores4444": ".mov",
                "dnxhr-hqx": ".mxf", "png": "", "png16": "", "exr": ""}
DRAFT_TAG = "draft"  # in the names of draft-mode renders


@dataclass
class RestyleResult:
    output: Path
    spec: EditSpec
    frame_range: FrameRange
    frame_count: int
    quality: dict[str, Any] = field(default_factory=dict)
    previews: list[Path] = field(default_factory=list)
    compute: dict[str, str] = field(default_factory=dict)  # device, dtype and why (also in the sidecar)


def default_output(source: str | os.PathLike, spec: EditSpec, preset: str | None, codec: str = "h264") -> Path:
    """``<stem>.<preset or mode>[.draft][.tiny-random]<ext>`` next to the source (never the source itself)."""
    from t2vz_edit.pipeline.tiny_models import TINY_TAG, is_tiny

    source = Path(source)
    label = (Path(preset).stem if preset else spec.mode) + (f".{DRAFT_TAG}" if spec.draft else "") \
        + (f".{TINY_TAG}" if is_tiny(spec) else "")
    suffix = source.suffix.lower() if codec == "h264" and source.suffix.lower() in (".mp4", ".mov") \
        else CODEC_SUFFIX[codec]
    return source.with_name(f"{source.stem}.{label}{suffix}")


def restyle(path: str | os.PathLike, preset: str | None = None, *, output: str | os.PathLike | None = None,
            frame_range: Any = None, codec: str = "h264", crf: int = 18, overwrite: bool = False,
            audio: str = "copy", preview: bool = False, score: bool = True, parts=None,
            progress: ProgressCallback | None = None, offline: bool | None = None, tiny: bool = False,
            **overrides: Any) -> RestyleResult:
    """Restyle one clip. ``overrides`` are EditSpec settings (instruction, prompt, controls, seed, ...).

    ``offline`` (default: ``HF_HUB_OFFLINE``): missing models are one error instead of a download.
    ``tiny``: every model replaced by a tiny random-weight one (a path check; see ``tiny_models``).
    A prompt without controls takes the default control (see
    :func:`~t2vz_edit.pipeline.spec_builder.build_restyle_spec`); the note saying so is logged on
    the ``t2vz_edit`` logger (the terminal) and recorded as ``defaults`` in the sidecar.
    """
    spec, note = build_restyle_spec(preset, **overrides)                       # 1. the one spec
    if tiny:
        from t2vz_edit.pipeline.tiny_models import tiny_spec

        spec = tiny_spec(spec)
    extra = None
    if note:
        logging.getLogger("t2vz_edit.pipeline").warning("note: %s", note)
        extra = {"defaults": {"controls": [c.kind for c in spec.controls], "note": note}}
    return render_spec(path, spec, output=output or default_output(path, spec, preset, codec),
                       frame_range=frame_range, codec=codec, crf=crf, overwrite=overwrite, preview=preview,
                       audio=audio, score=score, parts=parts, progress=progress, preset=preset, offline=offline,
                       provenance=extra)


def restyle_from_sidecar(sidecar_file: str | os.PathLike, *, output: str | os.PathLike | None = None,
                         overwrite: bool = False, parts=None, progress: ProgressCallback | None = None,
                         full: bool = False, **render_options: Any) -> RestyleResult:
    """Re-render exactly what a sidecar records: same source, range, spec and codec.

    The sidecar goes through the checks the CLI's options do (schema, codec, crf, range inside
    the clip, the spec's own validation) before anything is loaded or written. ``full=True``
    re-renders a draft at full quality: the same spec with ``draft`` off, written by default
    beside the draft without its ``.draft`` tag.
    """
    data = read_sidecar(sidecar_file)
    fields = render_fields(data, sidecar_file)
    spec, _ = spec_from_sidecar(data, sidecar_file)
    info = probe(fields["source"])
    frame_range = FrameRange(fields["start_frame"], fields["stop_frame"])
    if frame_range.stop > info.frame_count:
        raise UsageError(f"{sidecar_file}: range {frame_range.start}-{frame_range.stop} is outside "
                         f"{fields['source']}, which has {info.frame_count} frames; the sidecar does not belong "
                         "to this clip — restore the .json written beside the render")
    default = Path(str(sidecar_file)[: -len(".json")])
    if full:
        spec, default = spec.with_overrides(draft=False), full_quality_path(default)
    return render_spec(fields["source"], spec, output=output or default, frame_range=frame_range,
                       codec=fields["codec"], crf=fields["crf"], overwrite=overwrite, parts=parts,
                       progress=progress, preset=fields["preset"], **render_options)


def full_quality_path(draft_render: Path) -> Path:
    """``shot.instruct.draft.mp4`` → ``shot.instruct.mp4`` (a name without the tag is kept)."""
    draft_render = Path(draft_render)
    name = draft_render.name.replace(f".{DRAFT_TAG}", "", 1) if f".{DRAFT_TAG}" in draft_render.name else \
        draft_render.name
    return draft_render.with_name(name)


def render_spec(path, spec: EditSpec, *, output, frame_range=None, codec="h264", crf=18, overwrite=False,
                audio="copy", preview=False, score=True, parts=None, progress=None, preset=None,
                provenance: dict[str, Any] | None = None, offline: bool | None = None,
                workers: bool = True) -> RestyleResult:
    """The streaming render of ``spec`` over ``frame_range`` of ``path`` into ``output``.

    ``provenance`` adds the caller's keys (a timeline's render key) to the sidecar, written once.
    Without ``parts``, every model the spec needs is checked (offline) or fetched first.
    ``workers`` (default on) decodes ahead and encodes on threads beside the engine; off, the
    same work runs in turn on this thread (same frames, bit for bit).
    """
    preflight(spec)                                                            # names the spec uses exist
    info = probe(path)                                                         # 2. what the clip is
    warn_diffusion(info)  # 10-bit / HDR sources: say what the 8-bit diffusion path changes
    span = frame_range if isinstance(frame_range, FrameRange) else resolve_range(info, frame_range)
    size_wh = working_size(info, spec.size)
    record = render_provenance(spec, preset, crf, size_wh, provenance)
    with PreviewWriter.maybe(preview, Path(output), info, span, size_wh, overwrite) as previews, \
            open_render(output, info, span, codec=codec, crf=crf, overwrite=overwrite,   # 3. fail early on output
                        audio=audio, provenance=record, progress=progress) as render:  # (previews commit after it)
        if parts is None:                       # 4. every model there (or fetched at once), before anything slow
            ensure_models([spec], offline=offline, progress=progress, preset=preset)
        report = reporter(progress)
        report("load", 0, 1)                                                   # 4b. models
        if parts is None:
            from t2vz_edit.engine.models.loading import load_parts
            parts = load_parts(spec, working_hw=(size_wh[1], size_wh[0]))
        report("load", 1, 1)
        render.provenance["model_files"] = model_identity(spec)
        render.provenance["compute"] = compute = compute_record(parts)
        with SpooledChunks(lambda: iter_chunks(info, span, chunk_frames=spec.chunk_size, long_side=spec.size),
                           keep=bool(spec.controls)) as clip_chunks:        # the clip is decoded once
            maps = {c.kind: compute_conditions(path, c, frame_range=span, long_side=spec.size,   # 5. control maps
                                               params=dict(c.params), progress=progress, chunks=clip_chunks)
                    for c in spec.controls}
            clip_chunks.keep = False  # the engine's pass is the last one
            quality = QualityAccumulator() if score else None
            _render_chunks(spec, parts, clip_chunks, span, maps, size_wh, progress, workers,   # 6. engine,
                           lambda source, rendered: _deliver(render, quality, previews, source, rendered))  # 7.
        result = RestyleResult(Path(output), spec, span, render.written, previews=previews.paths, compute=compute)
        if quality is not None:  # measured at the working size; `score` reads it back from the sidecar
            result.quality = {**quality.result(), "long_side": max(size_wh)}
            render.provenance["quality"] = result.quality
    return result


def compute_record(parts) -> dict[str, str]:
    """Device, compute dtype and why it was chosen (``--dtype auto`` may pick bfloat16 on AMX CPUs)."""
    dtype = str(parts.dtype).replace("torch.", "")
    return {"device": str(parts.device), "dtype": dtype, "choice": parts.dtype_choice or f"{dtype} (parts given)"}


def _render_chunks(spec: EditSpec, parts, clip_chunks, span: FrameRange, maps: dict, size_wh, progress,
                   workers: bool, deliver: Callable[[np.ndarray, np.ndarray], None]) -> None:
    """Engine over the clip's chunks; ``deliver(source, rendered)`` per rendered chunk, in order.

    With ``workers``, reading (decode or replay, control maps) runs ahead on one thread and
    delivery (encode, quality, previews) on another while the engine renders."""
    sources: collections.deque = collections.deque()  # source frames waiting for their render
    inputs = _engine_inputs(clip_chunks, maps, sources)
    with contextlib.ExitStack() as stack:
        if workers:
            inputs = stack.enter_context(contextlib.closing(read_ahead(inputs)))
            writer = stack.enter_context(BackgroundWriter(lambda pair: deliver(*pair)))
            deliver_one = writer.submit
        else:
            deliver_one = lambda pair: deliver(*pair)  # noqa: E731
        for rendered in stream_edit(spec, parts, inputs, total_frames=span.count, progress=progress,
                                    size_hw=(size_wh[1], size_wh[0])):
            deliver_one((np.concatenate([sources.popleft() for _ in range(len(rendered))]), rendered))


def _deliver(render, quality, previews, source: np.ndarray, rendered: np.ndarray) -> None:
    render.write(rendered)
    if quality is not None:
        quality.update(source, rendered)
    previews.write(source, rendered)


def _engine_inputs(clip_chunks, maps: dict, sources: collections.deque) -> Iterator[EngineInput]:
    """Chunks at working size with their control maps; each source frame is kept until rendered."""
    for chunk in clip_chunks:
        stop = chunk.start + len(chunk.frames)
        controls = {kind: m.read(chunk.start, stop) for kind, m in maps.items()} or None
        sources.extend(chunk.frames[i:i + 1] for i in range(len(chunk.frames)))
        yield EngineInput(frames=chunk.frames, controls=controls)
