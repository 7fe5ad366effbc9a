"""Preferences, per-scene settings and the sidebar panel (Sequencer ▸ Sidebar ▸ t2vz)."""
import json
import subprocess

import bpy

from .ops import running_job
from .strips import active_movie_strip
from .t2vz_action import ActionFailed, cli_command

_preset_cache = {}  # CLI command -> preset names (asking the CLI takes a second)


def preset_names(cli):
    """Preset names from ``t2vz-edit presets list --json`` (cached per CLI; [] when it fails)."""
    if cli not in _preset_cache:
        try:
            out = subprocess.run(cli_command(cli) + ["presets", "list", "--json"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, universal_newlines=True, timeout=60, check=True).stdout
            _preset_cache[cli] = [row["name"] for row in json.loads(out)]
        except (ActionFailed, OSError, ValueError, subprocess.SubprocessError):
            return []
    return _preset_cache[cli]


def _search_presets(self, context, edit_text):
    names = preset_names(context.preferences.addons[__package__].preferences.cli)
    return [name for name in names if edit_text.lower() in name.lower()]


class T2VZPreferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    cli: bpy.props.StringProperty(
        name="t2vz-edit command",
        description="How to run the CLI, e.g. /home/me/t2vz/.venv/bin/t2vz-edit (empty: t2vz-edit on PATH). "
                    "Blender's own Python does not have t2vz-edit")
    model_store: bpy.props.StringProperty(name="Model store", subtype="DIR_PATH",
                                          description="Folder of downloaded models (T2VZ_MODEL_STORE); empty: default")
    default_preset: bpy.props.StringProperty(name="Default preset", default="watercolor",
                                             description="Preset used when the panel names none")
    render_folder: bpy.props.StringProperty(name="Render folder", subtype="DIR_PATH",
                                            description="Where renders go; empty: t2vz_renders/ next to the .blend "
                                                        "(or next to the source when unsaved)")
    renderer: bpy.props.EnumProperty(name="Renderer", items=(
        ("restyle", "Restyle", "Diffusion restyle (t2vz-edit restyle)"),
        ("trim", "Trim (check)", "Copy the range without a model: checks timing and placement quickly")))
    extra_args: bpy.props.StringProperty(name="Extra arguments",
                                         description="Added to `t2vz-edit restyle`, e.g. --steps 20 --size 512")

    def draw(self, context):
        for name in ("cli", "model_store", "default_preset", "render_folder", "renderer", "extra_args"):
            self.layout.prop(self, name)


class T2VZSettings(bpy.types.PropertyGroup):
    preset: bpy.props.StringProperty(name="Preset", description="Look to apply (t2vz-edit presets list)",
                                     search=_search_presets)
    instruction: bpy.props.StringProperty(name="Instruction", description="Edit instruction; overrides the preset")
    use_range: bpy.props.BoolProperty(name="Used frames only", default=True,
                                      description="Render the strip's used frames plus handles, not the whole file")
    handles: bpy.props.IntProperty(name="Handles", default=12, min=0, max=1000,
                                   description="Extra frames rendered before and after the used frames")


class SEQUENCER_PT_t2vz(bpy.types.Panel):
    bl_label = "Restyle (t2vz-edit)"
    bl_space_type = "SEQUENCE_EDITOR"
    bl_region_type = "UI"
    bl_category = "t2vz"

    def draw(self, context):
        layout, settings = self.layout, context.scene.t2vz
        strip = active_movie_strip(context.scene)
        layout.label(text="Strip: {}".format(strip.name if strip else "(select a movie strip)"))
        layout.prop(settings, "preset")
        layout.prop(settings, "instruction")
        row = layout.row()
        row.prop(settings, "use_range")
        row.prop(settings, "handles")
        job = running_job()
        if job is None:
            layout.operator("t2vz.restyle_strip", icon="RENDER_ANIMATION")
        else:
            layout.label(text=job.progress.text())
            layout.operator("t2vz.cancel", icon="CANCEL")


CLASSES = (T2VZPreferences, T2VZSettings, SEQUENCER_PT_t2vz)
