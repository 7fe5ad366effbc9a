"""Resolve stays usable while t2vz-edit renders: a UIManager window with progress and a Cancel button.

Resolve runs a script on its UI thread, so a script that waits for the CLI freezes Resolve for
the whole render. Fusion's UIManager, which Resolve hands to scripts (``fusion.UIManager``,
``bmd.UIDispatcher(ui)``), keeps Resolve's UI running inside ``dispatcher.RunLoop()``; a
``ui.Timer`` fires ``Timeout`` events there (to the dispatcher's ``On.Timeout`` handler). Each
tick reads the CLI's new JSON-lines events without waiting (``ActionProcess.poll``), shows the
stage and a bar, and once the CLI has exited places the render. Cancel sends Ctrl-C and
returns at once; later ticks wait for the CLI to exit (``cancel_finished``), which removes
everything it was writing; nothing is added to the timeline. No handler here ever waits.

Standard library only, Python 3.6 compatible.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the shared plugins/ modules
from t2vz_action import ActionFailed, ActionProcess, run_action  # noqa: E402
from t2vz_protocol import ProgressState  # noqa: E402
from t2vz_resolve import ResolveError  # noqa: E402

WINDOW_ID = "t2vzRestyle"
TIMER_ID = "t2vzPoll"
POLL_MS = 200  # how often the window reads the CLI's events
BAR_MAX = 1000  # UIManager has no progress-bar element: a disabled Slider shows the stage's fraction


class ProgressWindow(object):
    """Follows one :class:`t2vz_action.ActionProcess` until it ends, then closes on the user's click.

    ``on_success(done_event)`` places the render and returns a message; an exception of
    ``error_types`` from the CLI or from placing is shown in the window. ``state`` ends as
    ``placed``, ``failed`` or ``cancelled``.
    """

    def __init__(self, ui, dispatcher, title, process, on_success, error_types=(ActionFailed,)):
        self.dispatcher, self.process, self.on_success = dispatcher, process, on_success
        self.error_types = tuple(error_types)
        self.progress = ProgressState()
        self.state, self.message = "running", ""
        self._exit_when_cancelled = False
        self.window = dispatcher.AddWindow(
            {"ID": WINDOW_ID, "WindowTitle": "t2vz-edit", "Geometry": [200, 200, 480, 140]},
            ui.VGroup([ui.Label({"ID": "Title", "Text": title, "WordWrap": True}),
                       ui.Label({"ID": "Status", "Text": "starting t2vz-edit", "WordWrap": True}),
                       ui.Slider({"ID": "Bar", "Minimum": 0, "Maximum": BAR_MAX, "Value": 0, "Enabled": False}),
                       ui.HGroup([ui.Button({"ID": "Cancel", "Text": "Cancel"})])]))
        self.items = self.window.GetItems()
        self.timer = ui.Timer({"ID": TIMER_ID, "Interval": POLL_MS, "SingleShot": False})
        self.window.On[WINDOW_ID].Close = self._on_close
        self.window.On.Cancel.Clicked = self._on_button
        dispatcher.On.Timeout = self._on_timeout

    def run(self):
        """Show the window and run Resolve's UI until the user closes it; returns the final state."""
        self.window.Show()
        self.timer.Start()
        try:
            self.dispatcher.RunLoop()
        finally:
            self.timer.Stop()
            self.window.Hide()
        return self.state

    # --- events (each returns at once) ----------------------------------------------------------

    def _on_timeout(self, ev):
        if self.state == "running":
            self._step()
        elif self.state == "cancelling" and self.process.cancel_finished():
            self._end("cancelled", "cancelled; nothing was written and the timeline is unchanged", 0.0)
            if self._exit_when_cancelled:
                self.dispatcher.ExitLoop()

    def _on_button(self, ev):
        if self.state == "running":
            self._cancel()
        elif self.state in ("placed", "failed", "cancelled"):  # the button reads Close once the run has ended
            self.dispatcher.ExitLoop()

    def _on_close(self, ev):
        if self.state in ("running", "cancelling"):
            self._exit_when_cancelled = True  # never leave the CLI running or its files behind
            if self.state == "running":
                self._cancel()
        else:
            self.dispatcher.ExitLoop()

    # --- states ---------------------------------------------------------------------------------

    def _step(self):
        for event in self.process.poll():
            self.progress.update(event)
        if self.process.running:
            self._show(self.progress.text(), self.progress.fraction)
            return
        self.state = "placing"  # placed once: later ticks (if Resolve queued any) do nothing
        self.timer.Stop()
        try:
            done = self.process.result()
            self._end("placed", self.on_success(done), 1.0)
        except self.error_types as exc:
            self._end("failed", "failed: {}".format(exc), self.progress.fraction)
        finally:
            if self.state == "placing":  # a bug, not a refusal: say so in the window, the console has the trace
                self._end("failed", "failed: unexpected error (see the Console)", self.progress.fraction)

    def _cancel(self):
        self.process.request_cancel()
        self.state = "cancelling"
        self._show("cancelling: waiting for t2vz-edit to stop", self.progress.fraction)
        self.items["Cancel"].Enabled = False

    def _end(self, state, message, fraction):
        self.timer.Stop()
        self.state, self.message = state, message
        self._show(message, fraction)
        self.items["Cancel"].Text = "Close"
        self.items["Cancel"].Enabled = True

    def _show(self, text, fraction):
        value = int(round(fraction * BAR_MAX))
        if self.items["Status"].Text != text:
            self.items["Status"].Text = text
        if self.items["Bar"].Value != value:
            self.items["Bar"].Value = value


def run_job_in_window(fusion, bmd, job, title, cli=None):
    """Start ``job.args`` in the background behind a progress window; ``job.place(path)`` → (where, message)
    puts the result into Resolve. True when it was placed; the outcome is also printed to the Console."""
    process = ActionProcess(job.args, cli=cli, outputs=[job.output])
    try:
        ui = fusion.UIManager
        window = ProgressWindow(ui, bmd.UIDispatcher(ui), title, process, lambda done: job.place(done["output"])[1],
                                error_types=(ActionFailed, ResolveError))
    except BaseException:
        process.cancel()  # no window to follow it: stop the CLI rather than leave it running
        raise
    state = window.run()
    print("t2vz-edit: {}".format(window.message))
    return state == "placed"


def run_resolve_action(plan, title, fusion=None, bmd=None, cli=None):
    """One menu action: ``plan()`` → a job; behind a progress window when Resolve passed ``fusion`` and
    ``bmd`` (``title(job)`` names it), else waiting with progress on the console. True when placed;
    a failure is printed as one line and returns False."""
    try:
        job = plan()
        if fusion is not None and bmd is not None:
            return run_job_in_window(fusion, bmd, job, title(job), cli)
        done = run_action(job.args, cli=cli, on_progress=lambda stage, frames, total: print(
            "t2vz-edit {}: {}/{}".format(stage, frames, total)))
        print("t2vz-edit: {}".format(job.place(done["output"])[1]))
        return True
    except (ActionFailed, ResolveError, ValueError, OSError) as exc:
        print("t2vz-edit failed: {}".format(exc))
        return False
