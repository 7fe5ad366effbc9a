"""Run a t2vz-edit action from an editor plugin and follow its JSON-lines progress.

Plugins (Blender, Resolve, Premiere/UXP bridges, Nuke, Kdenlive scripts) call the CLI rather than
import the package, so they work with whatever Python the host application embeds. Standard
library only, Python 3.6 compatible. Two ways to run an action:

- :func:`run_action` blocks until the CLI exits (scripts, batch hosts);
- :class:`ActionProcess` never blocks: a host timer calls :meth:`ActionProcess.poll`, and
  :meth:`ActionProcess.cancel` stops the CLI and removes every file the action was to write
  (or, from a host timer, :meth:`ActionProcess.request_cancel` then
  :meth:`ActionProcess.cancel_finished` on each tick, which never wait).

    from t2vz_action import restyle_clip
    out = restyle_clip("/media/A001.mov", preset="watercolor",
                       on_progress=lambda stage, done, total: print(stage, done, total))
"""
import glob
import os
import queue
import shlex
import shutil
import signal
import subprocess
import threading
import time

try:
    from .t2vz_protocol import parse_event  # packaged inside a host extension (Blender)
except ImportError:
    from t2vz_protocol import parse_event  # next to a host script (Resolve, Nuke)

CANCEL_GRACE_SEC = 30.0  # SIGINT lands after the running torch op (seconds on a busy CPU); then kill


class ActionFailed(RuntimeError):
    """The CLI exited non-zero; ``message`` is its one-line error, ``exit_code`` its code."""

    def __init__(self, message, exit_code):
        super(ActionFailed, self).__init__(message)
        self.exit_code = exit_code


def cli_command(configured=None):
    """The command that runs t2vz-edit: ``configured`` (a plugin setting), T2VZ_EDIT_CLI, or PATH.

    Never the host's own Python: Blender's or Resolve's interpreter does not have the package.
    """
    for value in (configured, os.environ.get("T2VZ_EDIT_CLI")):
        if value and value.strip():
            return shlex.split(value)
    exe = shutil.which("t2vz-edit")
    if not exe:
        raise ActionFailed("t2vz-edit is not on PATH; set the t2vz-edit command in the plugin's settings "
                           "(or T2VZ_EDIT_CLI), e.g. /path/to/venv/bin/t2vz-edit", 2)
    return [exe]


def restyle_args(source, preset=None, instruction=None, output=None, frame_range=None, extra=()):
    """Arguments of ``t2vz-edit restyle`` for one clip."""
    args = ["restyle", source]
    for flag, value in (("--preset", preset), ("--instruction", instruction), ("-o", output),
                        ("--range", frame_range)):
        if value:
            args += [flag, value]
    return args + list(extra)


def _stderr_message(lines, code):
    """The CLI's one-line error from its stderr (``error: ...``, or the text of a usage-error box)."""
    for line in reversed(lines):
        if line.startswith("error: "):
            return line[len("error: "):]
    text = [line.strip(" \u2502\u256d\u256e\u2570\u256f\u2500") for line in lines]
    text = [line for line in text if line and line != "Error"]
    return text[-1] if text else "t2vz-edit exited with code {}".format(code)


