"""Every format in, every format out: {.otio, EDL, FCP7 XML, FCPXML, AAF} x {the same + MLT} at
23.976, 25 and 29.97 DF, on the edit of ``edits.build_edit`` (two video tracks, gaps, a dissolve,
linked audio, clip and timeline markers, 01:00:00:00, a clip over media at twice its rate, a
timecoded clip). shotC, shotD and shotE are restyled with 2 frames of handles by the trim
renderer (renders are made once per rate and reused by every cell).

After writing and reading back: every render sits at its clip's record range with its clip's
source range and a media range that matches the render file; untouched clips, gaps and the
dissolve are unchanged; the rate is exact, the start is 01:00:00:00, drop-frame labels follow the
rate; every marker is kept or named in the run's notes. Cells a format cannot take are refused
with one line (an EDL holds one video track). MLT is written only (no reader): its entries are
checked here and its pictures by ``test_mlt_melt``.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction

import opentimelineio as otio
import pytest

from edits import RATES, SELECTED, build_edit, drop_frame, make_media, tc_frames
from matrix_check import clip_rows, is_render, marker_rows, start_of, transition_spans
from t2vz_edit.media.probe import probe
from t2vz_edit.media.sidecar import read_sidecar
from t2vz_edit.spec.errors import UsageError
from t2vz_edit.timeline.dropframe import _timecodes  # the writer's own walk over AAF timecode segments
from t2vz_edit.timeline import conform
from t2vz_edit.timeline.jobs import Where, media_range_finder
from t2vz_edit.timeline.read import read_timeline
from t2vz_edit.pipeline.renderers import trim_renderer
from t2vz_edit.timeline.roundtrip import Options, restyle_timeline
from t2vz_edit.timeline.selection import Criteria
from t2vz_edit.timeline.specs import spec_resolver
from t2vz_edit.timeline.write import write_timeline

IN_FORMATS = ("otio", "edl", "xml", "fcpxml", "aaf")
OUT_FORMATS = IN_FORMATS + ("mlt",)
HANDLES = 2


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """(rate name, in format) -> (input path, render dir): media once per rate, files once each."""
    root, media, made = tmp_path_factory.mktemp("matrix"), {}, {}

    def get(rate_name: str, fmt: str):
        rate = RATES[rate_name]
        if rate_name not in media:
            media[rate_name] = make_media(root / f"media_{rate_name}", rate)
        if (rate_name, fmt) not in made:
            path = root / f"in_{rate_name}.{fmt}"
            edit = build_edit(media[rate_name], rate, single_track=fmt == "edl")
            where = Where(path, root / f"renders_{rate_name}")
            write_timeline(conform.for_output(edit, fmt, media_range_finder(where)), path, fmt, rate=rate,
                           frame_size=(64, 48))
            made[rate_name, fmt] = where
        return made[rate_name, fmt]

    return get


@pytest.mark.parametrize("rate_name", list(RATES))
@pytest.mark.parametrize("fmt_out", OUT_FORMATS)
@pytest.mark.parametrize("fmt_in", IN_FORMATS)
def test_round_trip_matrix(tmp_path, inputs, rate_name, fmt_in, fmt_out):
    rate = RATES[rate_name]
    where = inputs(rate_name, fmt_in)
    read = read_timeline(where.timeline_path)  # EDLs: the rate of their media
    original = read_timeline(where.timeline_path).timeline
    out = tmp_path / f"out.{fmt_out}"
    options = Options(Criteria(name_pattern="shot[CDE]"), out, where, handles=HANDLES)
    video_tracks = sum(t.kind == otio.schema.TrackKind.Video for t in original.tracks)
    if fmt_out == "edl" and video_tracks > 1:  # refused, with the line that says what to write instead
        with pytest.raises(UsageError, match=r"an EDL holds one video track and this timeline has 2; "
                                             r"write \.otio, \.xml or \.aaf instead"):
            restyle_timeline(read, options, spec_resolver(instruction="x"), trim_renderer)
        assert not out.exists()
        return
    report = restyle_timeline(read, options, spec_resolver(instruction="x"), trim_renderer)
    selected = [n for n in SELECTED if any(c.name == n for c in original.find_clips())]
    assert sorted(o.clip for o in report.outcomes) == sorted(selected)
    assert {o.status for o in report.outcomes} <= {"rendered", "reused"}
    _check_notes_name_every_lost_marker(original, report.notes, fmt_out, rate, out)
    if fmt_out == "mlt":
        _check_mlt(out, original, read.timeline, rate)
        return
    back = read_timeline(out)
    _check_read_back(original, back.timeline, report.notes, fmt_out, rate, selected)
    _check_drop_frame_labels(out, fmt_out, rate)
    assert back.rate == rate


def _check_read_back(original, back, notes, fmt_out, rate, selected) -> None:
    start = tc_frames("01:00:00:00", rate)
    assert start_of(original, rate) == start_of(back, rate) == start
    visible = fmt_out != "fcpxml"  # FCPXML loses the dissolve (said in the notes): compare the cuts
    replaced = set(selected) if fmt_out == "edl" else set()  # an EDL event is replaced by its render
    for rows in (clip_rows(original, rate), clip_rows(back, rate)):  # each clip on its own media (EDL dissolves)
        assert all(media == f"{name}.mov" for _, name, _, _, _, media in rows), rows
    keep = [r for r in clip_rows(original, rate, visible=visible) if r[1] not in replaced]
    if fmt_out == "edl":
        keep = [r for r in keep if r[0] == "Video"]  # the audio track is named in the notes
        assert any("audio track" in n for n in notes) == any(r[0] == "Audio" for r in clip_rows(original, rate))
    assert clip_rows(back, rate, visible=visible) == keep
    if visible:
        assert transition_spans(back, rate) == transition_spans(original, rate)
    else:
        assert transition_spans(back, rate) == []
        assert any("transition(s) not written" in n for n in notes) == bool(transition_spans(original, rate))
    want = [r[:5] for r in clip_rows(original, rate, visible=False) if r[1] in selected and r[0] == "Video"]
    got = [r[:5] for r in clip_rows(back, rate, renders=True, visible=False)]
    assert got == want  # every render at its clip's record range and source range
    for clip in (c for c in back.find_clips() if is_render(c)):
        _check_render_media(clip, original, rate, fmt_out)
    kept = marker_rows(back, rate)
    lost = [m for m in marker_rows(original, rate) if m not in kept]
    for where, name, frame in lost:
        assert any(name in n.casefold() for n in notes), f"marker {name!r} lost without a note"


def _check_render_media(clip, original, rate, fmt_out) -> None:
    """The render's media range starts at its first frame's source time and spans its frames
    (an EDL holds no media ranges: there the render's own timecode, when it has one, says it)."""
    path = otio.url_utils.filepath_from_url(clip.media_reference.target_url)
    info, provenance = probe(path), read_sidecar(path)["provenance"]["t2vz_edit"]
    source = next(c for c in original.find_clips() if c.name == clip.name)
    media_first = Fraction(source.media_reference.available_range.start_time.to_seconds()) \
        if source.media_reference.available_range is not None else Fraction(0)
    span = clip.media_reference.available_range
    assert info.frame_count == provenance["source_stop_frame"] - provenance["source_start_frame"]
    if span is None:
        assert fmt_out == "edl"
        if info.start_timecode:
            from t2vz_edit.media.timecode import timecode_to_frames

            seconds = timecode_to_frames(info.start_timecode, info.rate) / info.rate
            assert seconds == media_first + Fraction(provenance["source_start_frame"]) / info.rate
        return
    tolerance = Fraction(1, 2) / rate  # AAF counts media ranges in whole timeline frames
    first = media_first + Fraction(provenance["source_start_frame"]) / info.rate
    assert abs(Fraction(span.start_time.to_seconds()) - first) < tolerance
    assert abs(Fraction(span.duration.to_seconds()) - info.frame_count / info.rate) < tolerance


def _check_notes_name_every_lost_marker(original, notes, fmt_out, rate, out) -> None:
    if fmt_out in ("aaf", "mlt"):  # neither writer holds markers: each is named
        for _, name, _ in marker_rows(original, rate):
            assert any(name in n.casefold() for n in notes), (name, notes)
    if fmt_out in ("otio", "xml"):
        assert notes == []


def _check_drop_frame_labels(out, fmt_out, rate) -> None:
    drop = drop_frame(rate)
    if fmt_out == "edl":
        assert ("FCM: DROP FRAME" if drop else "FCM: NON-DROP FRAME") in out.read_text().splitlines()[:3]
    elif fmt_out == "xml":
        shown = {e.text for e in ET.parse(out).getroot().iter("displayformat")}
        assert shown == {"DF" if drop else "NDF"}
        strings = [e.findtext("string") for e in ET.parse(out).getroot().iter("timecode")]
        assert all((";" in s) == drop for s in strings)
    elif fmt_out == "fcpxml":
        sequences = list(ET.parse(out).getroot().iter("sequence"))
        assert sequences and {s.get("tcFormat") for s in sequences} == {"DF" if drop else "NDF"}
    elif fmt_out == "aaf":
        import aaf2

        with aaf2.open(str(out)) as handle:
            flags = {c["Drop"].value for mob in handle.content.mobs for slot in mob.slots
                     for c in _timecodes(slot.segment)}
        assert flags == {drop}


def _check_mlt(out, original, placed, rate) -> None:
    """Every render and every clip outside the dissolve is an entry at its record frame (from 0)
    whose in-point is its source time less its media's first-frame time."""
    root = ET.parse(out).getroot()
    profile = root.find("profile")
    assert Fraction(int(profile.get("frame_rate_num")), int(profile.get("frame_rate_den"))) == rate
    resources = {p.get("id"): p.findtext("property[@name='resource']") for p in root.iter("producer")}
    entries = set()
    main = root.find("tractor[@id='tractor0']")
    for track in main.iter("track"):
        playlist, position = root.find(f"playlist[@id='{track.get('producer')}']"), 0
        for item in playlist:
            length = int(item.get("length")) if item.tag == "blank" else int(item.get("out")) - int(item.get("in")) + 1
            if item.tag == "entry" and item.get("producer") in resources:
                entries.add((resources[item.get("producer")], position, int(item.get("in")), length))
            position += length
    start = start_of(placed, rate)
    for clip in placed.find_clips():
        if any(isinstance(s, otio.schema.Transition) for s in _neighbours(clip)):
            continue  # split around the mix tractor; its pictures are checked by melt
        ref = clip.media_reference
        used = clip.trimmed_range()
        record = clip.transformed_time_range(used, placed.tracks)
        first = (used.start_time - (ref.available_range.start_time if ref.available_range else
                                    otio.opentime.RationalTime(0, float(rate)))).value_rescaled_to(float(rate))
        want = (otio.url_utils.filepath_from_url(ref.target_url), round(record.start_time.value_rescaled_to(float(rate))),
                round(first), round(used.duration.value_rescaled_to(float(rate))))
        assert want in entries, (clip.name, want)
    assert main.findtext("property[@name='t2vz:start_timecode']").replace(";", ":") == \
        otio.opentime.to_timecode(otio.opentime.RationalTime(start, float(rate)), float(rate), drop_frame(rate)).replace(";", ":")


def _neighbours(clip):
    parent = clip.parent()
    index = parent.index(clip)
    return [parent[i] for i in (index - 1, index + 1) if 0 <= i < len(parent)]
