"""Expand a batch file into render requests, validating the whole file before anything renders.

Every problem (bad setting or preset, missing model, glob that matches nothing, path that
escapes ``root`` or ``output``, range outside its clip, unreadable media) is collected, and all
of them are raised together as one :class:`~t2vz_edit.batch.instructions.BatchFileError`.
Paths are checked after resolving symlinks: a glob or file must land inside ``root``, a render
inside ``output``; files inside ``output`` are never treated as sources.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path, PurePath

from t2vz_edit.batch.instructions import BatchFile, BatchFileError, JobEntry
from t2vz_edit.pipeline.render_job import (PROVENANCE_KEY, RenderRequest, RenderSettings, render_key, render_path,
                                           unique_paths)
from t2vz_edit.pipeline.tiny_models import is_tiny
from t2vz_edit.spec.edit_spec import EditSpec
from t2vz_edit.spec.errors import T2VZError


@dataclass(frozen=True)
class PlannedJob:
    source: str  # path relative to root, for tables and reports
    request: RenderRequest

    @property
    def key(self) -> str:
        return self.request.render_key

    @property
    def frame_steps(self) -> int:
        return self.request.frame_count * self.request.spec.resolved_steps


@dataclass(frozen=True)
class Plan:
    batch: BatchFile
    jobs: tuple[PlannedJob, ...]

    @property
    def requests(self) -> list[RenderRequest]:
        return [job.request for job in self.jobs]


def plan_batch(batch: BatchFile, *, check_models: bool = True, overrides: dict | None = None,
               offline: bool | None = None, tiny: bool = False,
               settings: RenderSettings = RenderSettings()) -> Plan:
    """Every job of ``batch`` as a request; raises BatchFileError listing every problem.

    ``overrides`` (settings given on the command line) apply to every job, over the file's own; an
    ``instruction`` given there replaces the file's prompt and controls, a ``prompt`` its
    instruction. ``check_models``: local model files must exist, and offline (``offline`` or
    ``HF_HUB_OFFLINE``) every hub model must be in the store. ``tiny``: every spec on tiny
    random-weight models (``--tiny``). ``settings`` say how each render is written (codec, crf,
    previews); what they refuse for a clip (codec vs container, frame size) is a problem of the
    plan, found before anything renders.
    """
    problems: list[str] = list(batch.problems)
    root, output = batch.root.resolve(), batch.output.resolve()
    if not root.is_dir():
        raise BatchFileError(batch.path, [*problems, f"root {batch.root} is not a folder; fix root = \"...\""])
    if output == root or root.is_relative_to(output):
        problems.append(f"output {batch.output} contains the footage root; choose a separate output folder")
    probes: dict[Path, object] = {}
    jobs: dict[str, PlannedJob] = {}
    for entry in batch.entries:
        merged = _merge(entry.settings, overrides or {})
        spec, note = _spec(entry, merged, problems, check_models, tiny)
        label = merged.get("preset") or (spec.mode if spec is not None else "")
        for source in _sources(entry, root, output, problems):
            job = _job(batch, entry, spec, source, root, output, probes, problems, settings, Path(str(label)).stem,
                       note)
            if job is not None:
                jobs.setdefault(job.key, job)  # the same clip, range and spec twice renders once
    if check_models and not problems:
        problems += _missing_models([job.request.spec for job in jobs.values()], offline)
    if problems:
        raise BatchFileError(batch.path, problems)
    requests = unique_paths([j.request for j in jobs.values()])
    return Plan(batch, tuple(PlannedJob(j.source, r) for j, r in zip(jobs.values(), requests)))


def _missing_models(specs: list[EditSpec], offline: bool | None) -> list[str]:
    """Offline: one problem naming every missing model of the batch and the command that pulls them
    (online, ``batch run`` fetches them before the first job)."""
    from t2vz_edit.pipeline.model_plan import models_needed, offline_requested

    if not specs or not offline_requested(offline):
        return []
    plan = models_needed(specs)
    return [str(plan.offline_error())] if plan.missing else []


def _merge(file_settings: dict, overrides: dict) -> dict:
    """The command line's settings over the file's; its text (instruction vs prompt) replaces the file's."""
    merged = dict(file_settings)
    if overrides.get("instruction"):
        for key in ("prompt", "controls", "mode"):
            merged.pop(key, None)
    if overrides.get("prompt"):
        for key in ("instruction", "mode"):
            merged.pop(key, None)
    return {**merged, **overrides}


