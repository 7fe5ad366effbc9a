"""Runs INSIDE the real bpy wheel (its own venv): install the built extension, restyle strips, report.

Usage: python blender_scenario.py CONFIG.json → writes the results JSON named in the config.
``bpy`` as a module has no event loop, so the "steps" cases call the operator's steps
(start_job, then job_step until it is done) the way its timer would; the "operator" case calls
the registered operator itself, which runs to the end in background mode.
"""
import importlib
import json
import os
import sys
import time
import types

import bpy

EXT = "bl_ext.user_default.t2vz_vse"
SOURCE = dict(channel=2, frame_start=10, frame_offset_start=7, frame_final_duration=12)


def install(zip_path):
    result = bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default",
                                                      enable_on_install=True)
    assert result == {"FINISHED"}, result
    return bpy.context.preferences.addons[EXT].preferences


def strips_of(scene):
    editor = scene.sequence_editor
    return editor.strips if hasattr(editor, "strips") else editor.sequences


def build_scene(scene, clip, size):
    """23.976 scene: the movie on ch2 (in-point offset 7), its sound on ch1 (same cut), blockers on ch3
    (overlaps) and ch4 (handles only). Returns (movie strip, sound strip or the reason there is none).

    The bpy 4.2 wheel is built without Audaspace: ``new_sound`` raises "Blender compiled without
    Audaspace support" for any file (WAV or the movie's own audio), so 4.2 gets no sound strip;
    5.0 wheels have Audaspace and make one from the movie's audio stream.
    """
    scene.render.fps, scene.render.fps_base = 24, 1.001
    scene.render.resolution_x, scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.view_settings.view_transform = "Standard"
    scene.render.image_settings.file_format = "PNG"
    scene.sequence_editor_clear()  # every case starts from the same fresh edit
    scene.sequence_editor_create()
    strips = strips_of(scene)
    movie = strips.new_movie("source", clip, SOURCE["channel"], SOURCE["frame_start"])
    movie.frame_offset_start = SOURCE["frame_offset_start"]
    movie.frame_final_duration = SOURCE["frame_final_duration"]
    sound = add_sound(strips, clip)
    for name, channel, start, end in (("busy_above", 3, 20, 26), ("after_on_4", 4, 30, 36)):
        if bpy.app.version >= (5, 0, 0):  # 5.0 takes a length instead of frame_end
            strips.new_effect(name=name, type="COLOR", channel=channel, frame_start=start, length=end - start)
        else:
            strips.new_effect(name=name, type="COLOR", channel=channel, frame_start=start, frame_end=end)
    scene.sequence_editor.active_strip = movie
    return movie, sound


def lock_channels_above(scene, channel):
    """Lock every channel above ``channel``: the extension finds nowhere to place the render."""
    channels = scene.sequence_editor.channels
    for index in range(channel + 1, len(channels)):
        channels[index].lock = True


def add_sound(strips, clip):
    """The movie's audio as a sound strip on channel 1, cut like the movie; or why the wheel cannot."""
    try:
        sound = strips.new_sound("source_sound", clip, 1, SOURCE["frame_start"])
    except RuntimeError as exc:  # 4.2 wheel: compiled without Audaspace
        return "{} (build_options.audaspace={})".format(str(exc).strip(), bpy.app.build_options.audaspace)
    sound.frame_offset_start = SOURCE["frame_offset_start"]
    sound.frame_final_duration = SOURCE["frame_final_duration"]
    return sound


def describe_sound(sound):
    if isinstance(sound, str):
        return {"unavailable": sound}
    keys = ("name", "type", "channel", "frame_start", "frame_offset_start", "frame_offset_end", "frame_final_start",
            "frame_final_end", "frame_final_duration", "frame_duration", "volume", "mute")
    out = {key: getattr(sound, key) for key in keys}
    out.update(filepath=sound.sound.filepath, samplerate=sound.sound.samplerate)
    return out


def describe(strip):
    keys = ("name", "channel", "frame_start", "frame_offset_start", "frame_final_start", "frame_final_end",
            "frame_final_duration", "type")
    out = {key: getattr(strip, key) for key in keys}
    out["filepath"] = getattr(strip, "filepath", None)
    return out


def run_steps(scene, job_module, prefs, texts):
    job = job_module.start_job(scene, scene.t2vz, prefs, "")
    state = "RUNNING"
    while state == "RUNNING":
        time.sleep(0.05)
        state = job_module.job_step(scene, job)
        if job.progress.stage and (not texts or texts[-1] != job.progress.text()):
            texts.append(job.progress.text())
    return job, state


