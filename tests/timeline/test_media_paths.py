"""Media locations in the styles NLEs write, remaps and search paths."""
from __future__ import annotations

import pytest

from t2vz_edit.spec.errors import UsageError
from t2vz_edit.timeline.media_paths import Remap, normalise_location, resolve_media


@pytest.mark.parametrize("written, normal", [
    ("file:///Users/me/a%20b%23c.mov", "/Users/me/a b#c.mov"),
    ("file:///Users/me/a b.mov", "/Users/me/a b.mov"),
    ("file://localhost/D%3a/proj/a.mov", "D:/proj/a.mov"),
    ("file:///C:/proj/a.mov", "C:/proj/a.mov"),
    ("file://C:/proj/a.mov", "C:/proj/a.mov"),
    ("file://server/share/a.mov", "//server/share/a.mov"),
    ("\\\\server\\share\\a.mov", "//server/share/a.mov"),
    ("d:\\proj\\a.mov", "D:/proj/a.mov"),
    ("media/a.mov", "media/a.mov"),
])
def test_normalise_location(written, normal):
    assert normalise_location(written) == normal


def test_resolve_by_remap_relative_and_search_path(tmp_path):
    (tmp_path / "proj" / "media").mkdir(parents=True)
    clip = tmp_path / "proj" / "media" / "a b.mov"
    clip.write_bytes(b"x")
    remap = Remap.parse(f"D:/Proj={tmp_path / 'proj'}")
    assert resolve_media("file://localhost/d%3a/proj/media/a%20b.mov", timeline_dir=tmp_path,
                         remaps=(remap,)).path == clip.resolve()
    assert resolve_media("media/a b.mov", timeline_dir=tmp_path / "proj").path == clip.resolve()
    found = resolve_media("file://server/share/a%20b.mov", timeline_dir=tmp_path, search_paths=(clip.parent,))
    assert found.path == clip.resolve()
    missing = resolve_media("file:///gone/a.mov", timeline_dir=tmp_path, search_paths=(tmp_path,))
    assert missing.path is None and str(tmp_path / "a.mov") in missing.tried


def test_remap_needs_equals():
    with pytest.raises(UsageError, match="FROM=TO"):
        Remap.parse("D:/proj")
