"""`t2vz-edit timeline inspect|restyle`: round-trip NLE timelines (see docs/timeline.md)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from t2vz_edit.cli import runner_options
from t2vz_edit.cli.progress_display import emit_json, progress_display, progress_option
from t2vz_edit.cli.options import EDIT, MODELS, OUTPUT, RenderOptions, render_command

timeline_app = typer.Typer(help="Read NLE timelines and put restyled clips back on them.", no_args_is_help=True)


def _read(file: Path, fmt: Optional[str], rate: Optional[str], sequence: Optional[str]):
    from fractions import Fraction

    from t2vz_edit.spec.errors import UsageError
    from t2vz_edit.timeline.read import read_timeline

    try:
        asked = None if rate is None else Fraction(rate)
    except (ValueError, ZeroDivisionError):
        raise UsageError(f"--rate {rate!r}: give a number or fraction, e.g. 25, 23.976 or 30000/1001") from None
    return read_timeline(file, fmt=fmt, rate=asked, sequence=sequence)


@timeline_app.command()
def inspect(file: Path = typer.Argument(..., help="Timeline file (.otio, .edl, .xml, .fcpxml, .aaf)."),
            fmt: Optional[str] = typer.Option(None, "--format", help="Format when the suffix does not say."),
            rate: Optional[str] = typer.Option(None, "--rate", help="Frame rate of an EDL (default: the rate of its media)."),
            sequence: Optional[str] = typer.Option(None, "--sequence", help="Timeline name in a multi-sequence file."),
            as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show tracks, clips, rate and start timecode of a timeline."""
    from t2vz_edit.timeline.read import describe

    info = describe(_read(file, fmt, rate, sequence))
    if as_json:
        typer.echo(json.dumps(info, indent=2))
        return
    typer.echo(f"{info['name']} ({info['format']}): {info['rate']} fps{' DF' if info['drop_frame'] else ''}, "
               f"starts {info['start_timecode']}, {info['duration_frames']} frames")
    for t in info["tracks"]:
        typer.echo(f"  track {t['index']} {t['kind']} {t['name']!r}: {t['clips']} clips, {t['gaps']} gaps, "
                   f"{t['transitions']} transitions")
    for c in info["clips"]:
        typer.echo(f"    {c['track']:<8} {c['name']:<24} {c['record_in']}-{c['record_out']} "
                   f"src {c['source_in']} ({c['frames']} fr) {c['media']} {' '.join(c['markers'])}")


