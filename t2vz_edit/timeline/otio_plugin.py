"""OTIO plugin (entry point ``opentimelineio.plugins``): a media linker and a post-read hook.

- Media linker ``t2vz_renders``: points each clip at its existing render, found through the
  render sidecars in ``media_linker_argument_map["render_dir"]`` (or ``$T2VZ_RENDER_DIR``), so
  ``otiocat``/``otioview`` show the restyled media. Clips without a render keep their media.
- Hook script ``t2vz_mark_renders`` (on ``post_adapter_read``): records in each clip's
  ``metadata["t2vz_edit"]["render"]`` the render that exists for it, without relinking.

>>> [p.name for p in plugin_manifest().media_linkers]
['t2vz_renders']
"""
import json

import opentimelineio as otio

_MANIFEST = {
    "OTIO_SCHEMA": "PluginManifest.1",
    "media_linkers": [{"OTIO_SCHEMA": "MediaLinker.1", "name": "t2vz_renders",
                       "filepath": "otio_linker.py", "execution_scope": "in process"}],
    "hook_scripts": [{"OTIO_SCHEMA": "HookScript.1", "name": "t2vz_mark_renders",
                      "filepath": "otio_linker.py", "execution_scope": "in process"}],
    "hooks": {"post_adapter_read": ["t2vz_mark_renders"]},
}


def plugin_manifest():
    """The manifest OTIO loads through the entry point (paths relative to this file)."""
    return otio.plugins.manifest.manifest_from_string(json.dumps(_MANIFEST))
