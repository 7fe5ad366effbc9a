"""Turn selected clips into render requests, refusing the ones that cannot be rendered.

Each refusal is one line naming the clip and what to do; the other clips go on. Refused:
no media reference, a clip inside a nested stack (compound clip), a speed change or time warp
(renders are made at 100 % — retimes are not honoured), a transition over the clip, media
that cannot be found, and a source range beyond the media.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable

import opentimelineio as otio

from t2vz_edit.spec.edit_spec import EditSpec
from t2vz_edit.spec.errors import T2VZError, TimelineError
from t2vz_edit.timeline.media_paths import Remap, resolve_media
from t2vz_edit.timeline.rates import covering_frames, first_frame
from t2vz_edit.pipeline.render_job import PROVENANCE_KEY, RenderRequest, RenderSettings, render_key, render_path
from t2vz_edit.pipeline.tiny_models import is_tiny
from t2vz_edit.timeline.selection import SelectedClip

SpecFor = Callable[[str | None], tuple[EditSpec, str]]  # marker text -> (spec, text that chose it)


@dataclass(frozen=True)
class Where:
    """Where media and renders live."""

    timeline_path: Path
    render_dir: Path
    search_paths: tuple[Path, ...] = ()
    remaps: tuple[Remap, ...] = ()


@dataclass
class ClipJob:
    """One selected clip: its request, or why it was refused."""

    selected: SelectedClip
    request: RenderRequest | None = None
    head_frames: int = 0  # handles actually taken before / after (clipped at the media's ends)
    tail_frames: int = 0
    error: str | None = None

    @property
    def label(self) -> str:
        clip = self.selected.clip
        return f"clip {clip.name or '(unnamed)'!r} on V{self.selected.track_number}"


def build_job(selected: SelectedClip, spec_for: SpecFor, where: Where, handles: int, timeline_name: str,
              settings: RenderSettings = RenderSettings()) -> ClipJob:
    """A :class:`ClipJob` with a request, or with ``error`` set (never raises a user error).

    Everything a render can be refused for that is known from the clip, its media's probe and
    the output settings (range, codec vs container, frame size) is checked here, before any
    model loads.
    """
    job = ClipJob(selected)
    try:
        _check_clip(selected)
        media = _find_media(selected.clip, where)
        spec, text = spec_for(selected.text)
        _fill_request(job, media, spec, text, where, handles, timeline_name, settings)
    except T2VZError as exc:
        job.error = f"{job.label}: {exc}"
    return job


def _check_clip(selected: SelectedClip) -> None:
    clip = selected.clip
    ref = clip.media_reference
    if ref is None or ref.is_missing_reference or not getattr(ref, "target_url", ""):
        raise TimelineError("has no media reference (offline in the NLE); relink it and export again")
    if selected.nested:
        raise TimelineError("sits inside a nested stack (compound clip); decompose it in the NLE first")
    for effect in clip.effects:
        if isinstance(effect, otio.schema.TimeEffect):
            scale = getattr(effect, "time_scalar", 0.0)
            raise TimelineError(f"has a speed change ({effect.effect_name or type(effect).__name__}"
                                f"{f' x{scale:g}' if scale else ''}); renders are made at 100 %, "
                                "remove the retime or restyle the clip before retiming it")
    for neighbour in (_sibling(clip, -1), _sibling(clip, +1)):
        if isinstance(neighbour, otio.schema.Transition):  # its offsets overlap this clip
            raise TimelineError(f"is under a transition ({neighbour.transition_type}); "
                                "remove the transition or restyle the clips before adding it")


def _sibling(item, step: int):
    parent = item.parent()
    index = parent.index(item) + step
    return parent[index] if 0 <= index < len(parent) else None


def _find_media(clip: otio.schema.Clip, where: Where) -> Path:
    found = resolve_media(clip.media_reference.target_url, timeline_dir=where.timeline_path.parent,
                          search_paths=where.search_paths, remaps=where.remaps)
    if found.path is None:
        raise TimelineError(f"media {found.location!r} not found (tried {', '.join(found.tried[:4])}); "
                            "add --search-path DIR or --remap FROM=TO")
    return found.path


def _media_start(clip: otio.schema.Clip, info) -> otio.opentime.RationalTime:
    """Time of the media's first frame: the reference's available range, else its timecode."""
    ref = clip.media_reference
    if ref.available_range is not None:
        return ref.available_range.start_time
    return _timecode_start(info)


def _timecode_start(info) -> otio.opentime.RationalTime:
    """The media's start timecode as a time at its rate (0 when it has none)."""
    if info.start_timecode:
        from t2vz_edit.media.timecode import timecode_to_frames

        return otio.opentime.RationalTime(timecode_to_frames(info.start_timecode, info.rate), float(info.rate))
    return otio.opentime.RationalTime(0, float(info.rate))


def media_range_finder(where: Where):
    """``target URL -> (first frame time, frame count) | None`` for media found from ``where``
    (probed once per URL); what :func:`t2vz_edit.timeline.conform.for_output` asks for."""
    from t2vz_edit.media.probe import probe

    known: dict = {}

    def find(url: str):
        if url not in known:
            found = resolve_media(url, timeline_dir=where.timeline_path.parent,
                                  search_paths=where.search_paths, remaps=where.remaps)
            try:
                info = probe(found.path) if found.path is not None else None
            except T2VZError:  # unreadable media: the writer gets the used range instead
                info = None
            known[url] = (_timecode_start(info), info.frame_count) if info is not None else None
        return known[url]

    return find


def _fill_request(job: ClipJob, media: Path, spec: EditSpec, text: str, where: Where, handles: int,
                  timeline_name: str, settings: RenderSettings) -> None:
    from t2vz_edit.media.encode import check_render_output
    from t2vz_edit.media.probe import probe
    from t2vz_edit.spec.presets import preset_files

    clip = job.selected.clip
    info = probe(media)
    rate = Fraction(info.rate)
    used = clip.trimmed_range()
    first, stop = covering_frames(used, rate)  # media of another rate: the frames the NLE shows
    first, count = first - first_frame(_media_start(clip, info), rate), stop - first
    if first < 0 or first + count > info.frame_count:
        raise TimelineError(f"uses source frames {first}..{first + count - 1} but {media.name} has frames "
                            f"0..{info.frame_count - 1}; fix the edit or relink the right media")
    job.head_frames = min(handles, first)
    job.tail_frames = min(handles, info.frame_count - first - count)
    start, stop = first - job.head_frames, first + count + job.tail_frames
    key = render_key(media, start, stop, spec, codec=settings.codec, audio=settings.audio)
    provenance = {PROVENANCE_KEY: {
        "render_key": key, "timeline": str(where.timeline_path), "timeline_name": timeline_name,
        "clip": clip.name, "source": str(media), "source_start_frame": start, "source_stop_frame": stop,
        "handles": [job.head_frames, job.tail_frames], "instruction": text}}  # the spec: once, by render_provenance
    label = text if text in preset_files() else Path(text).stem if text.endswith(".toml") else spec.mode
    out = render_path(where.render_dir, clip.name, media, label, start, stop, codec=settings.codec, draft=spec.draft,
                      tiny=is_tiny(spec))
    check_render_output(out, info, settings.codec)
    job.request = RenderRequest(
        media_path=media, start_frame=start, stop_frame=stop, rate=rate, spec=spec, instruction=text,
        out_path=out, clip_name=clip.name, render_key=key, provenance=provenance,
        codec=settings.codec, crf=settings.crf, preview=settings.preview, audio=settings.audio)