def _spec(entry: JobEntry, settings: dict, problems: list[str], check_models: bool,
          tiny: bool) -> tuple[EditSpec | None, str]:
    from t2vz_edit.pipeline.model_plan import models_needed
    from t2vz_edit.pipeline.spec_builder import build_restyle_spec
    from t2vz_edit.pipeline.tiny_models import tiny_spec

    settings = dict(settings)
    try:
        spec, note = build_restyle_spec(settings.pop("preset", None), **settings)
        spec = tiny_spec(spec) if tiny else spec
        if check_models:
            models_needed([spec])  # local files (LoRAs, folders) must exist; hub ids are checked once, after
        return spec, note
    except T2VZError as exc:
        problems.append(f"{entry.where}: {exc}")
        return None, ""


def _escapes(pattern: str) -> bool:
    pure = PurePath(pattern)
    return pure.is_absolute() or ".." in pure.parts or pattern.startswith("~")


def _sources(entry: JobEntry, root: Path, output: Path, problems: list[str]) -> list[Path]:
    """Files the entry names, each resolved and checked to lie inside root and outside output."""
    patterns = [entry.glob] if entry.glob is not None else list(entry.files)
    found: list[Path] = []
    for pattern in patterns:
        if _escapes(pattern):
            problems.append(f"{entry.where}: {pattern!r} leaves the root folder; give a path relative to root "
                            "without '..'")
            continue
        hits = sorted(root.glob(pattern)) if entry.glob is not None else [root / pattern]
        hits = [h for h in hits if h.is_file() and not h.name.startswith(".")]
        if not hits:
            problems.append(f"{entry.where}: {pattern!r} matches no file under {root}; check the name or glob")
        for hit in hits:
            real = hit.resolve()
            if not real.is_relative_to(root):
                problems.append(f"{entry.where}: {hit.relative_to(root)} resolves to {real}, outside root "
                                f"{root}; copy the file in or move root")
            elif not real.is_relative_to(output):
                found.append(hit)
    return found


def _job(batch: BatchFile, entry: JobEntry, spec: EditSpec | None, source: Path, root: Path, output: Path,
         probes: dict, problems: list[str], settings: RenderSettings, label: str, note: str) -> PlannedJob | None:
    from t2vz_edit.media.encode import check_render_output
    from t2vz_edit.media.probe import probe
    from t2vz_edit.media.ranges import resolve_range

    rel = source.relative_to(root)
    try:
        info = probes.get(source) or probes.setdefault(source, probe(source))
        span = resolve_range(info, entry.range)
    except T2VZError as exc:
        problems.append(f"{entry.where}: {rel}: {exc}")
        return None
    if spec is None:
        return None
    key = render_key(source, span.start, span.stop, spec, codec=settings.codec, name=rel.as_posix(),
                     audio=settings.audio)
    out = render_path(output / rel.parent, rel.stem, source, label, span.start, span.stop, codec=settings.codec,
                      draft=spec.draft, tiny=is_tiny(spec))
    try:
        check_render_output(out, info, settings.codec)
    except T2VZError as exc:
        problems.append(f"{entry.where}: {rel}: {exc}")
        return None
    if not out.parent.resolve().is_relative_to(output):
        problems.append(f"{entry.where}: render folder {out.parent} resolves outside output {output} "
                        "(a symlink?); remove the link")
        return None
    text = entry.settings.get("instruction") or entry.settings.get("prompt") or entry.settings.get("preset", "")
    provenance = {PROVENANCE_KEY: {"render_key": key, "batch": str(batch.path), "job": entry.where,
                                   "source": str(rel), "source_start_frame": span.start,
                                   "source_stop_frame": span.stop, "instruction": text}}
    if note:
        provenance["defaults"] = {"controls": [c.kind for c in spec.controls], "note": note}
    request = RenderRequest(media_path=source, start_frame=span.start, stop_frame=span.stop,
                            rate=Fraction(info.rate), spec=spec, instruction=str(text), out_path=out,
                            clip_name=rel.stem, render_key=key, provenance=provenance, codec=settings.codec,
                            crf=settings.crf, preview=settings.preview, audio=settings.audio)
    return PlannedJob(str(rel), request)
