"""One "restyle this strip" job: plan it, start the CLI, step it from a timer, place the render.

The operator calls these; so do the headless tests, because the ``bpy`` module has no event
loop (timers and modal TIMER events never fire there). Nothing here imports bpy.
"""
import os
import shlex

from .strips import active_movie_strip, place_render, used_range
from .t2vz_action import ActionFailed, ActionProcess, kept_render_message, restyle_args
from .t2vz_protocol import ProgressState
from .t2vz_ranges import HandledRange, range_arg, render_file_name, unused_path, with_handles

RENDERERS = ("restyle", "trim")  # trim copies the range (no model): checks placement quickly


class JobError(RuntimeError):
    """Bad input found before anything runs; the message says what to fix."""


class StripJob(object):
    """A running job: the source strip, the rendered range, the output path and the CLI process."""

    def __init__(self, source_name, rendered, output, tag, process):
        self.source_name = source_name
        self.rendered = rendered  # HandledRange of source frames
        self.output = output
        self.tag = tag
        self.process = process
        self.progress = ProgressState()
        self.placed_name = None
        self.error = None


def _render_folder(prefs, source_path, blend_path):
    if prefs.render_folder:
        return os.path.abspath(os.path.expanduser(prefs.render_folder))
    base = os.path.dirname(blend_path) if blend_path else os.path.dirname(source_path)
    return os.path.join(base, "t2vz_renders")


def plan_range(strip, scene, use_range, handles):
    """The source frames to render: the used part plus handles, or the whole media."""
    used, media_frames = used_range(strip, scene)
    if not use_range:
        return HandledRange(0, media_frames, used.start, media_frames - used.stop)
    return with_handles(used, handles, media_frames)


def command_args(prefs, settings, source_path, rendered, output):
    """CLI arguments for the chosen renderer."""
    if prefs.renderer == "trim":
        return ["trim", source_path, "--range", range_arg(rendered), "-o", output]
    preset = None if settings.instruction.strip() else (settings.preset.strip() or prefs.default_preset)
    extra = shlex.split(prefs.extra_args) if prefs.extra_args else []
    return restyle_args(source_path, preset=preset, instruction=settings.instruction.strip() or None,
                        output=output, frame_range=range_arg(rendered), extra=extra)


def job_tag(prefs, settings):
    """What the render and its strip are named after: the preset (or 'instruction', 'trim')."""
    if prefs.renderer == "trim":
        return "trim"
    return "instruction" if settings.instruction.strip() else (settings.preset.strip() or prefs.default_preset)


def start_job(scene, settings, prefs, blend_path=""):
    """Check everything, then start the CLI in the background; returns a :class:`StripJob`."""
    strip = active_movie_strip(scene)
    if strip is None:
        raise JobError("select a movie strip first (the active strip is not a movie strip)")
    source_path = os.path.abspath(_abs_path(strip.filepath, blend_path))
    if not os.path.isfile(source_path):
        raise JobError("the strip's file {} does not exist; relink the strip".format(source_path))
    if prefs.renderer not in RENDERERS:
        raise JobError("renderer {!r}: use one of {}".format(prefs.renderer, ", ".join(RENDERERS)))
    tag = job_tag(prefs, settings)
    if not tag:
        raise JobError("choose a preset or write an instruction (or set a default preset in the preferences)")
    try:
        rendered = plan_range(strip, scene, settings.use_range, settings.handles)
    except ValueError as exc:
        raise JobError("strip {}: {}".format(strip.name, exc))
    folder = _render_folder(prefs, source_path, blend_path)
    output = unused_path(folder, render_file_name(source_path, tag, rendered))
    env = dict(os.environ)
    if prefs.model_store:
        env["T2VZ_MODEL_STORE"] = os.path.abspath(os.path.expanduser(prefs.model_store))
    try:
        os.makedirs(folder, exist_ok=True)
        process = ActionProcess(command_args(prefs, settings, source_path, rendered, output), cli=prefs.cli,
                                env=env, outputs=[output])
    except (ActionFailed, OSError) as exc:
        raise JobError(str(exc))
    return StripJob(strip.name, rendered, output, tag, process)


def _abs_path(path, blend_path):
    if path.startswith("//"):  # Blender's blend-relative path
        return os.path.join(os.path.dirname(blend_path), path[2:])
    return path


def job_step(scene, job):
    """Read new progress; when the CLI has ended, place the render. Returns RUNNING, FINISHED or FAILED."""
    for event in job.process.poll():
        job.progress.update(event)
    if job.process.running:
        return "RUNNING"
    try:
        done = job.process.result()
    except ActionFailed as exc:  # the CLI failed: it removed its partial files, nothing finished
        job.error = str(exc)
        job.process.remove_outputs()
        return "FAILED"
    try:
        source = _find_strip(scene, job.source_name)
        strip = place_render(scene, source, done["output"], job.rendered.head, job.tag)
    except RuntimeError as exc:  # a finished render Blender would not place: kept, and named (as in Resolve)
        job.error = kept_render_message(str(exc), done["output"])
        return "FAILED"
    strip["t2vz_render"] = done["output"]
    strip["t2vz_source"] = job.source_name
    job.placed_name = strip.name
    return "FINISHED"


def _find_strip(scene, name):
    from .strips import all_strips

    for strip in all_strips(scene.sequence_editor):
        if strip.name == name:
            return strip
    raise RuntimeError("the source strip {} was deleted or renamed while rendering".format(name))


def cancel_job(job):
    """Stop the CLI and remove everything it was writing; nothing is added to the timeline."""
    job.process.cancel()