class OperatorStub(object):
    """Stands in for the operator instance Blender would make: bpy has no event loop, so invoke() never
    reaches modal(); the test calls the operator's own _start/modal/_finish with fake TIMER/ESC events."""

    def __init__(self, cls):
        self.cls, self._timer, self.reports = cls, None, []

    def report(self, kind, message):
        self.reports.append([sorted(kind)[0], message])

    def _start(self, context):
        return self.cls._start(self, context)

    def _finish(self, context, job, state):
        return self.cls._finish(self, context, job, state)

    def modal(self, event_type):
        return sorted(self.cls.modal(self, bpy.context, types.SimpleNamespace(type=event_type)))


def run_cancel(scene, case, texts, result):
    """Cancel through the operator: Esc mid-denoise, or the panel's Cancel button (t2vz.cancel) at once."""
    ops = importlib.import_module(EXT + ".ops")
    operator = OperatorStub(ops.T2VZ_OT_restyle_strip)
    job = operator._start(bpy.context)
    assert job is not None, operator.reports
    if case["cancel_with"] == "esc":
        deadline = time.time() + 300
        while job.progress.stage != "denoise" and time.time() < deadline:  # cancel mid-render
            time.sleep(0.05)
            assert operator.modal("TIMER") == ["RUNNING_MODAL"], job.error
        texts.append(job.progress.text())
        result["modal"] = operator.modal("ESC")
    else:
        result["cancel_op"] = sorted(bpy.ops.t2vz.cancel())
        result["modal"] = operator.modal("TIMER")  # the next timer tick sees the request
    result["reports"], result["running_after"] = operator.reports, ops.running_job() is not None
    return job, "CANCELLED"


def render_frames(scene, placed, png_dir, tag):
    """PNG of the first and last visible frames with the render shown and with it muted."""
    out = {}
    for which, frame in (("first", placed.frame_final_start), ("last", placed.frame_final_end - 1)):
        for muted in (False, True):
            placed.mute = muted
            scene.frame_current = frame
            path = os.path.join(png_dir, "{}_{}_{}.png".format(tag, which, "source" if muted else "render"))
            scene.render.filepath = path
            bpy.ops.render.render(write_still=True, scene=scene.name)
            out["{}_{}".format(which, "source" if muted else "render")] = path
    placed.mute = False
    return out


def run_case(case, config, prefs):
    scene = bpy.context.scene  # the operator and the sequencer render both use the context scene
    movie, sound = build_scene(scene, config["clip"], config["size"])
    if case.get("lock_above"):
        lock_channels_above(scene, SOURCE["channel"])
    sound_before = describe_sound(sound)
    before = {s.name for s in strips_of(scene)}
    prefs.renderer = case["renderer"]
    prefs.extra_args = case.get("extra_args", "")
    scene.t2vz.handles = case["handles"]
    scene.t2vz.instruction = case.get("instruction", "")
    scene.t2vz.preset = case.get("preset", "")
    job_module = importlib.import_module(EXT + ".job")
    texts, result = [], {"name": case["name"]}
    if case["how"] == "operator":
        result["operator"] = sorted(bpy.ops.t2vz.restyle_strip())
        job = None
    elif case["how"] == "cancel":
        os.makedirs(config["render_folder"], exist_ok=True)
        result["render_folder_before"] = sorted(os.listdir(config["render_folder"]))
        job, result["state"] = run_cancel(scene, case, texts, result)
        result["output_exists"], result["output"] = os.path.exists(job.output), job.output
        result["exit_code"] = job.process.returncode
    else:
        job, result["state"] = run_steps(scene, job_module, prefs, texts)
        result["error"] = job.error
        result["output_exists"], result["output"] = os.path.exists(job.output), job.output
    added = [s for s in strips_of(scene) if s.name not in before]
    result.update(progress=texts, added=[describe(s) for s in added], source=describe(movie),
                  sound={"before": sound_before, "after": describe_sound(sound)},
                  render_folder_files=sorted(os.listdir(config["render_folder"])))
    if job is not None:
        result["rendered"] = list(job.rendered)
    if len(added) == 1 and case.get("render_png"):
        result["pngs"] = render_frames(scene, added[0], config["png_dir"], case["name"])
    return result


def main():
    config = json.load(open(sys.argv[-1]))
    prefs = install(config["zip"])
    prefs.cli, prefs.render_folder = config["cli"], config["render_folder"]
    results = {"blender": bpy.app.version_string, "audaspace": bool(bpy.app.build_options.audaspace), "cases": []}
    for case in config["cases"]:
        results["cases"].append(run_case(case, config, prefs))
    with open(config["results"], "w") as handle:
        json.dump(results, handle, indent=1)
    sys.stdout.flush()
    # The bpy 4.2 module crashes (SIGSEGV) at interpreter exit while any Python-defined class is
    # registered: a one-operator script reproduces it, 5.0 does not. Results are written; leave.
    os._exit(0)


if __name__ == "__main__":
    main()
