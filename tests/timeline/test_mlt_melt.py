"""A written MLT timeline played by the real ``melt`` (the engine of Kdenlive and Shotcut) shows,
at every clip's record frames, the frames of its media at its source range: renders (with
handles), a timecoded clip, a clip over media at twice its rate, both sides of a dissolve.

Every frame of the test media carries its own code (``edits.CODE_BASE``), so each frame melt
renders is identified exactly; the pictures must also match the media's decoded frame within
codec noise. ``melt`` comes from the Debian package (installed by ``.ci/run``); without it the
test is skipped with that reason.
"""
from __future__ import annotations

import shutil
import subprocess
from fractions import Fraction

import av
import numpy as np
import opentimelineio as otio
import pytest

from edits import CODE_BASE, RATES, build_edit, make_media
from matrix_check import start_of
from t2vz_edit.media.probe import probe
from t2vz_edit.media.synth import read_frame_number
from t2vz_edit.pipeline.renderers import trim_renderer
from t2vz_edit.timeline.jobs import Where
from t2vz_edit.timeline.read import read_timeline
from t2vz_edit.timeline.roundtrip import Options, restyle_timeline
from t2vz_edit.timeline.selection import Criteria
from t2vz_edit.timeline.specs import spec_resolver
from t2vz_edit.timeline.write import write_timeline

MELT = shutil.which("melt")
CODEC_NOISE = 4.0  # mean absolute difference (0..255) between melt's picture and PyAV's decode


def _decode(path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def _expected(timeline: otio.schema.Timeline, rate: Fraction) -> dict[int, tuple[str, str, int]]:
    """record frame (from 0) -> (clip, media path, media frame) shown there: the top video track
    holding a clip; frames under a transition are left out (both clips mix there)."""
    shown, start, r = {}, start_of(timeline, rate), float(rate)
    for track in timeline.tracks:
        if track.kind != otio.schema.TrackKind.Video:
            continue
        mixed = set()
        for item in sorted(track, key=lambda i: not isinstance(i, otio.schema.Transition)):
            span = track.transformed_time_range(track.range_of_child(item), timeline.tracks)
            first = round(span.start_time.value_rescaled_to(r))
            count = round(span.duration.value_rescaled_to(r))
            if isinstance(item, otio.schema.Transition):
                mixed.update(range(first, first + count))
                shown.update({frame: None for frame in range(first, first + count)})
            elif isinstance(item, otio.schema.Clip):  # a gap shows the track below
                shown.update({first + k: _media_frame(item, k, rate) for k in range(count) if first + k not in mixed})
    return {f: v for f, v in shown.items() if v is not None and f >= 0 and start >= 0}


def _media_frame(clip: otio.schema.Clip, k: int, rate: Fraction):
    ref = clip.media_reference
    path = otio.url_utils.filepath_from_url(ref.target_url)
    media_rate = probe(path).rate
    time = clip.trimmed_range().start_time + otio.opentime.RationalTime(k, float(rate))
    offset = (time - ref.available_range.start_time).to_seconds()
    return clip.name, path, int(np.floor(offset * media_rate + 1e-6))


@pytest.mark.skipif(MELT is None, reason="melt (Debian package 'melt') is not installed; .ci/run installs it")
@pytest.mark.parametrize("rate_name", ["23.976", "29.97DF"])
def test_melt_plays_every_clip_at_its_record_range(tmp_path, rate_name):
    rate = RATES[rate_name]
    media = make_media(tmp_path / "media", rate)
    source = tmp_path / "edit.otio"
    otio.adapters.write_to_file(build_edit(media, rate), str(source))
    where = Where(source, tmp_path / "renders")
    for out in ("cut.otio", "cut.mlt"):  # the same renders placed twice: .otio says what melt must show
        read = read_timeline(source)
        restyle_timeline(read, Options(Criteria(name_pattern="shot[CDE]"), tmp_path / out, where, handles=2),
                         spec_resolver(instruction="x"), trim_renderer)
    placed = read_timeline(tmp_path / "cut.otio").timeline
    played = tmp_path / "played.nut"
    subprocess.run([MELT, "-quiet", str(tmp_path / "cut.mlt"), "-consumer", f"avformat:{played}",
                    "vcodec=rawvideo", "pix_fmt=rgb24", "an=1"], check=True, capture_output=True, timeout=120)
    frames = _decode(played)
    expected = _expected(placed, rate)
    assert len(frames) == round(placed.duration().value_rescaled_to(float(rate)))
    media_frames: dict = {}
    checked = set()
    for record, (name, path, index) in sorted(expected.items()):
        pictures = media_frames.setdefault(path, _decode(path))
        want = pictures[index]
        got = frames[record]
        assert read_frame_number(got) == read_frame_number(want), (name, record, index)
        assert np.abs(got.astype(np.float32) - want.astype(np.float32)).mean() < CODEC_NOISE, (name, record)
        if "renders" in path:  # a render shows the source frame its clip uses, not a neighbour
            original = next(c for c in placed.find_clips() if c.name == name and "renders" not in
                            c.media_reference.target_url)
            k = record - round(original.transformed_time_range(original.trimmed_range(), placed.tracks)
                               .start_time.value_rescaled_to(float(rate)))
            assert read_frame_number(got) == CODE_BASE[name] + _media_frame(original, k, rate)[2], (name, record)
        checked.add((name, "renders" in path))
    _check_dissolve_mixes(placed, rate, frames, media_frames)
    # every clip was seen: the originals that stay visible and every render
    assert {("shotA", False), ("shotB", False), ("shotC", True), ("shotD", True), ("shotE", True)} <= checked


def _check_dissolve_mixes(timeline, rate: Fraction, frames, media_frames) -> None:
    """Halfway through each dissolve melt shows both clips mixed: closer to their average than
    to either (outgoing frames continue past the cut, incoming ones start before it)."""
    r = float(rate)
    for transition in timeline.find_children(descended_from_type=otio.schema.Transition):
        track = transition.parent()
        index = track.index(transition)
        outgoing, incoming = track[index - 1], track[index + 1]
        span = track.transformed_time_range(track.range_of_child(transition), timeline.tracks)
        middle = round(span.start_time.value_rescaled_to(r)) + round(span.duration.value_rescaled_to(r)) // 2
        sides = []
        for clip in (outgoing, incoming):
            start = round(clip.transformed_time_range(clip.trimmed_range(), timeline.tracks).start_time
                          .value_rescaled_to(r))
            _, path, media_index = _media_frame(clip, middle - start, rate)
            sides.append(media_frames.setdefault(path, _decode(path))[media_index].astype(np.float32))
        got = frames[middle].astype(np.float32)
        to_mix = np.abs(got - (sides[0] + sides[1]) / 2).mean()
        assert to_mix < min(np.abs(got - sides[0]).mean(), np.abs(got - sides[1]).mean()) / 2, to_mix