class ActionProcess(object):
    """One CLI run in the background: ``poll()`` for events, ``cancel()`` to stop it.

    ``outputs`` are the files the action was asked to write; a cancel removes those that did not
    exist before the run, their sidecars and any partial files beside them, so nothing partial
    is left.
    """

    def __init__(self, args, cli=None, env=None, outputs=()):
        self.command = cli_command(cli) + list(args) + ["--progress", "json"]
        # only files that do not exist yet are this run's to remove on cancel
        self.outputs = [os.path.abspath(p) for p in outputs if not os.path.exists(p)]
        self.final = None  # the `done` or `error` event
        self.cancelled = False
        self._kill_at = None  # set by request_cancel: when a CLI that ignores Ctrl-C is killed
        self._queue = queue.Queue()
        self._stderr = []
        kwargs = {"start_new_session": True} if os.name == "posix" else {
            "creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
        self._proc = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      universal_newlines=True, env=env, **kwargs)
        self._readers = [threading.Thread(target=self._read_stdout, daemon=True),
                         threading.Thread(target=self._read_stderr, daemon=True)]
        for reader in self._readers:
            reader.start()

    def _read_stdout(self):
        for line in self._proc.stdout:
            try:
                event = parse_event(line)
            except ValueError as exc:  # ProtocolError: a newer CLI than this plugin
                event = {"event": "error", "message": str(exc), "exit_code": 2}
            if event is not None:
                self._queue.put(event)

    def _read_stderr(self):
        for line in self._proc.stderr:
            self._stderr.append(line.rstrip("\n"))

    def poll(self):
        """Events that arrived since the last call (never blocks)."""
        events = []
        while True:
            try:
                event = self._queue.get_nowait()
            except queue.Empty:
                return events
            if event["event"] in ("done", "error"):
                self.final = event
            events.append(event)

    @property
    def running(self):
        """True while the CLI runs or its output has not been read to the end."""
        return self._proc.poll() is None or any(r.is_alive() for r in self._readers) or not self._queue.empty()

    @property
    def returncode(self):
        """The CLI's exit code, None while it runs."""
        return self._proc.poll()

    def result(self):
        """After the run: the ``done`` event, or ActionFailed with the CLI's one-line error."""
        code = self._proc.wait()
        for reader in self._readers:
            reader.join()
        self.poll()
        if self.cancelled:
            raise ActionFailed("cancelled; nothing was written", 130)
        final = self.final or {}
        if code != 0 or final.get("event") != "done":
            message = final.get("message") or _stderr_message(self._stderr, code)
            raise ActionFailed(message, code or 1)
        return final

    def wait(self, on_event=None, interval_sec=0.1):
        """Block until the run ends, passing each event to ``on_event``; returns :meth:`result`."""
        while self.running:
            for event in self.poll():
                if on_event:
                    on_event(event)
            self._proc_wait(interval_sec)
        for event in self.poll():
            if on_event:
                on_event(event)
        return self.result()

    def _proc_wait(self, timeout):
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass

    def cancel(self, grace_sec=CANCEL_GRACE_SEC):
        """Stop the CLI (Ctrl-C, then kill) and remove everything it was to write."""
        self.request_cancel(grace_sec)
        while not self.cancel_finished():
            self._proc_wait(0.1)

    def request_cancel(self, grace_sec=CANCEL_GRACE_SEC):
        """Ask the CLI to stop (Ctrl-C) and return at once; :meth:`cancel_finished` completes the cancel."""
        if not self.cancelled:
            self.cancelled = True
            self._kill_at = time.time() + grace_sec
            if self._proc.poll() is None:
                self._interrupt()

    def cancel_finished(self):
        """After :meth:`request_cancel`, never waiting: False while the CLI still runs (it is killed once the
        grace period is over); True once it has exited and everything it was to write is removed."""
        if self._proc.poll() is None:
            if time.time() < self._kill_at:
                return False
            self._proc.kill()
            self._proc.wait()
        for reader in self._readers:
            reader.join()
        self.remove_outputs()
        return True

    def _interrupt(self):
        if os.name == "posix":
            os.killpg(self._proc.pid, signal.SIGINT)  # the CLI's own group: it and any workers it started
        else:
            self._proc.send_signal(signal.CTRL_BREAK_EVENT)

    def remove_outputs(self):
        """Remove the declared outputs, their sidecars and partial files (names only this run used)."""
        for out in self.outputs:
            stem, ext = os.path.splitext(os.path.basename(out))
            partials = glob.glob(os.path.join(glob.escape(os.path.dirname(out)),
                                              ".{}.t2vz-partial-*{}".format(glob.escape(stem), ext)))
            for path in [out, out + ".json"] + partials:
                if os.path.isdir(path):
                    shutil.rmtree(path, ignore_errors=True)
                elif os.path.exists(path):
                    os.remove(path)


def kept_render_message(reason, render_path):
    """The error for a finished render that the host refused to place: the render is kept (it took minutes to
    make), and the message names it so it can be placed by hand. Every plugin says this the same way.

    >>> kept_render_message("no free channel", "/r/A.mov")
    'no free channel; the render is kept at /r/A.mov (place it by hand)'
    """
    return "{}; the render is kept at {} (place it by hand)".format(reason, render_path)


def run_action(args, on_progress=None, cli=None, env=None):
    """Run ``t2vz-edit ARGS --progress json`` to the end; returns the final ``done`` event."""
    def on_event(event):
        if event["event"] == "progress" and on_progress:
            on_progress(event["stage"], event["done"], event["total"])
    return ActionProcess(args, cli=cli, env=env).wait(on_event)


def restyle_clip(path, preset=None, instruction=None, output=None, frame_range=None, extra=(),
                 on_progress=None, cli=None):
    """The "restyle this clip" action: returns the render's absolute path."""
    args = restyle_args(path, preset, instruction, output, frame_range, extra)
    return run_action(args, on_progress, cli=cli)["output"]
