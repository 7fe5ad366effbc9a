"""The functions OTIO calls for the t2vz plugin (see :mod:`t2vz_edit.timeline.otio_plugin`).

OTIO loads this file by path; it finds renders through their sidecars: each sidecar's
``provenance.t2vz_edit`` names the source media and source frame range of its render.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import opentimelineio as otio

from t2vz_edit.timeline.media_paths import normalise_location


def _render_index(render_dir: str | None) -> dict:
    """(source path, first used frame, frame count) -> (render path, provenance), newest wins."""
    folder = render_dir or os.environ.get("T2VZ_RENDER_DIR")
    if not folder:  # opt-in: OTIO runs the hook on every read in this environment
        return {}
    index = {}
    for sidecar in sorted(Path(folder).glob("*.json"), key=lambda p: p.stat().st_mtime):
        try:
            data = json.loads(sidecar.read_text())
        except (OSError, ValueError):
            continue  # not a sidecar of ours
        info = data.get("provenance", {}).get("t2vz_edit") if isinstance(data, dict) else None
        render = sidecar.with_name(sidecar.name[: -len(".json")])
        if info and render.is_file():
            head, tail = info["handles"]
            first = info["source_start_frame"] + head
            count = info["source_stop_frame"] - tail - first
            index[(str(Path(info["source"]).resolve()), first, count)] = (render, info)
    return index


def _find(in_clip, index: dict):
    ref = in_clip.media_reference
    if not getattr(ref, "target_url", None) or ref.available_range is None:
        return None
    used = in_clip.trimmed_range()
    rate = used.duration.rate
    first = round((used.start_time - ref.available_range.start_time).value_rescaled_to(rate))
    source = str(Path(normalise_location(ref.target_url)).resolve())
    return index.get((source, first, round(used.duration.value_rescaled_to(rate))))


def link_media_reference(in_clip, media_linker_argument_map):
    """OTIO media linker: the render's reference when one exists, else the clip's own."""
    found = _find(in_clip, _render_index((media_linker_argument_map or {}).get("render_dir")))
    if found is None:
        return in_clip.media_reference
    render, info = found
    used = in_clip.trimmed_range()
    head, _ = info["handles"]
    start = used.start_time - otio.opentime.RationalTime(head, used.duration.rate)
    count = info["source_stop_frame"] - info["source_start_frame"]
    return otio.schema.ExternalReference(
        target_url=render.resolve().as_uri(),
        available_range=otio.opentime.TimeRange(start, otio.opentime.RationalTime(count, used.duration.rate)),
        metadata={"t2vz_edit": dict(info, render=str(render))})


def hook_function(in_timeline, argument_map=None):
    """post_adapter_read hook: note each clip's existing render in its metadata."""
    linker_args = (argument_map or {}).get("media_linker_argument_map", {}) or {}
    index = _render_index(linker_args.get("render_dir"))
    for clip in getattr(in_timeline, "find_clips", lambda: [])():
        found = _find(clip, index)
        if found is not None:
            clip.metadata.setdefault("t2vz_edit", {})["render"] = str(found[0])
    return in_timeline