@timeline_app.command()
@render_command(*EDIT, *OUTPUT, "audio", *MODELS)
def restyle(file: Path = typer.Argument(..., help="Timeline to read (never written)."),
            output: Path = typer.Option(..., "-o", "--output", help="Timeline to write; format from its suffix."),
            marker: bool = typer.Option(False, "--marker", help="Clips with a 'restyle: ...' marker."),
            name: Optional[str] = typer.Option(None, "--name", help="Clips whose name matches PATTERN (* ?)."),
            track: Optional[str] = typer.Option(None, "--track", help="Clips on video track N (V1 = 1) or named N."),
            metadata: Optional[str] = typer.Option(None, "--metadata", help="Clips whose metadata KEY=VALUE (dotted key)."),
            all_clips: bool = typer.Option(False, "--all", help="Every video clip."),
            handles: int = typer.Option(0, "--handles", help="Extra source frames rendered before and after each clip."),
            search_path: List[Path] = typer.Option([], "--search-path", help="Folder to look for moved media (repeatable)."),
            remap: List[str] = typer.Option([], "--remap", help="Path prefix FROM=TO for moved media (repeatable)."),
            mode: str = typer.Option("track", "--mode", help="track: renders on a new top track; reference: alternate media reference (.otio)."),
            active: str = typer.Option("restyle", "--active", help="reference mode: active reference, restyle or original."),
            render_dir: Optional[Path] = typer.Option(None, "--render-dir", help="Where renders go (default: OUTPUT folder/renders)."),
            renderer: str = runner_options.RENDERER,
            out_format: Optional[str] = typer.Option(None, "--output-format", help="Output format when the suffix does not say."),
            fmt: Optional[str] = typer.Option(None, "--format", help="Input format when the suffix does not say."),
            rate: Optional[str] = typer.Option(None, "--rate", help="Frame rate of an EDL (default: the rate of its media)."),
            sequence: Optional[str] = typer.Option(None, "--sequence", help="Timeline name in a multi-sequence file."),
            progress: str = progress_option,
            runner: str = runner_options.RUNNER, ray_address: Optional[str] = runner_options.RAY_ADDRESS,
            ray_resource: str = runner_options.RAY_RESOURCE, workers: Optional[int] = runner_options.WORKERS,
            opts: RenderOptions = None) -> None:
    """Restyle the selected clips (marker text, or --preset/--instruction/--prompt) and write the timeline back.

    The edit settings apply to every clip's spec. Renders (<clip>.<preset>.<first>-<last>.mov) are
    placed in the timeline; one whose sidecar matches is reused unless --overwrite."""
    from t2vz_edit.spec.errors import PartialFailure, UsageError
    from t2vz_edit.timeline.jobs import Where
    from t2vz_edit.timeline.media_paths import Remap
    from t2vz_edit.timeline.roundtrip import Options, restyle_timeline
    from t2vz_edit.timeline.selection import Criteria
    from t2vz_edit.timeline.specs import spec_resolver

    factory = runner_options.renderer_factory(renderer)
    if active not in ("restyle", "original"):
        raise UsageError(f"--active {active!r}: use restyle or original")
    criteria = Criteria(marker, name, track, metadata, all_clips).check()
    where = Where(file, render_dir or output.parent / "renders", tuple(search_path), tuple(Remap.parse(r) for r in remap))
    opts.check_output()
    options = Options(criteria, output, where, out_format, mode, handles, opts.overwrite, opts.overwrite,
                      active == "restyle", codec=opts.codec, crf=opts.crf, preview=opts.preview,
                      audio=opts.audio)
    overrides = opts.spec_overrides()
    specs = spec_resolver(opts.preset, overrides.pop("instruction", None), overrides)
    if opts.tiny:
        specs = _tiny(specs)
    read = _read(file, fmt, rate, sequence)
    chosen = runner_options.make_runner(runner, renderer, ray_address, ray_resource, workers) \
        if runner != "local" else None
    try:
        with progress_display(progress) as display:
            report = restyle_timeline(read, options, specs, None if chosen else factory(),
                                      display.callback, runner=chosen,
                                      prepare=_models_stage(renderer, chosen, opts, display.callback))
    except PartialFailure as exc:
        _summary(exc.report, progress)
        raise
    finally:
        getattr(chosen, "close", lambda: None)()
    _summary(report, progress)


def _tiny(spec_for):
    """Every clip's spec on tiny random-weight models (``--tiny``), said once on the terminal."""
    from t2vz_edit.pipeline.tiny_models import WARNING, tiny_spec

    typer.secho(WARNING, fg="yellow", err=True)

    def tiny_for(text):
        spec, picked = spec_for(text)
        return tiny_spec(spec), picked

    return tiny_for


def _models_stage(renderer: str, runner, opts: RenderOptions, progress):
    """Before the first render: every model of every clip checked (offline) or fetched, in one go.
    Farm runs (Ray) load on their nodes, from the nodes' stores."""
    if renderer != "restyle" or runner is not None:
        return None
    from t2vz_edit.pipeline.model_plan import ensure_models

    return lambda requests: ensure_models([r.spec for r in requests], offline=opts.offline, progress=progress)


def _summary(report, progress: str) -> None:
    if progress == "json":
        emit_json("done", output=str(report.output), clips=[o.__dict__ for o in report.outcomes],
                  notes=report.notes)
        return
    for o in report.outcomes:
        typer.echo(f"  V{o.track} {o.clip}: {o.status} {o.render or o.message}", err=o.status == "failed")
    for note in report.notes:  # what the output format could not hold
        typer.echo(f"note: {note}", err=True)
    typer.echo(f"wrote {report.output}")


def register(app: typer.Typer) -> None:
    """Add the ``timeline`` command group."""
    app.add_typer(timeline_app, name="timeline")
