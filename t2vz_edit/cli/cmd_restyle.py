"""`t2vz-edit restyle CLIP`: the main job — a clip back restyled, same length, timing and sound."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from t2vz_edit.cli.options import EDIT, MODELS, OUTPUT, RenderOptions, check_size_for_clip, render_command
from t2vz_edit.cli.progress_display import emit_json, progress_display, progress_option
from t2vz_edit.spec.errors import UsageError


@render_command(*EDIT, *OUTPUT, "audio", *MODELS)
def restyle_cmd(
    clip: Optional[Path] = typer.Argument(None, help="Source clip (never modified)."),
    frame_range: Optional[str] = typer.Option(None, "--range", "-r",
                                              help="Frames '100-200'/'100+50', seconds '2.5s-4s' or timecode "
                                                   "'01:00:01:00+48' (end exclusive). Default: whole clip."),
    output: Optional[Path] = typer.Option(None, "--output", "-o",
                                          help="Render path (.mp4/.mov, a folder for png). Default: next to the source."),
    from_sidecar: Optional[Path] = typer.Option(None, "--from-sidecar",
                                                help="Reproduce the render a sidecar .json describes."),
    full: bool = typer.Option(False, "--full", help="With --from-sidecar: re-render a draft at full quality."),
    progress: str = progress_option,
    opts: RenderOptions = None,
) -> None:
    """Restyle a clip with an instruction, a prompt + controls, or a preset."""
    from t2vz_edit.pipeline.restyle import restyle, restyle_from_sidecar

    opts.check_output()
    if opts.tiny:
        from t2vz_edit.pipeline.tiny_models import WARNING

        if from_sidecar is not None:
            raise UsageError("--from-sidecar reproduces the models the sidecar names; drop --tiny")
        typer.secho(WARNING, fg="yellow", err=True)
    with progress_display(progress) as display:
        if from_sidecar is not None:
            if clip is not None or any(v is not None for v in (opts.instruction, opts.prompt, opts.control,
                                                               opts.preset, frame_range, opts.draft)):
                raise UsageError("--from-sidecar reproduces a render exactly; drop the clip and edit options")
            result = restyle_from_sidecar(from_sidecar, output=output, overwrite=opts.overwrite,
                                          progress=display.callback, audio=opts.audio, full=full,
                                          offline=opts.offline)
        else:
            if full:
                raise UsageError("--full re-renders a draft from its sidecar; use it with --from-sidecar FILE.json")
            if clip is None:
                raise UsageError("missing CLIP: give the source clip to restyle (or --from-sidecar FILE.json)")
            check_size_for_clip(opts, clip, "restyle keeps the source's aspect ratio")
            result = restyle(clip, opts.preset, output=output, frame_range=frame_range, codec=opts.codec,
                             crf=opts.crf, overwrite=opts.overwrite, preview=opts.preview, audio=opts.audio,
                             progress=display.callback, offline=opts.offline, tiny=opts.tiny,
                             **opts.spec_overrides(size_checked=True))
    if progress == "json":
        emit_json("done", output=str(result.output), frames=result.frame_count, quality=result.quality,
                  previews=[str(p) for p in result.previews], compute=result.compute, random_weights=opts.tiny)
    else:
        note = " — tiny RANDOM weights: noise-like frames, a path check only" if opts.tiny else ""
        typer.echo(f"wrote {result.output} ({result.frame_count} frames){note}")
        if result.compute:
            typer.echo(f"compute {result.compute['device']} {result.compute['dtype']}: {result.compute['choice']}")
        for p in result.previews:
            typer.echo(f"preview {p}")


def register(app: typer.Typer) -> None:
    app.command("restyle")(restyle_cmd)
