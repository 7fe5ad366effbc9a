"""Read a batch instruction file (``batch.toml`` or a CSV) into plain job entries; nothing is probed yet.

TOML (``version = 1``)::

    version = 1
    root = "footage"          # relative to this file
    output = "renders"        # relative to this file
    [defaults]
    preset = "watercolor"     # any restyle setting: preset, instruction, prompt, controls, model, steps, ...
    [[job]]
    glob = "day1/*.mov"       # or files = ["a.mov", "b.mov"], relative to root
    range = "0+48"            # optional, same syntax as `restyle --range`
    instruction = "make it snowy"   # overrides [defaults] for this job

CSV (a header line ``file,preset,instruction,range``; root is the CSV's folder, output
``<csv stem>-renders`` beside it unless ``--output`` says otherwise).

Problems are collected, not raised: planning (:func:`t2vz_edit.batch.plan.plan_batch`) adds its
own and raises them all together (:class:`BatchFileError`, one line per problem) before
anything is loaded or rendered.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "b.toml").write_text('version = 1\\nroot = "."\\noutput = "out"\\n[[job]]\\nglob = "*.mov"\\nsteps = 4\\n')
>>> batch = read_batch_file(folder / "b.toml")
>>> batch.entries[0].glob, batch.entries[0].settings, batch.output == folder / "out"
('*.mov', {'steps': 4}, True)
"""
from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from t2vz_edit.spec.edit_spec import EditSpec
from t2vz_edit.spec.errors import InputNotFoundError, UsageError

VERSION = 1
CSV_COLUMNS = ("file", "preset", "instruction", "range")
JOB_KEYS = ("glob", "files", "range")
SETTINGS = ("preset", *(f.name for f in fields(EditSpec)))


class BatchFileError(UsageError):
    """Everything wrong with a batch file; ``problems`` holds one line per problem."""

    def __init__(self, path: Path, problems: list[str]):
        self.problems = list(problems)
        more = f" (and {len(problems) - 1} more, one per line above)" if len(problems) > 1 else ""
        super().__init__(f"batch file has {len(problems)} problem(s); first: {problems[0]}{more}", path=path)


@dataclass(frozen=True)
class JobEntry:
    """One ``[[job]]`` table or CSV row as written; ``settings`` = defaults merged with its overrides."""

    where: str  # "[[job]] 2" or "row 3": for messages
    glob: str | None = None
    files: tuple[str, ...] = ()
    range: str | None = None
    settings: dict = field(default_factory=dict)


@dataclass(frozen=True)
class BatchFile:
    path: Path
    root: Path
    output: Path
    entries: tuple[JobEntry, ...]
    problems: tuple[str, ...] = ()  # found while reading; planning adds its own and raises them all


def read_batch_file(path: str | Path, output: str | Path | None = None) -> BatchFile:
    """Parse ``path`` (TOML or CSV); ``output`` overrides the file's output folder."""
    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError("batch file not found; give a batch.toml or a .csv list", path=path)
    problems: list[str] = []
    reader = _read_csv if path.suffix.lower() == ".csv" else _read_toml
    root, out, entries = reader(path, problems)
    if output is not None:
        out = Path(output)
    return BatchFile(path, root, out, tuple(entries), tuple(problems))


def _read_toml(path: Path, problems: list[str]):
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"is not valid TOML ({exc}); fix the syntax", path=path) from None
    if data.get("version") != VERSION:
        problems.append(f"version = {data.get('version')!r}: this tool reads version = {VERSION}")
    unknown = sorted(set(data) - {"version", "root", "output", "defaults", "job"})
    if unknown:
        problems.append(f"unknown top-level key(s) {', '.join(unknown)}; allowed: version, root, output, "
                        "[defaults], [[job]]")
    root = _folder(path, data.get("root", "."), "root", problems)
    out = _folder(path, data.get("output"), "output", problems)
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        problems.append("[defaults] must be a table")
        defaults = {}
    _check_settings("[defaults]", defaults, problems)
    jobs = data.get("job", [])
    if not isinstance(jobs, list) or not jobs:
        problems.append("no [[job]] tables; add at least one with glob = \"...\" or files = [...]")
        jobs = []
    return root, out, [_entry(f"[[job]] {i}", job, defaults, problems) for i, job in enumerate(jobs, 1)]


def _folder(path: Path, value, key: str, problems: list[str]) -> Path:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{key} = {value!r}: give a folder path relative to the batch file")
        return path.parent
    return (path.parent / value).absolute()


def _check_settings(where: str, table: dict, problems: list[str]) -> None:
    unknown = sorted(set(table) - set(SETTINGS) - set(JOB_KEYS))
    if unknown:
        problems.append(f"{where}: unknown setting(s) {', '.join(unknown)}; allowed: glob, files, range, "
                        f"{', '.join(SETTINGS)}")


def _entry(where: str, job, defaults: dict, problems: list[str]) -> JobEntry:
    if not isinstance(job, dict):
        problems.append(f"{where}: must be a table")
        return JobEntry(where)
    _check_settings(where, job, problems)
    glob, files = job.get("glob"), job.get("files", ())
    if isinstance(files, str):
        files = (files,)
    if (glob is None) == (not files):
        problems.append(f"{where}: give exactly one of glob = \"...\" or files = [...]")
    if glob is not None and not isinstance(glob, str):
        problems.append(f"{where}: glob must be a string, got {glob!r}")
        glob = None
    if "range" in defaults:
        problems.append("[defaults]: range is per job; put it in the [[job]] tables")
    settings = {k: v for k, v in {**defaults, **job}.items() if k in SETTINGS}
    rng = job.get("range")
    return JobEntry(where, glob, tuple(str(f) for f in files), None if rng is None else str(rng), settings)


def _read_csv(path: Path, problems: list[str]):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns = set(rows[0]) if rows else set()
    if not rows or "file" not in columns:
        raise UsageError(f"needs a header line {','.join(CSV_COLUMNS)} and at least one row", path=path)
    extra = sorted(columns - set(CSV_COLUMNS) - set(SETTINGS))
    if extra:
        problems.append(f"unknown column(s) {', '.join(extra)}; allowed: {', '.join(CSV_COLUMNS)} and restyle settings")
    entries = []
    for number, row in enumerate(rows, 2):  # line 1 is the header
        values = {k: (v or "").strip() for k, v in row.items() if k in columns and k not in extra}
        if not values.get("file"):
            problems.append(f"row {number}: empty file")
            continue
        settings = {k: _csv_value(v) for k, v in values.items() if k in SETTINGS and v}
        entries.append(JobEntry(f"row {number}", None, (values["file"],), values.get("range") or None, settings))
    return path.parent.absolute(), path.with_name(f"{path.stem}-renders").absolute(), entries


def _csv_value(text: str):
    """CSV cells are text; whole numbers become ints so `steps`/`seed` columns work."""
    try:
        return int(text)
    except ValueError:
        return text
