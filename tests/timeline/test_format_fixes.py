"""One test per format fault an editor sees at once (issue 12): EDL rate, mixed-rate media,
upper-cased preset markers, the sequence frame size, loss notes. The matrix
(test_format_matrix.py) covers placement, drop-frame labels and read-back in every format.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction

import opentimelineio as otio
import pytest

from edits import RATES, build_edit, coded_clip, make_media
from t2vz_edit.media.probe import probe
from t2vz_edit.media.synth import make_clip
from t2vz_edit.pipeline.render_job import RenderResult
from t2vz_edit.pipeline.renderers import trim_renderer
from t2vz_edit.spec.errors import UsageError
from t2vz_edit.timeline import conform
from t2vz_edit.timeline.jobs import Where, media_range_finder
from t2vz_edit.timeline.read import read_timeline
from t2vz_edit.timeline.roundtrip import Options, restyle_timeline
from t2vz_edit.timeline.selection import Criteria
from t2vz_edit.timeline.specs import spec_resolver
from t2vz_edit.timeline.write import write_timeline

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange


def _edl(tmp_path, rate):
    media = make_media(tmp_path / "media", rate)
    path = tmp_path / "cut.edl"
    edit = build_edit(media, rate, single_track=True)
    write_timeline(conform.for_output(edit, "edl", lambda url: None), path, "edl", rate=rate)
    return path, media


@pytest.mark.parametrize("rate_name", ["25", "29.97DF"])
def test_edl_rate_comes_from_its_media(tmp_path, rate_name):
    path, _ = _edl(tmp_path, RATES[rate_name])
    read = read_timeline(path)  # no --rate: 24 used to be assumed
    assert read.rate == RATES[rate_name]
    assert round(read.timeline.global_start_time.value) == (107892 if rate_name == "29.97DF" else 90000)


def test_edl_rate_is_refused_with_a_line_naming_rate_when_no_media_is_found(tmp_path):
    path, media = _edl(tmp_path, Fraction(25))
    for file in media.values():
        file.unlink()
    with pytest.raises(UsageError, match=r"an EDL has no frame rate and none of its media was found .*; pass --rate"):
        read_timeline(path)
    assert read_timeline(path, rate=25).rate == 25


def test_media_of_another_rate_is_covered_not_refused(tmp_path):
    """A 23.976 clip over 20 fps media: its times fall between media frames; the render covers
    every media frame the NLE shows, and the render reference counts the media's frames."""
    rate = Fraction(24000, 1001)
    media = coded_clip(tmp_path / "odd.mov", rate=Fraction(20), code_base=0)
    timeline = otio.schema.Timeline("mixed", global_start_time=RT(86400, float(rate)))
    track = otio.schema.Track("V1")
    ref = otio.schema.ExternalReference(target_url=media.as_uri(), available_range=TR(RT(0, 20), RT(40, 20)))
    track.append(otio.schema.Clip("odd", media_reference=ref, source_range=TR(RT(5, float(rate)), RT(17, float(rate)))))
    timeline.tracks.append(track)
    source = tmp_path / "mixed.otio"
    otio.adapters.write_to_file(timeline, str(source))
    report = restyle_timeline(read_timeline(source), Options(Criteria(all_clips=True), tmp_path / "out.otio",
                                                             Where(source, tmp_path / "renders")),
                              spec_resolver(instruction="x"), trim_renderer)
    assert [o.status for o in report.outcomes] == ["rendered"]
    render = [c for c in read_timeline(tmp_path / "out.otio").timeline.find_clips() if "renders" in
              c.media_reference.target_url][0]
    # 5..22 frames at 23.976 = 0.2085..0.9176 s = 20 fps frames 4 (from 0.2 s) to 18 (to 0.95 s): 15 frames
    span = render.media_reference.available_range
    assert (span.start_time.value, span.start_time.rate, span.duration.value) == (4, 20, 15)
    assert probe(otio.url_utils.filepath_from_url(render.media_reference.target_url)).frame_count == 15


