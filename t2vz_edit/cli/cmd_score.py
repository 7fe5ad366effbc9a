"""`t2vz-edit score SOURCE RENDER`: temporal consistency and departure from source, no model weights."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from t2vz_edit.cli.progress_display import progress_display
from t2vz_edit.spec.errors import UsageError
from t2vz_edit.spec.parse import SIZE_HELP, parse_size

LABELS = {
    "warp_error": "warp error (MSE after flow warp, lower is steadier)",
    "warp_ssim": "WarpSSIM (1 is steadiest)",
    "flicker": "flicker (mean |frame t - frame t-1|)",
    "departure_mad": "departure: mean |render - source|",
    "departure_ssim": "departure: 1 - SSIM(render, source)",
    "source_warp_error": "source's own warp error (floor)",
    "source_flicker": "source's own flicker",
    "occluded_fraction": "occluded pixels (masked out)",
}


def score_cmd(
    source: Path = typer.Argument(..., help="Source clip the render was made from."),
    render: Path = typer.Argument(..., help="Rendered clip."),
    frame_range: str = typer.Option(None, "--range", "-r", help="Source range the render covers "
                                    "(frames, seconds or timecode). Default: whole clip."),
    size: str = typer.Option("512", "--size", help=SIZE_HELP + " Both clips are compared at this size; 0 = source size."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Warp error, WarpSSIM and flicker of a render (flow from the source), and how far it departs from it."""
    from t2vz_edit.pipeline.score_job import score

    from t2vz_edit.media.decode import working_size
    from t2vz_edit.media.encode import MAX_SIDE
    from t2vz_edit.media.probe import probe

    frame_size = parse_size(size)
    long_side = frame_size.long_side if frame_size is not None else 0
    if long_side and long_side < 16:
        raise UsageError(f"--size {size} is too small for optical flow; use 0 (source size) or at least 16")
    if long_side > MAX_SIDE:
        raise UsageError(f"--size {size} is outside 16..{MAX_SIDE} (or 0 for the source size)")
    if frame_size is not None and frame_size.exact is not None:
        frame_size.check(working_size(probe(source), long_side), "score keeps the source's aspect ratio")
    with progress_display("none" if as_json else "rich") as display:
        result = score(source, render, frame_range=frame_range, long_side=long_side or None, progress=display.callback)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(f"{result['render']} vs {result['source']} (frames {result['range']['start_frame']}-"
               f"{result['range']['stop_frame']}, {result['frames']} scored)")
    for key, label in LABELS.items():
        typer.echo(f"  {label:<52} {result[key]:.6f}")


def register(app: typer.Typer) -> None:
    """Add `score` to the app."""
    app.command("score")(score_cmd)
