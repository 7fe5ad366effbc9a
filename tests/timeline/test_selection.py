"""Marker-driven selection: markers on the clip, on the track over it and on the timeline over it."""
from __future__ import annotations

import opentimelineio as otio

from t2vz_edit.timeline.read import read_timeline
from t2vz_edit.timeline.selection import Criteria, select_clips
from t2vz_edit.timeline.specs import spec_resolver

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange


def _marker(name: str, start: int, frames: int = 0, comment: str = "") -> otio.schema.Marker:
    return otio.schema.Marker(name=name, marked_range=TR(RT(start, 24), RT(frames, 24)), comment=comment)


def _chosen(timeline) -> dict[str, str]:
    return {s.clip.name: s.text for s in select_clips(timeline, Criteria(marker=True))}


def test_markers_on_clip_track_and_timeline_select_what_lies_under_them(timeline_24):
    # record layout (frames): V1 shotA 0-20, shotB 20-36, gap 36-43, shotC 43-67; V2 gap 0-9, shotD 9-20
    v1, v2 = timeline_24.tracks[0], timeline_24.tracks[1]
    timeline_24.tracks.markers.append(_marker("restyle: pencil-sketch", 12))     # timeline point over shotA (and shotD)
    v2.markers.append(_marker("restyle: make it gold", 18, 6))                    # ranged over shotD's end: wins
    v1.markers.append(_marker("restyle: nothing under me", 38))                   # over the gap: selects nothing
    v1[2].markers.append(_marker("", 12, comment="restyle: make it snowy"))       # shotB: text in the comment
    v1[2].markers.append(_marker("note: check focus", 14))                        # not a restyle marker
    assert _chosen(timeline_24) == {"shotA": "pencil-sketch", "shotB": "make it snowy",
                                    "shotC": "make it a watercolor painting", "shotD": "make it gold"}


def test_marker_naming_a_preset_gets_the_preset_and_other_text_is_an_instruction(timeline_24):
    specs = spec_resolver()
    preset, chosen = specs("pencil-sketch")
    assert chosen == "pencil-sketch" and preset.mode in ("instruct", "controlnet") and preset.steps > 0
    spec, chosen = specs("make it gold")
    assert (spec.mode, spec.instruction, chosen) == ("instruct", "make it gold", "make it gold")


def test_timeline_marker_survives_fcp7_xml(tmp_path, timeline_24):
    """Resolve and Premiere export timeline markers as sequence markers; FCP7 XML has no track markers."""
    timeline_24.tracks.markers.append(_marker("restyle: pencil-sketch", 12))
    path = tmp_path / "seq.xml"
    otio.adapters.write_to_file(timeline_24, str(path))
    # frame 12 lies over shotA on V1 and shotD on V2 (9-20): a timeline marker takes every video track
    assert _chosen(read_timeline(path).timeline) == {"shotA": "pencil-sketch", "shotD": "pencil-sketch",
                                                      "shotC": "make it a watercolor painting"}
