"""`t2vz-edit generate PROMPT`: text-to-video (Text2Video-Zero) to an H.264 file and its sidecar.

The frames are written by :func:`t2vz_edit.media.generated.write_generated` (atomic, with the
sidecar every render has); the provenance is assembled by
:func:`t2vz_edit.pipeline.provenance.render_provenance`, as for every other render.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import typer

from t2vz_edit.cli.progress_display import emit_json, progress_display, progress_option
from t2vz_edit.cli.options import RenderOptions, render_command
from t2vz_edit.spec.edit_spec import EditSpec, field_help
from t2vz_edit.spec.errors import UsageError


def _rate(text: str) -> Fraction:
    try:
        rate = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise UsageError(f"--fps {text!r}: give a rate such as 8, 24 or 24000/1001") from None
    if not 0 < rate <= 240:
        raise UsageError(f"--fps must be between 0 and 240, got {text}")
    return rate


def _parts(spec: EditSpec, offline: bool, progress):
    """Every model there (offline) or fetched (online), then loaded; ``--tiny`` specs name local folders."""
    from t2vz_edit.engine.models import load_parts
    from t2vz_edit.pipeline.model_plan import ensure_models

    ensure_models([spec], offline=offline, progress=progress)
    return load_parts(spec)


GENERATE = ("negative", "model", "lora", "seed", "steps", "guidance", "size", "frames", "chunk", "motion",
            "strength", "t0", "t1", "device", "dtype", "draft", "overwrite", "offline", "tiny")
DEFAULT_OUTPUT = Path("generated.mp4")
SUFFIXES = (".mp4", ".mov", ".m4v")


@render_command(*GENERATE)
def generate(
    prompt: str = typer.Argument(..., help=field_help("prompt")),
    output: Path = typer.Option(None, "-o", "--output", help="Output video (.mp4/.mov).", show_default=str(DEFAULT_OUTPUT)),
    fps: str = typer.Option("8", "--fps", help="frame rate of the output, e.g. 8 or 24000/1001"),
    progress: str = progress_option,
    opts: RenderOptions = None,
) -> None:
    """Generate a video from a prompt with motion dynamics and cross-frame attention."""
    from t2vz_edit.engine.run import run_edit
    from t2vz_edit.media.generated import CRF, write_generated
    from t2vz_edit.pipeline.provenance import model_identity, render_provenance
    from t2vz_edit.pipeline.restyle import compute_record
    from t2vz_edit.media import atomic
    from t2vz_edit.media.sidecar import sidecar_path
    from t2vz_edit.pipeline.spec_builder import build_spec
    from t2vz_edit.pipeline.tiny_models import TINY_TAG, WARNING, tiny_spec

    size = opts.frame_size()
    if size is not None:
        size.check((size.long_side, size.long_side), "generate makes square frames")
    spec = build_spec(mode="text2video", prompt=prompt, **opts.spec_overrides(size_checked=True))
    rate = _rate(fps)
    if output is None and opts.tiny:  # a default name says the weights are random; an explicit -o is kept
        output = DEFAULT_OUTPUT.with_name(f"{DEFAULT_OUTPUT.stem}.{TINY_TAG}{DEFAULT_OUTPUT.suffix}")
    output = output or DEFAULT_OUTPUT
    if spec.draft and ".draft" not in output.name:
        output = output.with_name(f"{output.stem}.draft{output.suffix}")  # a draft says so in its name
    if output.suffix.lower() not in SUFFIXES:  # fail before the render, not after
        raise UsageError(f"{output}: generate writes H.264 into {', '.join(SUFFIXES)}; change the extension")
    atomic.check_output_path(output, overwrite=opts.overwrite, companions=(sidecar_path(output),))
    tiny = opts.tiny
    if tiny:
        typer.secho(WARNING, fg="yellow", err=True)
        spec = tiny_spec(spec)
    with progress_display(progress) as display:
        parts = _parts(spec, opts.offline, display.callback)
        compute = compute_record(parts)
        video = run_edit(spec, parts, progress=display.callback)
        record = render_provenance(spec, None, CRF, (video.shape[2], video.shape[1]),
                                   {"job": "generate", "random_weights": tiny, "compute": compute,
                                    "model_files": model_identity(spec)})
        out = write_generated(video, output, rate, overwrite=opts.overwrite, provenance=record)
    if progress == "json":
        emit_json("done", output=str(out), frames=len(video), random_weights=tiny, compute=compute)
    else:
        note = " (tiny RANDOM weights: noise-like frames, for testing only)" if tiny else ""
        typer.echo(f"wrote {out} ({len(video)} frames at {rate} fps){note}")
        typer.echo(f"compute {compute['device']} {compute['dtype']}: {compute['choice']}")


def register(app: typer.Typer) -> None:
    """Add `generate` to the app."""
    app.command("generate")(generate)
