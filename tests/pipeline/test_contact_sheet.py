"""The contact sheet is readable: tiles of >= 320 px long side taken from the source at full size,
each column labelled with its frame number and timecode (issue 15, item 6)."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from PIL import Image

from t2vz_edit.media.synth import make_clip
from t2vz_edit.pipeline.preview import LABEL_HEIGHT, TILE_LONG_SIDE, tile_size


def test_tiles_are_full_size_source_frames_under_a_label_each(tmp_path):
    from t2vz_edit.engine.parts import EngineParts
    from t2vz_edit.engine.tiny import build_tiny
    from t2vz_edit.media.decode import iter_chunks
    from t2vz_edit.media.probe import probe
    from t2vz_edit.media.ranges import FrameRange
    from t2vz_edit.pipeline.restyle import restyle

    clip = make_clip(tmp_path / "wide.mov", frames=6, width=400, height=224, rate=Fraction(24000, 1001),
                     timecode="01:00:10:00")
    parts = EngineParts.from_components(build_tiny("instruct"))
    result = restyle(clip, instruction="make it blue", steps=2, size=64, parts=parts, score=False, preview=True,
                     frame_range="2+3")
    sheet = np.asarray(Image.open(next(p for p in result.previews if p.suffix == ".png")).convert("RGB"))
    tile_h, tile_w = tile_size((224, 400))
    assert TILE_LONG_SIDE >= 320 and tile_w == TILE_LONG_SIDE
    assert sheet.shape == (LABEL_HEIGHT + 2 * tile_h, 3 * tile_w, 3)  # three frames, source above render

    info = probe(clip)
    full = np.concatenate([c.frames for c in iter_chunks(info, FrameRange(2, 5))])  # (3, 224, 400, 3)
    for column in range(3):
        tile = sheet[LABEL_HEIGHT:LABEL_HEIGHT + tile_h, column * tile_w:(column + 1) * tile_w]
        expected = np.asarray(Image.fromarray(full[column]).resize((tile_w, tile_h), Image.LANCZOS))
        assert np.array_equal(tile, expected), f"column {column}: not the full-size source frame"

    labels = [sheet[:LABEL_HEIGHT, c * tile_w:(c + 1) * tile_w] for c in range(3)]
    for label in labels:
        assert (label.max(axis=2) > 200).sum() > 30  # white text on the dark strip
    assert not np.array_equal(labels[0], labels[1]) and not np.array_equal(labels[1], labels[2])


def test_label_text_names_the_source_frame_and_its_timecode(tmp_path, monkeypatch):
    from t2vz_edit.pipeline import preview

    drawn = []
    real = preview._label
    monkeypatch.setattr(preview, "_label", lambda text, width: drawn.append(text) or real(text, width))
    from t2vz_edit.engine.parts import EngineParts
    from t2vz_edit.engine.tiny import build_tiny
    from t2vz_edit.pipeline.restyle import restyle

    clip = make_clip(tmp_path / "c.mov", frames=6, width=96, height=64, rate=Fraction(24000, 1001),
                     timecode="01:00:10:00")
    restyle(clip, instruction="x", steps=2, size=64, parts=EngineParts.from_components(build_tiny("instruct")),
            score=False, preview=True, frame_range="3+2")
    assert drawn == ["frame 3  01:00:10:03", "frame 4  01:00:10:04"]
