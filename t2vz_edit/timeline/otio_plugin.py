"""OTIO plugin entry point (placeholder until the timeline issue lands)."""
import opentimelineio as otio


def plugin_manifest():
    return otio.plugins.manifest.manifest_from_string('{"OTIO_SCHEMA": "PluginManifest.1"}')
