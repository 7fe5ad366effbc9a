"""The batch journal: ``<output>/.t2vz-batch/journal.jsonl``, append-only, written by the driver only.

One JSON object per line, each fsync'd before the next step: ``{"v": "t2vz.batch-journal.1",
"event": "planned|started|done|failed|skipped", "key": ..., "attempt": ..., "node": ...,
"output": ..., "error": {...}}``. The state of every job is rebuilt by replaying the lines; a
last line cut short by a crash is ignored (and cut off before the next append), a damaged line
elsewhere is an error naming its line number.

>>> import tempfile, pathlib
>>> journal = Journal(pathlib.Path(tempfile.mkdtemp()))
>>> journal.append("planned", "k1", source="a.mov")
>>> journal.append("started", "k1", attempt=1, node="local")
>>> with open(journal.path, "a") as f: _ = f.write('{"v": "t2vz.batch-journal.1", "event": "do')
>>> states = replay(journal.read())
>>> states["k1"].status, states["k1"].attempts
('started', 1)
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from t2vz_edit.spec.errors import UsageError

SCHEMA = "t2vz.batch-journal.1"
EVENTS = ("planned", "started", "done", "failed", "skipped")
FOLDER = ".t2vz-batch"


class JournalError(UsageError):
    """The journal cannot be read (damaged line, newer schema)."""


@dataclass
class JobState:
    key: str
    status: str = "planned"
    source: str = ""
    output: str = ""
    attempts: int = 0  # attempts started, over all runs
    node: str = ""
    seconds: float = 0.0
    error: dict | None = None
    planned: dict = field(default_factory=dict)  # the planned event's fields


class Journal:
    """Append and read the journal of one output folder."""

    def __init__(self, output: Path):
        self.path = Path(output) / FOLDER / "journal.jsonl"
        self._checked = False

    def append(self, event: str, key: str, **fields) -> None:
        if event not in EVENTS:
            raise ValueError(f"journal event {event!r} is not one of {EVENTS}")
        if not self._checked:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _cut_partial_tail(self.path)
            self._checked = True
        line = json.dumps({"v": SCHEMA, "t": round(time.time(), 3), "event": event, "key": key, **fields},
                          default=str, sort_keys=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def read(self) -> list[dict]:
        """Every complete event; a truncated last line is ignored."""
        if not self.path.is_file():
            return []
        lines = self.path.read_text(encoding="utf-8", errors="replace").split("\n")
        events = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                if number == len(lines):  # no newline after it: the write was cut short
                    break
                raise JournalError(f"line {number} is damaged; restore the journal or move it away to start "
                                   "over (finished renders are still recognised by their sidecars)",
                                   path=self.path) from None
            if event.get("v") != SCHEMA:
                raise JournalError(f"line {number} has schema {event.get('v')!r}; this version reads {SCHEMA}",
                                   path=self.path)
            events.append(event)
        return events


def _cut_partial_tail(path: Path) -> None:
    """Drop a last line without its newline (a crash mid-write) so the next line starts clean."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    data = path.read_bytes()
    if data.endswith(b"\n"):
        return
    with open(path, "r+b") as handle:
        handle.truncate(data.rfind(b"\n") + 1)
        handle.flush()
        os.fsync(handle.fileno())


def replay(events: list[dict]) -> dict[str, JobState]:
    """render key -> the job's state after every event, in order."""
    states: dict[str, JobState] = {}
    for event in events:
        key = event["key"]
        state = states.setdefault(key, JobState(key))
        kind = event["event"]
        if kind == "planned":
            state.planned = {k: v for k, v in event.items() if k not in ("v", "t", "event", "key")}
            state.source = event.get("source", state.source)
            state.output = event.get("output", state.output)
            if state.status not in ("done", "failed", "skipped"):
                state.status = "planned"
            continue
        state.status = kind
        state.node = event.get("node", state.node)
        state.output = event.get("output", state.output)
        if kind == "started":
            state.attempts += 1
            state.error = None
        elif kind == "done":
            state.seconds = event.get("seconds", 0.0)
        elif kind == "failed":
            state.error = event.get("error")
    return states
