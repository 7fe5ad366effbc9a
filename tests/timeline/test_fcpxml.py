"""FCPXML (Final Cut Pro) reading and round trips: exact rates and the sequence's tcStart.

The reading test uses a document written the way Final Cut Pro writes one (library/event/
project, ``tcStart``, absolute spine offsets, connected clips with ``lane``, FCPXML 1.10
``media-rep``). Round trips use a timeline from ``conftest.build_timeline`` and the real
``trim_renderer``.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction

import opentimelineio as otio
import pytest

from timeline_helpers import build_timeline
from t2vz_edit.media.probe import probe
from t2vz_edit.timeline.fcpxml import seconds, spelled
from t2vz_edit.timeline.jobs import Where
from t2vz_edit.timeline.read import describe, exact_rate, read_timeline
from t2vz_edit.pipeline.renderers import trim_renderer
from t2vz_edit.timeline.roundtrip import Options, restyle_timeline
from t2vz_edit.timeline.selection import Criteria, select_clips
from t2vz_edit.timeline.specs import spec_resolver
from t2vz_edit.timeline.write import write_timeline

RT = otio.opentime.RationalTime
HOUR = {Fraction(24): 86400, Fraction(25): 90000, Fraction(24000, 1001): 86400}  # 01:00:00:00 NDF


def fcp_document(rate: Fraction) -> str:
    """V1 spine: shotA [0,20) | shotB [20,36) | gap 7 | shotC [43,67) with a restyle marker;
    shotD connected on lane 1 at record 9 (11 frames); an audio-only clip on lane -1."""
    fd = 1 / rate
    hour = HOUR[rate]

    def t(frames: int) -> str:  # FCP writes exact rational seconds
        return spelled(frames * fd)

    asset = ('<asset id="{id}" name="{name}" uid="{id}UID" start="0s" duration="{d}" hasVideo="{v}" '
             'hasAudio="1" format="r1" audioSources="1" audioChannels="2" audioRate="48000">'
             '<media-rep kind="original-media" src="file:///Volumes/Media/{name}.mov"/></asset>')
    assets = "".join(asset.format(id=f"r{i}", name=n, d=t(60), v=0 if n == "room" else 1)
                     for i, n in enumerate(("shotA", "shotB", "shotC", "shotD", "room"), start=2))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE fcpxml>
<fcpxml version="1.10">
  <resources>
    <format id="r1" name="FFVideoFormat1080p" frameDuration="{spelled(fd)}" width="1920" height="1080" colorSpace="1-1-1 (Rec. 709)"/>
    {assets}
  </resources>
  <library location="file:///Users/ed/Movies/Show.fcpbundle/">
    <event name="Day 1" uid="EV1">
      <project name="Cut 3" uid="PR1" modDate="2024-05-01 10:00:00 +0100">
        <sequence format="r1" duration="{t(67)}" tcStart="{t(hour)}" tcFormat="NDF" audioLayout="stereo" audioRate="48k">
          <spine>
            <asset-clip ref="r2" offset="{t(hour)}" name="shotA" start="{t(5)}" duration="{t(20)}" format="r1" tcFormat="NDF">
              <asset-clip ref="r5" lane="1" offset="{t(5 + 9)}" name="shotD" duration="{t(11)}" format="r1"/>
              <asset-clip ref="r6" lane="-1" offset="{t(5)}" name="room" duration="{t(30)}" audioRole="dialogue"/>
            </asset-clip>
            <asset-clip ref="r3" offset="{t(hour + 20)}" name="shotB" start="{t(10)}" duration="{t(16)}" format="r1"/>
            <gap name="Gap" offset="{t(hour + 36)}" start="3600s" duration="{t(7)}"/>
            <asset-clip ref="r4" offset="{t(hour + 43)}" name="shotC" start="{t(12)}" duration="{t(24)}" format="r1">
              <marker start="{t(12 + 14)}" duration="{t(1)}" value="restyle: make it snowy"/>
            </asset-clip>
          </spine>
        </sequence>
      </project>
    </event>
  </library>
</fcpxml>
"""


def _records(timeline) -> dict[str, tuple[int, int]]:
    """clip name -> (record start frame counted from the timeline's start, frames)."""
    out = {}
    for clip in timeline.find_clips():
        span = clip.transformed_time_range(clip.trimmed_range(), timeline.tracks)
        out[clip.name] = (round(span.start_time.value), round(span.duration.value))
    return out


