"""Restyle clips on a timeline and put the renders back: the orchestrator, in numbered stages.

Per-clip problems (refused clips, missing media, failed renders) are collected, never fatal
on their own: the other clips still render and the output is written; the call then raises
:class:`PartialFailure` (exit 3) with one line per failed clip. When no clip succeeds nothing
is written and :class:`TimelineError` is raised.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from t2vz_edit.media.encode import SEQUENCES
from t2vz_edit.pipeline.render_job import Renderer, RenderRequest, RenderResult, unique_paths
from t2vz_edit.pipeline.render_loop import render_all, render_on
from t2vz_edit.spec.errors import PartialFailure, T2VZError, TimelineError, UsageError
from t2vz_edit.spec.progress import ProgressCallback
from t2vz_edit.timeline import conform, limits, placement
from t2vz_edit.timeline.jobs import ClipJob, RenderSettings, SpecFor, Where, build_job, media_range_finder
from t2vz_edit.timeline.media_paths import resolve_media
from t2vz_edit.timeline.read import ReadTimeline
from t2vz_edit.timeline.selection import Criteria, select_clips
from t2vz_edit.timeline.write import check_output, write_timeline

MODES = ("track", "reference")


@dataclass(frozen=True)
class Options:
    criteria: Criteria
    out_path: Path
    where: Where
    out_format: str | None = None
    mode: str = "track"
    handles: int = 0  # extra source frames rendered before and after each clip
    force: bool = False  # re-render even when a matching render exists
    overwrite: bool = False  # replace an existing output timeline
    activate_render: bool = True  # reference mode: the render is the active reference
    codec: str = "h264"  # of each render (a movie file: the timeline references it)
    crf: int = 18
    preview: bool = False  # before/after video and contact sheet beside each render
    audio: str = "copy"  # of each render: copy | reencode | none


@dataclass
class Outcome:
    clip: str
    track: int
    status: str  # rendered | reused | failed
    message: str = ""
    render: str = ""


@dataclass
class Report:
    output: Path | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the output format could not hold

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def restyle_timeline(read: ReadTimeline, options: Options, spec_for: SpecFor, renderer: Renderer | None,
                     progress: ProgressCallback | None = None, *, runner=None,
                     prepare: Callable[[list[RenderRequest]], object] | None = None) -> Report:
    """Run the round trip on ``read.timeline`` (modified in place) and write ``options.out_path``.

    Renders are made by ``renderer`` in this process, or by ``runner`` (anything with
    ``run(requests, emit)``, e.g. the Ray runner of ``t2vz_edit.batch``) when one is given.
    ``prepare`` sees every request before the first render (the CLI checks or fetches all models there).
    """
    # 1. validate the request before any work
    key = _check(read, options)
    # 2. select clips and turn them into render requests (refusals are collected)
    selected = select_clips(read.timeline, options.criteria)
    if not selected:
        raise UsageError(f"{read.path}: no clips matched the selection; check it with 'timeline inspect'")
    settings = RenderSettings(options.codec, options.crf, options.preview, options.audio)
    jobs = _unique([build_job(s, spec_for, options.where, options.handles, read.timeline.name, settings)
                    for s in selected])
    # 3. render each distinct (media, range, spec) once
    made_dir = not Path(options.where.render_dir).exists()
    requests = [j.request for j in jobs if j.request]
    if prepare is not None and requests:
        prepare(requests)
    results = render_on(runner, requests, force=options.force, progress=progress) if runner is not None \
        else render_all(requests, renderer, force=options.force, progress=progress)
    report = Report(outcomes=[_outcome(job, results) for job in jobs])
    done = [(job, results[job.request.render_key]) for job in jobs
            if job.request and isinstance(results.get(job.request.render_key), RenderResult)]
    if not done:
        if made_dir:  # leave no trace of a run that produced nothing
            _remove_if_empty(Path(options.where.render_dir))
        raise TimelineError(f"{read.path}: no clip could be restyled; nothing written: "
                            + "; ".join(o.message for o in report.failed))
    # 4. put the renders back and 5. write the output atomically
    frame_size = sequence_frame_size(read, options.where, done)
    timeline = conform.for_output(_place(read, options, key, done), key, media_range_finder(options.where))
    report.notes = limits.dropped_by(timeline, key)
    write_timeline(timeline, options.out_path, key, rate=read.rate, frame_size=frame_size,
                   overwrite=options.overwrite)
    report.output = options.out_path
    if report.failed:
        error = PartialFailure(f"{len(report.failed)} of {len(jobs)} clips failed (output written to "
                               f"{options.out_path}): " + "; ".join(o.message for o in report.failed))
        error.report = report
        raise error
    return report


def _unique(jobs: list) -> list:
    """Readable render names stay one per render (see :func:`unique_paths`)."""
    requests = iter(unique_paths([j.request for j in jobs if j.request]))
    for job in jobs:
        if job.request:
            job.request = next(requests)
    return jobs


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:  # not empty (or already gone): keep it
        pass


def _check(read: ReadTimeline, options: Options) -> str:
    if options.mode not in MODES:
        raise UsageError(f"--mode {options.mode!r}: use one of {', '.join(MODES)}")
    if options.handles < 0:
        raise UsageError(f"--handles {options.handles}: must be 0 or more frames")
    options.criteria.check()
    if options.codec in SEQUENCES:
        raise UsageError(f"--codec {options.codec}: a timeline references movie files; use h264, prores or dnxhr-hqx")
    key = check_output(options.out_path, read.path, options.out_format, options.overwrite)
    if options.mode == "reference" and key not in ("otio", "otioz"):
        raise UsageError(f"--mode reference needs .otio/.otioz output (multi-reference clips); "
                         f"{options.out_path.name} is {key} — use --mode track")
    video_tracks = sum(1 for t in read.timeline.tracks if t.kind == "Video")
    if key == "edl" and options.mode == "track" and video_tracks > 1:
        raise UsageError(f"{options.out_path.name}: an EDL holds one video track and this timeline has "
                         f"{video_tracks}; write .otio, .xml or .aaf instead")
    return key


def _outcome(job: ClipJob, results: dict) -> Outcome:
    clip, track = job.selected.clip.name, job.selected.track_number
    if job.error:
        return Outcome(clip, track, "failed", job.error)
    result = results[job.request.render_key]
    if not isinstance(result, RenderResult):
        return Outcome(clip, track, "failed", f"{job.label}: render failed: {result.message}")
    return Outcome(clip, track, "reused" if result.reused else "rendered", render=str(result.path))


def _place(read: ReadTimeline, options: Options, key: str, done) -> object:
    if options.mode == "reference":
        for job, result in done:
            placement.add_reference(job, result, activate=options.activate_render)
        return read.timeline
    if key == "edl":
        return placement.replaced_for_edl(read.timeline, done)
    placement.add_tracks(read.timeline, done)
    return read.timeline


def sequence_frame_size(read: ReadTimeline, where: Where, done) -> tuple[int, int]:
    """The sequence's frame size: the FCP7 sequence format when the input has one, else the
    media of the first clip on the lowest video track that is found, else the first render."""
    from t2vz_edit.media.probe import probe

    chars = read.timeline.metadata
    for key in ("fcp_xml", "media", "video", "format", "samplecharacteristics"):
        chars = chars.get(key) if hasattr(chars, "get") else None
    chars = chars if hasattr(chars, "get") else {}
    if str(chars.get("width", "")).isdigit() and str(chars.get("height", "")).isdigit():
        return int(chars["width"]), int(chars["height"])
    for track in read.timeline.tracks:
        if track.kind != "Video":
            continue
        for clip in track.find_clips():
            url = getattr(clip.media_reference, "target_url", None)
            found = resolve_media(url, timeline_dir=where.timeline_path.parent, search_paths=where.search_paths,
                                  remaps=where.remaps).path if url else None
            try:
                info = probe(found) if found is not None else None
            except T2VZError:  # unreadable media: try the next clip
                info = None
            if info is not None:
                return (info.display_width, info.display_height)
    info = probe(done[0][1].path)
    return (info.display_width, info.display_height)
