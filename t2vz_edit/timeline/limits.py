"""What each output format cannot hold of a timeline, said as one line per kind of loss.

Every format keeps clips, gaps, rates, the start timecode and drop-frame; what some lose:

| format  | loses                                                                              |
|---------|------------------------------------------------------------------------------------|
| edl     | markers on tracks or the timeline (CMX 3600 locators belong to events), audio tracks |
| fcpxml  | transitions (the fcpx_xml writer has none), markers on tracks or the timeline        |
| aaf     | every marker (the AAF writer has no marker code)                                     |
| mlt     | every marker (MLT XML has none)                                                      |

The lines go into the run's report and are printed by the CLI, so a loss is never silent.

>>> import opentimelineio as otio
>>> tl = otio.schema.Timeline("t")
>>> tl.tracks.markers.append(otio.schema.Marker(name="note"))
>>> dropped_by(tl, "aaf")
["AAF: 1 marker(s) not written ('note'): the AAF writer has no marker support; write .otio, .xml or .fcpxml to keep them"]
>>> dropped_by(tl, "otio")
[]
"""
from __future__ import annotations

import opentimelineio as otio

from t2vz_edit.timeline import mlt


def _names(markers) -> str:
    names = [repr(m.name) for m in markers]
    return ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")


def _outer_markers(timeline: otio.schema.Timeline) -> list:
    """Markers on the timeline's stack or on a track (not on a clip)."""
    return list(timeline.tracks.markers) + [m for t in timeline.tracks for m in t.markers]


def _all_markers(timeline: otio.schema.Timeline) -> list:
    return _outer_markers(timeline) + [m for c in timeline.find_clips() for m in c.markers]


def dropped_by(timeline: otio.schema.Timeline, key: str) -> list[str]:
    """One line per kind of thing the writer for ``key`` will not write."""
    lines = []
    if key == "edl":
        outer = _outer_markers(timeline)
        if outer:
            lines.append(f"EDL: {len(outer)} timeline/track marker(s) not written ({_names(outer)}): CMX 3600 "
                         "locators belong to events; put them on clips or write .otio/.xml")
        audio = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Audio and len(t)]
        if audio:
            lines.append(f"EDL: {len(audio)} audio track(s) not written: this EDL writer writes the video "
                         "track only; write .otio, .xml or .aaf to keep audio")
    elif key == "fcpxml":
        transitions = timeline.find_children(descended_from_type=otio.schema.Transition)
        if transitions:
            lines.append(f"FCPXML: {len(transitions)} transition(s) not written ({_names(transitions)}): the "
                         "fcpx_xml writer has no transitions (clips meet at the cut); write .xml or .otio")
        outer = _outer_markers(timeline)
        if outer:
            lines.append(f"FCPXML: {len(outer)} timeline/track marker(s) not written ({_names(outer)}): "
                         "the fcpx_xml writer keeps clip markers only")
    elif key == "aaf":
        markers = _all_markers(timeline)
        if markers:
            lines.append(f"AAF: {len(markers)} marker(s) not written ({_names(markers)}): the AAF writer "
                         "has no marker support; write .otio, .xml or .fcpxml to keep them")
    elif key == "mlt":
        lines += mlt.dropped(timeline)
    return lines
