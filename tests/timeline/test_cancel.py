"""Issue 16 item 6: Ctrl-C (a ``Cancelled``) stops a timeline run; it is not one more failed clip."""
from __future__ import annotations

import pytest


def test_cancel_stops_a_timeline_instead_of_skipping_a_clip(tmp_path, timeline_24):
    import opentimelineio as otio

    from t2vz_edit.spec.errors import Cancelled
    from t2vz_edit.timeline.jobs import Where
    from t2vz_edit.timeline.read import read_timeline
    from t2vz_edit.pipeline.renderers import trim_renderer
    from t2vz_edit.timeline.roundtrip import Options, restyle_timeline
    from t2vz_edit.timeline.selection import Criteria
    from t2vz_edit.timeline.specs import spec_resolver

    in_path = tmp_path / "in.otio"
    otio.adapters.write_to_file(timeline_24, str(in_path))
    clips_started = []

    def ctrl_c_in_second_clip(stage, done, total):
        if stage == "clips":
            clips_started.append(done)
        return not (stage == "encode" and len(clips_started) == 2)

    with pytest.raises(Cancelled):
        restyle_timeline(read_timeline(in_path), Options(Criteria(all_clips=True), tmp_path / "out.otio",
                                                         Where(in_path, tmp_path / "renders")),
                         spec_resolver(instruction="x"), trim_renderer, progress=ctrl_c_in_second_clip)
    assert clips_started == [0, 1]  # the third clip was never started
    assert not (tmp_path / "out.otio").exists()
    assert not [p for p in (tmp_path / "renders").rglob("*") if "t2vz-partial" in p.name or "t2vz-lock" in p.name]
