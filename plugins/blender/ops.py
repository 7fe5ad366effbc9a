"""The "Restyle Strip" operator: modal in the UI (timer + Esc), blocking in background mode."""
import time

import bpy

from .job import JobError, cancel_job, job_step, start_job
from .strips import active_movie_strip

_running = {"job": None, "cancel": False}  # one job at a time; the panel shows its progress


def addon_prefs(context):
    """This extension's preferences (``__package__`` is its module name, e.g. bl_ext.user_default.t2vz_vse)."""
    return context.preferences.addons[__package__].preferences


def running_job():
    """The job in progress, or None."""
    return _running["job"]


class T2VZ_OT_restyle_strip(bpy.types.Operator):
    """Restyle the active movie strip with t2vz-edit and add the render above it"""

    bl_idname = "t2vz.restyle_strip"
    bl_label = "Restyle Strip"
    bl_options = {"REGISTER"}

    _timer = None

    @classmethod
    def poll(cls, context):
        return _running["job"] is None and context.scene is not None and active_movie_strip(context.scene) is not None

    def _start(self, context):
        settings = context.scene.t2vz
        try:
            job = start_job(context.scene, settings, addon_prefs(context), bpy.data.filepath)
        except JobError as exc:
            self.report({"ERROR"}, str(exc))
            return None
        _running.update(job=job, cancel=False)
        return job

    def execute(self, context):  # background mode (no event loop): run to the end
        job = self._start(context)
        if job is None:
            return {"CANCELLED"}
        state = job_step(context.scene, job)
        while state == "RUNNING":
            time.sleep(0.1)
            state = job_step(context.scene, job)
        return self._finish(context, job, state)

    def invoke(self, context, event):
        if context.window is None:
            return self.execute(context)
        job = self._start(context)
        if job is None:
            return {"CANCELLED"}
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.25, window=context.window)
        wm.modal_handler_add(self)
        wm.progress_begin(0, 1000)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        job = _running["job"]
        if event.type == "ESC" or _running["cancel"]:
            cancel_job(job)
            self.report({"WARNING"}, "t2vz-edit: cancelled; nothing was written")
            return self._finish(context, job, "CANCELLED")
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        state = job_step(context.scene, job)
        if state == "RUNNING":
            context.window_manager.progress_update(int(job.progress.fraction * 1000))
            _status(context, "t2vz-edit {}: {}  (Esc cancels)".format(job.tag, job.progress.text()))
            return {"RUNNING_MODAL"}
        return self._finish(context, job, state)

    def _finish(self, context, job, state):
        _running.update(job=None, cancel=False)
        if self._timer is not None:
            context.window_manager.event_timer_remove(self._timer)
            context.window_manager.progress_end()
            _status(context, None)
        if state == "FAILED":
            self.report({"ERROR"}, "t2vz-edit: {}".format(job.error))
            return {"CANCELLED"}
        if state == "FINISHED":
            self.report({"INFO"}, "t2vz-edit: added {} above {}".format(job.placed_name, job.source_name))
            return {"FINISHED"}
        return {"CANCELLED"}


class T2VZ_OT_cancel(bpy.types.Operator):
    """Stop the running restyle; nothing partial is left"""

    bl_idname = "t2vz.cancel"
    bl_label = "Cancel Restyle"

    @classmethod
    def poll(cls, context):
        return _running["job"] is not None

    def execute(self, context):
        _running["cancel"] = True
        return {"FINISHED"}


def _status(context, text):
    workspace = getattr(context, "workspace", None)
    if workspace is not None:
        workspace.status_text_set(text)


CLASSES = (T2VZ_OT_restyle_strip, T2VZ_OT_cancel)
