"""Read the t2vz-edit JSON-lines plugin protocol (the contract is plugins/README.md).

Standard library only and Python 3.6 compatible: this file runs inside host applications
(Blender, Resolve, Nuke) whose embedded Python we do not choose.

>>> event = parse_event('{"event": "progress", "v": 1, "time": 10.0, "stage": "engine", "done": 3, "total": 12}')
>>> state = ProgressState()
>>> state.update(event)
>>> state.text(), state.fraction
('engine 3/12', 0.25)
>>> parse_event("Some library printed this") is None
True
"""
import json

PROTOCOL_VERSION = 1  # the newest protocol version this reader understands
EVENTS = ("progress", "done", "error")


class ProtocolError(ValueError):
    """A line is a t2vz event this reader cannot follow (a newer protocol version)."""


def parse_event(line):
    """The event dict a line carries, or None for a line that is not a t2vz event.

    Libraries sometimes print to stdout; only JSON objects with a known ``event`` count.
    Lines without ``v`` come from CLIs older than version 1 and are read as version 0.
    """
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get("event") not in EVENTS:
        return None
    version = event.get("v", 0)
    if not isinstance(version, int) or version > PROTOCOL_VERSION:
        raise ProtocolError("t2vz-edit speaks plugin protocol v{} but this plugin reads up to v{}; "
                            "update the plugin".format(version, PROTOCOL_VERSION))
    return event


class ProgressState(object):
    """The latest progress of a running action: stage, frames done/total, and an ETA from timestamps."""

    def __init__(self):
        self.stage = ""
        self.done = 0
        self.total = 0
        self._stage_started = None  # (time, done) when the current stage was first seen
        self.eta_sec = None

    @property
    def fraction(self):
        """Progress of the current stage in 0..1 (0 while the total is unknown)."""
        return min(1.0, float(self.done) / self.total) if self.total else 0.0

    def update(self, event):
        """Take a ``progress`` event (other events are ignored)."""
        if event.get("event") != "progress":
            return
        now = event.get("time")
        if event["stage"] != self.stage:
            self._stage_started = (now, event["done"])
            self.eta_sec = None
        self.stage, self.done, self.total = event["stage"], int(event["done"]), int(event["total"])
        self.eta_sec = self._eta(now)

    def _eta(self, now):
        if now is None or self._stage_started is None or self._stage_started[0] is None:
            return None
        elapsed = now - self._stage_started[0]
        frames = self.done - self._stage_started[1]
        if elapsed <= 0 or frames <= 0 or not self.total:
            return None
        return (self.total - self.done) * elapsed / frames

    def text(self):
        """A one-line status such as ``engine 12/48 (ETA 30s)``."""
        if not self.stage:
            return "starting"
        text = "{} {}/{}".format(self.stage, self.done, self.total)
        if self.eta_sec is not None:
            text += " (ETA {:.0f}s)".format(self.eta_sec)
        return text