def test_clip_at_another_rate_gets_a_render_range_in_media_frames(tmp_path):
    """The Premiere case: a 15 fps clip over 30 fps media with handles. The render holds 30 fps
    media frames; its range used to be counted at 15 fps (late and twice as long)."""
    media = coded_clip(tmp_path / "m30.mov", rate=Fraction(30), code_base=0)
    timeline = otio.schema.Timeline("clip at 15", global_start_time=RT(0, 15))
    track = otio.schema.Track("V1")
    ref = otio.schema.ExternalReference(target_url=media.as_uri(), available_range=TR(RT(0, 30), RT(40, 30)))
    track.append(otio.schema.Clip("c", media_reference=ref, source_range=TR(RT(5, 15), RT(8, 15))))
    timeline.tracks.append(track)
    source = tmp_path / "c.otio"
    otio.adapters.write_to_file(timeline, str(source))
    restyle_timeline(read_timeline(source), Options(Criteria(all_clips=True), tmp_path / "out.otio",
                                                    Where(source, tmp_path / "renders"), handles=4),
                     spec_resolver(instruction="x"), trim_renderer)
    render = read_timeline(tmp_path / "out.otio").timeline.tracks[-1].find_clips()[0]
    span = render.media_reference.available_range
    # media frames 10..25 used, 4 handles each side: 6..29 (24 frames at 30 fps = 0.8 s)
    assert (span.start_time.value, span.start_time.rate, span.duration.value, span.duration.rate) == (6, 30, 24, 30)
    assert render.source_range == TR(RT(5, 15), RT(8, 15))


def test_upper_cased_marker_text_still_names_the_preset():
    spec_for = spec_resolver(instruction="fallback")
    spec, text = spec_for("WATERCOLOR")  # what a CMX writer makes of 'restyle: watercolor'
    assert text == "watercolor"  # the preset, not an instruction "WATERCOLOR"
    assert spec == spec_for("watercolor")[0] and spec.instruction != "WATERCOLOR"


def _small_renderer(request, progress=None):
    """A renderer whose renders are smaller than the sequence (as a --size 512 restyle is)."""
    request.out_path.parent.mkdir(parents=True, exist_ok=True)
    make_clip(request.out_path, frames=request.frame_count, width=32, height=24, rate=request.rate)
    return RenderResult(request.out_path, request.frame_count)


@pytest.mark.parametrize("fmt_in", ["otio", "xml"])
def test_fcp7_sequence_format_is_the_sequence_size_not_the_first_render(tmp_path, fmt_in):
    rate = Fraction(25)
    media = make_media(tmp_path / "media", rate)
    source = tmp_path / f"cut.{fmt_in}"
    edit = build_edit(media, rate)
    size = (64, 48) if fmt_in == "otio" else (1920, 1080)  # an XML sequence says its own size
    write_timeline(conform.for_output(edit, fmt_in, media_range_finder(Where(source, tmp_path))), source, fmt_in,
                   rate=rate, frame_size=size)
    out = tmp_path / "out.xml"
    restyle_timeline(read_timeline(source), Options(Criteria(name_pattern="shotC"), out, Where(source, tmp_path / "r")),
                     spec_resolver(instruction="x"), _small_renderer)
    chars = ET.parse(out).getroot().find("project/children/sequence/media/video/format/samplecharacteristics")
    assert (int(chars.findtext("width")), int(chars.findtext("height"))) == size


def test_losses_are_said_per_format(tmp_path):
    rate = Fraction(25)
    media = make_media(tmp_path / "media", rate)
    source = tmp_path / "cut.otio"
    otio.adapters.write_to_file(build_edit(media, rate), str(source))
    notes = {}
    for fmt in ("otio", "xml", "fcpxml", "aaf", "mlt"):
        report = restyle_timeline(read_timeline(source), Options(Criteria(name_pattern="shotC"), tmp_path / f"o.{fmt}",
                                                                 Where(source, tmp_path / "r")),
                                  spec_resolver(instruction="x"), trim_renderer)
        notes[fmt] = report.notes
    assert notes["otio"] == notes["xml"] == []
    assert any("FCPXML: 1 transition(s) not written ('dissolve')" in n for n in notes["fcpxml"])
    assert any("FCPXML: 1 timeline/track marker(s) not written ('note: check grade')" in n for n in notes["fcpxml"])
    assert notes["aaf"] == ["AAF: 2 marker(s) not written ('note: check grade', 'restyle: watercolor'): the AAF "
                            "writer has no marker support; write .otio, .xml or .fcpxml to keep them"]
    assert len(notes["mlt"]) == 1 and notes["mlt"][0].startswith("MLT: 2 marker(s) not written")
