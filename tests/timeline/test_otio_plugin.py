"""The OTIO plugin: loaded through the entry point and through a temporary manifest."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import opentimelineio as otio

from t2vz_edit.timeline.jobs import Where
from t2vz_edit.timeline.read import read_timeline
from t2vz_edit.pipeline.renderers import trim_renderer
from t2vz_edit.timeline.roundtrip import Options, restyle_timeline
from t2vz_edit.timeline.selection import Criteria
from t2vz_edit.timeline.specs import spec_resolver

_LINK = """
import json, sys, opentimelineio as otio
from opentimelineio.plugins import ActiveManifest
names = otio.media_linker.available_media_linker_names()
tl = otio.adapters.read_from_file(sys.argv[1], media_linker_name="t2vz_renders",
                                  media_linker_argument_map={"render_dir": sys.argv[2]})
print(json.dumps({"linkers": names, "hooks": list(ActiveManifest().hooks.get("post_adapter_read", [])),
                  "urls": {c.name: c.media_reference.target_url for c in tl.find_clips()},
                  "marked": {c.name: c.metadata.get("t2vz_edit", {}).get("render") for c in tl.find_clips()}}))
"""


def _rendered(tmp_path, timeline) -> tuple[Path, Path]:
    in_path = tmp_path / "in.otio"
    otio.adapters.write_to_file(timeline, str(in_path))
    renders = tmp_path / "renders"
    restyle_timeline(read_timeline(in_path), Options(Criteria(marker=True), tmp_path / "out.otio", Where(in_path, renders)),
                     spec_resolver(), trim_renderer)
    return in_path, renders


def _run(env_extra, *args):
    import os

    env = {**os.environ, **env_extra}
    result = subprocess.run([sys.executable, "-c", _LINK, *map(str, args)], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_entry_point_plugin_links_clips_to_their_renders(tmp_path, timeline_24):
    in_path, renders = _rendered(tmp_path, timeline_24)
    seen = _run({}, in_path, renders)
    assert "t2vz_renders" in seen["linkers"] and "t2vz_mark_renders" in seen["hooks"]
    assert "/renders/shotC." in seen["urls"]["shotC"]  # the marked clip now shows its render
    assert seen["urls"]["shotA"].endswith("/shotA.mov")  # clips without a render keep their media
    assert seen["marked"]["shotC"].endswith(".mov") and seen["marked"]["shotA"] is None


def test_temporary_manifest_loads_the_same_plugin(tmp_path, timeline_24):
    in_path, renders = _rendered(tmp_path, timeline_24)
    import t2vz_edit.timeline.otio_plugin as plugin

    manifest = dict(plugin._MANIFEST)
    folder = Path(plugin.__file__).parent
    for kind in ("media_linkers", "hook_scripts"):
        manifest[kind] = [dict(p, filepath=str(folder / p["filepath"])) for p in manifest[kind]]
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    seen = _run({"OTIO_PLUGIN_MANIFEST_PATH": str(path), "OTIO_DISABLE_ENTRYPOINTS_PLUGINS": "1"}, in_path, renders)
    assert seen["linkers"] == ["t2vz_renders"] and "/renders/shotC." in seen["urls"]["shotC"]
