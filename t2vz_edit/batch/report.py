"""``batch report``: one HTML page a supervisor opens in the morning, built from the journal.

One row per job: a before/after contact sheet (source frames above, render frames below, at the
same positions of the range), quality figures from the render's sidecar, attempts, node,
timing, and the error of a failed job. Sheets go to ``<output>/.t2vz-batch/report/``; the page
(``<output>/report.html`` unless told otherwise) is written atomically.
"""
from __future__ import annotations

import html
import os
from pathlib import Path

import numpy as np

from t2vz_edit.batch.journal import FOLDER, Journal, JobState, replay
from t2vz_edit.spec.errors import InputNotFoundError, T2VZError

SHEET_FRAMES = 4
THUMB_LONG_SIDE = 160


def write_report(output: Path, page: Path | None = None) -> Path:
    """Write the report of the batch in ``output``; returns the page's path."""
    from t2vz_edit.media.atomic import write_text_atomic

    output = Path(output)
    journal = Journal(output)
    if not journal.path.is_file():
        raise InputNotFoundError("has no batch journal (.t2vz-batch/journal.jsonl); give the output folder of "
                                 "a `batch run`", path=output)
    page = Path(page) if page else output / "report.html"
    sheets = output / FOLDER / "report"
    sheets.mkdir(parents=True, exist_ok=True)
    rows = [_row(state, sheets, page.parent) for state in replay(journal.read()).values()]
    write_text_atomic(page, _page(output, rows))
    return page


def _row(state: JobState, sheets: Path, page_dir: Path) -> str:
    sheet = ""
    render = Path(state.output) if state.output else None
    if state.status in ("done", "skipped") and render is not None and render.is_file():
        try:
            path = contact_sheet(Path(state.planned.get("media", "")), render, state.planned.get("start_frame", 0),
                                 sheets / f"{state.key}.png")
            sheet = f'<img src="{html.escape(os.path.relpath(path, page_dir))}" alt="before/after">'
        except T2VZError as exc:
            sheet = f"<em>no sheet: {html.escape(str(exc))}</em>"
    error = (state.error or {}).get("message", "") if state.status == "failed" else ""
    cells = [html.escape(state.source), f'<span class="{state.status}">{state.status}</span>', sheet,
             _quality(render), str(state.attempts), html.escape(state.node), f"{state.seconds:.1f} s",
             html.escape(error)]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _quality(render: Path | None) -> str:
    from t2vz_edit.media.sidecar import read_sidecar

    if render is None or not render.is_file():
        return ""
    try:
        quality = read_sidecar(render).get("provenance", {}).get("quality", {})
    except T2VZError:
        return ""
    return "<br>".join(f"{html.escape(str(k))}: {v:.4g}" if isinstance(v, float) else
                       f"{html.escape(str(k))}: {html.escape(str(v))}" for k, v in sorted(quality.items()))


def contact_sheet(source: Path, render: Path, start_frame: int, out: Path) -> Path:
    """A PNG: ``SHEET_FRAMES`` source frames of the rendered range above the same render frames."""
    from PIL import Image

    from t2vz_edit.media.probe import probe

    info = probe(render)
    picks = np.linspace(0, info.frame_count - 1, min(SHEET_FRAMES, info.frame_count)).round().astype(int)
    before = [_frame(probe(source), start_frame + int(i)) for i in picks] if source.is_file() else []
    after = [_frame(info, int(i)) for i in picks]
    rows = [np.concatenate(r, axis=1) for r in (before, after) if r]
    width = max(r.shape[1] for r in rows)
    sheet = np.concatenate([np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0))) for r in rows], axis=0)
    temp = out.with_name(f".{out.stem}.t2vz-partial{out.suffix}")
    Image.fromarray(sheet).save(temp)
    os.replace(temp, out)
    return out


def _frame(info, index: int) -> np.ndarray:
    from t2vz_edit.media.decode import iter_chunks
    from t2vz_edit.media.ranges import FrameRange

    for chunk in iter_chunks(info, FrameRange(index, index + 1), chunk_frames=1, long_side=THUMB_LONG_SIDE):
        return np.asarray(chunk.frames[0])
    raise T2VZError(f"frame {index} does not decode", path=info.path)


STYLE = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
         "padding:4px;vertical-align:top}.failed{color:#b00;font-weight:bold}.done,.skipped{color:#070}")


def _page(output: Path, rows: list[str]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("clip", "status", "before / after", "quality", "attempts", "node",
                                              "time", "error"))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>batch {html.escape(str(output))}</title>"
            f"<style>{STYLE}</style></head><body><h1>Batch report: {html.escape(str(output))}</h1>"
            f"<table><tr>{head}</tr>{''.join(rows)}</table></body></html>\n")
