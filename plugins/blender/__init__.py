"""t2vz-edit for Blender's Video Sequencer: restyle the active movie strip and place the render above it.

Sequencer ▸ Sidebar ▸ t2vz: choose a preset or write an instruction, then Restyle Strip. The
CLI runs in the background (progress in the status bar, Esc cancels and leaves nothing); the
render is added on the first free channel above the strip, at the same frames. The shared
runner (t2vz_action, t2vz_protocol, t2vz_ranges) is copied in when the extension is built.
"""
import bpy

from . import ops, ui


def register():
    for cls in ui.CLASSES + ops.CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.t2vz = bpy.props.PointerProperty(type=ui.T2VZSettings)


def unregister():
    del bpy.types.Scene.t2vz
    for cls in reversed(ui.CLASSES + ops.CLASSES):
        bpy.utils.unregister_class(cls)
