"""`t2vz-edit batch plan|run|status|report`: instruction files over footage folders (see docs/batch.md)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from t2vz_edit.cli import runner_options
from t2vz_edit.cli.options import EDIT, MODELS, OUTPUT, RenderOptions, render_command
from t2vz_edit.cli.progress_display import emit_json, progress_display, progress_option

batch_app = typer.Typer(help="Queue restyles over folders of footage; resume, farm out with Ray, report.",
                        no_args_is_help=True)

FILE_ARG = typer.Argument(..., help="batch.toml (version = 1) or a CSV list (file,preset,instruction,range).")
OUTPUT_OPT = typer.Option(None, "--output", help="Output folder (default: the file's `output`; CSV: <name>-renders).")


def _plan(file: Path, output: Optional[Path], renderer: str, opts: RenderOptions | None):
    from t2vz_edit.batch.instructions import BatchFileError, read_batch_file
    from t2vz_edit.batch.plan import plan_batch
    from t2vz_edit.pipeline.render_job import RenderSettings

    runner_options.renderer_factory(renderer)  # an unknown renderer fails before the batch file is read
    try:
        overrides = opts.spec_overrides() if opts is not None else {}
        if opts is not None and opts.preset:
            overrides["preset"] = opts.preset
        settings = RenderSettings(opts.codec, opts.crf, opts.preview, opts.audio) if opts is not None \
            else RenderSettings()
        if opts is not None:
            opts.check_output()
        return plan_batch(read_batch_file(file, output), check_models=renderer == "restyle", overrides=overrides,
                          offline=opts.offline if opts is not None else None, tiny=bool(opts and opts.tiny),
                          settings=settings)
    except BatchFileError as exc:
        for problem in exc.problems:  # one line per problem, then the one-line summary
            typer.echo(f"  {problem}", err=True)
        raise


@batch_app.command()
@render_command(*EDIT, "codec")
def plan(file: Path = FILE_ARG, output: Optional[Path] = OUTPUT_OPT, renderer: str = runner_options.RENDERER,
         as_json: bool = typer.Option(False, "--json", help="Print JSON."), opts: RenderOptions = None) -> None:
    """Validate the file and show what would be rendered (clips, frames, models, frame-steps).

    Edit settings given here apply to every job, over the file's own."""
    result = _plan(file, output, renderer, opts)
    rows = [{"source": j.source, "range": f"{j.request.start_frame}-{j.request.stop_frame}",
             "frames": j.request.frame_count, "model": j.request.spec.resolved_model,
             "controls": [c.kind for c in j.request.spec.controls], "steps": j.request.spec.resolved_steps,
             "frame_steps": j.frame_steps, "key": j.key, "output": str(j.request.out_path)} for j in result.jobs]
    if as_json:
        typer.echo(json.dumps({"output": str(result.batch.output), "jobs": rows}, indent=2))
        return
    for r in rows:
        typer.echo(f"  {r['source']:<32} {r['range']:>11} {r['frames']:>6} fr  {r['model']}"
                   f"{'+' + ','.join(r['controls']) if r['controls'] else ''}  {r['frame_steps']} frame-steps")
    models = {(r["model"], tuple(r["controls"])) for r in rows}
    typer.echo(f"{len(rows)} clips, {sum(r['frames'] for r in rows)} frames, {len(models)} model set(s), "
               f"{sum(r['frame_steps'] for r in rows)} frame-steps -> {result.batch.output}")


@batch_app.command()
@render_command(*EDIT, *OUTPUT, "audio", *MODELS)
def run(file: Path = FILE_ARG, output: Optional[Path] = OUTPUT_OPT,
        runner: str = runner_options.RUNNER, ray_address: Optional[str] = runner_options.RAY_ADDRESS,
        ray_resource: str = runner_options.RAY_RESOURCE, workers: Optional[int] = runner_options.WORKERS,
        max_attempts: int = typer.Option(2, "--max-attempts", help="Tries per job for retryable failures (usage errors: one)."),
        renderer: str = runner_options.RENDERER, progress: str = progress_option, opts: RenderOptions = None) -> None:
    """Render every job that has no valid render yet, journaling as it goes (resumable).

    Exit 0 when every job is done, 3 when some failed, 1 when none finished."""
    from t2vz_edit.batch.run import run_batch
    from t2vz_edit.spec.errors import UsageError

    if max_attempts < 1:
        raise UsageError(f"--max-attempts {max_attempts}: must be 1 or more")
    planned = _plan(file, output, renderer, opts)
    if opts.tiny:
        from t2vz_edit.pipeline.tiny_models import WARNING

        typer.secho(WARNING, fg="yellow", err=True)
    chosen = runner_options.make_runner(runner, renderer, ray_address, ray_resource, workers)
    notify = (lambda event: emit_json("job", **{("status" if k == "event" else k): v for k, v in event.items()})) \
        if progress == "json" else None
    try:
        with progress_display(progress) as display:
            if renderer == "restyle" and runner == "local":  # every model of every job, before the first
                from t2vz_edit.pipeline.model_plan import ensure_models

                ensure_models([r.spec for r in planned.requests], offline=opts.offline, progress=display.callback)
            result = run_batch(planned, chosen, max_attempts=max_attempts, force=opts.overwrite,
                               progress=display.callback, notify=notify)
    finally:
        getattr(chosen, "close", lambda: None)()
    _finish(result, progress)


def _finish(result, progress: str) -> None:
    from t2vz_edit.spec.errors import PartialFailure, T2VZError

    total, failed = len(result.states), result.failed
    if progress == "json":
        emit_json("done", output=str(result.output), jobs=total, failed=len(failed))
    else:
        typer.echo(f"{total - len(failed)} of {total} jobs done -> {result.output}")
    if not failed:
        return
    lines = "; ".join(f"{s.source}: {(s.error or {}).get('message', '?')}" for s in failed)
    if len(failed) == total:
        raise T2VZError(f"no job of the batch finished: {lines}", path=result.output)
    raise PartialFailure(f"{len(failed)} of {total} jobs failed (see `t2vz-edit batch status`): {lines}")


@batch_app.command()
def status(output: Path = typer.Argument(..., help="The batch's output folder."),
           as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Where each job of a batch stands, read from its journal."""
    from t2vz_edit.batch.journal import Journal, replay
    from t2vz_edit.spec.errors import InputNotFoundError

    journal = Journal(output)
    if not journal.path.is_file():
        raise InputNotFoundError("has no batch journal (.t2vz-batch/journal.jsonl); give the output folder "
                                 "of a `batch run`", path=output)
    states = replay(journal.read())
    if as_json:
        typer.echo(json.dumps([vars(s) for s in states.values()], indent=2, default=str))
        return
    counts: dict[str, int] = {}
    for s in states.values():
        counts[s.status] = counts.get(s.status, 0) + 1
        error = (s.error or {}).get("message", "")
        typer.echo(f"  {s.status:<8} {s.source:<32} attempts {s.attempts}  {s.node}  {error or s.output}")
    typer.echo(", ".join(f"{n} {k}" for k, n in sorted(counts.items())))


@batch_app.command()
def report(output: Path = typer.Argument(..., help="The batch's output folder."),
           page: Optional[Path] = typer.Option(None, "-o", "--page", help="HTML page to write (default: OUTPUT/report.html).")) -> None:
    """Write an HTML page: one row per job with a before/after contact sheet, quality, timing, errors."""
    from t2vz_edit.batch.report import write_report

    typer.echo(f"wrote {write_report(output, page)}")


def register(app: typer.Typer) -> None:
    """Add the ``batch`` command group."""
    app.add_typer(batch_app, name="batch")
