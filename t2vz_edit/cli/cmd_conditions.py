"""`t2vz-edit conditions CLIP --kind K`: the control maps a ControlNet render would see, as a video."""
from __future__ import annotations

from pathlib import Path

import typer

from t2vz_edit.cli.progress_display import emit_json, progress_display, progress_option
from t2vz_edit.spec.errors import UsageError
from t2vz_edit.spec.parse import SIZE_HELP, parse_size


def parse_params(items: list[str] | None) -> dict:
    """``["low=50", "hands=true", "backend=hed"]`` -> ``{"low": 50, "hands": True, "backend": "hed"}``."""
    params: dict = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--param {item!r} is not NAME=VALUE (e.g. --param low=50)")
        lowered = text.lower()
        if lowered in ("true", "false"):
            params[name] = lowered == "true"
            continue
        for cast in (int, float):
            try:
                params[name] = cast(text)
                break
            except ValueError:
                continue
        else:
            params[name] = text
    return params


def conditions_cmd(
    clip: Path = typer.Argument(..., help="Source clip (never modified)."),
    kind: str = typer.Option(..., "--kind", "-k", help="Annotator: canny, pose, depth or softedge (or a plugin's)."),
    frame_range: str = typer.Option(None, "--range", "-r", help="Frames '100-200', seconds '2s-4s' or timecode "
                                    "'01:00:01:00+48' (end exclusive). Default: whole clip."),
    size: str = typer.Option(None, "--size", help=SIZE_HELP + " Maps are made at this size. Default: source size."),
    param: list[str] = typer.Option(None, "--param", "-p", help="Annotator parameter NAME=VALUE, repeatable "
                                    "(canny: low, high; pose: hands, face, resolution; softedge: backend; ...)."),
    output: Path = typer.Option(None, "--output", "-o", help="Maps video (.mp4/.mov). Default: CLIP.KIND.mp4 "
                                "next to the source."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
    progress: str = progress_option,
) -> None:
    """Compute per-frame control maps (cached) and write them as a video with the source timing."""
    from t2vz_edit.pipeline.conditions_job import write_conditions_video

    from t2vz_edit.media.decode import working_size
    from t2vz_edit.media.encode import MAX_SIDE
    from t2vz_edit.media.probe import probe

    frame_size = parse_size(size)
    if frame_size is not None and not 8 <= frame_size.long_side <= MAX_SIDE:
        raise UsageError(f"--size {size} is outside 8..{MAX_SIDE}; give the working long side in pixels")
    if frame_size is not None and frame_size.exact is not None:
        frame_size.check(working_size(probe(clip), frame_size.long_side), "conditions keeps the source's aspect ratio")
    params = parse_params(param)
    with progress_display(progress) as display:
        out = write_conditions_video(clip, kind, output, frame_range=frame_range, long_side=frame_size and frame_size.long_side, params=params,
                                     overwrite=overwrite, progress=display.callback)
    if progress == "json":
        emit_json("done", output=str(out))
    else:
        typer.echo(str(out))


def register(app: typer.Typer) -> None:
    """Add `conditions` to the app."""
    app.command("conditions")(conditions_cmd)