@pytest.mark.parametrize("rate", [Fraction(24), Fraction(25), Fraction(24000, 1001)])
def test_fcp_document_reads_with_its_start_timecode_and_no_leading_hour(tmp_path, rate):
    path = tmp_path / "cut.fcpxml"
    path.write_text(fcp_document(rate))
    read = read_timeline(path)
    timeline = read.timeline
    assert read.rate == rate and exact_rate(timeline.global_start_time.rate) == rate
    assert timeline.global_start_time.value == HOUR[rate]
    assert describe(read)["start_timecode"] == "01:00:00:00"
    # record positions count from the start, like every other format (no one-hour gap)
    assert _records(timeline) == {"shotA": (0, 20), "shotB": (20, 16), "shotC": (43, 24),
                                  "shotD": (9, 11), "room": (0, 30)}
    shot_c = next(c for c in timeline.find_clips() if c.name == "shotC")
    assert shot_c.source_range.start_time.value == 12 and shot_c.source_range.start_time.rate == float(rate)
    assert shot_c.media_reference.target_url == "file:///Volumes/Media/shotC.mov"  # from <media-rep>
    selected = select_clips(timeline, Criteria(marker=True))
    assert [(s.clip.name, s.text) for s in selected] == [("shotC", "make it snowy")]


@pytest.mark.parametrize("rate", [Fraction(24), Fraction(24000, 1001)])
def test_round_trip_puts_renders_at_record_ranges_and_keeps_start(tmp_path, media_factory, rate):
    before = build_timeline(media_factory(rate), rate)
    before.global_start_time = RT(HOUR[rate], float(rate))  # 01:00:00:00 (conftest takes 3600 s)
    in_path = tmp_path / "in.fcpxml"
    write_timeline(before, in_path, "fcpxml", rate=rate)
    original = read_timeline(in_path).timeline
    # the fcpx_xml adapter writes no transitions: the dissolve between shotA and shotB is lost
    assert not any(isinstance(i, otio.schema.Transition) for t in original.tracks for i in t)
    assert _records(original) == {"shotA": (0, 20), "shotB": (20, 16), "shotC": (43, 24), "shotD": (9, 11),
                                  "shotA audio": (0, 20)}
    opts = Options(Criteria(marker=True), tmp_path / "out.fcpxml", Where(in_path, tmp_path / "renders"))
    report = restyle_timeline(read_timeline(in_path), opts, spec_resolver(instruction="make it snowy"),
                              trim_renderer)
    assert [(o.clip, o.status) for o in report.outcomes] == [("shotC", "rendered")]
    back = read_timeline(tmp_path / "out.fcpxml")
    assert back.rate == rate and back.rate.denominator in (1, 1001)
    assert exact_rate(back.timeline.global_start_time.rate) == rate
    assert back.timeline.global_start_time.value == HOUR[rate]
    assert describe(back)["start_timecode"] == "01:00:00:00"
    renders = [c for c in back.timeline.find_clips() if "renders" in c.media_reference.target_url]
    assert [(c.name, _records(back.timeline)[c.name]) for c in renders] == [("shotC", (43, 24))]
    assert probe(otio.url_utils.filepath_from_url(renders[0].media_reference.target_url)).frame_count == 24
    untouched = {c.name: (c.source_range, _records(original)[c.name]) for c in original.find_clips()}
    kept = {c.name: (c.source_range, _records(back.timeline)[c.name])
            for c in back.timeline.find_clips() if c not in renders}
    assert kept == untouched


def test_written_sequence_carries_tc_start_and_format(tmp_path, media_factory):
    rate = Fraction(24000, 1001)
    timeline = build_timeline(media_factory(rate), rate)
    timeline.global_start_time = RT(HOUR[rate], float(rate))
    out = tmp_path / "cut.fcpxml"
    write_timeline(timeline, out, "fcpxml", rate=rate, frame_size=(64, 48))
    root = ET.parse(out).getroot()
    sequence = root.find("project/sequence")
    assert seconds(sequence.get("tcStart")) == Fraction(86400 * 1001, 24000)  # 3603.6 s
    assert sequence.get("tcFormat") == "NDF"
    fmt = root.find(f"resources/format[@id='{sequence.get('format')}']")
    assert (fmt.get("frameDuration"), fmt.get("width"), fmt.get("height")) == ("1001/24000s", "64", "48")
    spine = sequence.find("spine")
    first = spine[0]  # spine offsets count from tcStart; connected clips from their parent's start
    assert seconds(first.get("offset")) == seconds(sequence.get("tcStart"))
    connected = first.find("clip[@lane='1']")
    assert seconds(connected.get("offset")) == (5 + 9) * Fraction(1001, 24000)
    assert not list(tmp_path.glob(".*partial*"))


def test_drop_frame_rate_is_written_as_df(tmp_path, media_factory):
    rate = Fraction(30000, 1001)
    timeline = build_timeline(media_factory(rate), rate)
    timeline.global_start_time = RT(107892, float(rate))  # 01:00:00;00 drop-frame
    out = tmp_path / "cut.fcpxml"
    write_timeline(timeline, out, "fcpxml", rate=rate)
    sequence = ET.parse(out).getroot().find("project/sequence")
    # FCP's spelling of 01:00:00;00 DF: 107892 frames of 1001/30000 s = 107999892/30000 s
    assert seconds(sequence.get("tcStart")) == Fraction(107999892, 30000) and sequence.get("tcFormat") == "DF"
    read = read_timeline(out)
    assert read.rate == rate and describe(read)["start_timecode"] == "01:00:00;00"
