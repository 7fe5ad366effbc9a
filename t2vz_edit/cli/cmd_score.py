"""`t2vz-edit score [SOURCE] RENDER`: temporal consistency and departure from source, no model weights."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

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
    clips: List[Path] = typer.Argument(..., metavar="[SOURCE] RENDER",
                                       help="The render, after the source clip it was made from; the source may be "
                                            "left out when the render has its sidecar (.json)."),
    frame_range: Optional[str] = typer.Option(None, "--range", "-r", help="Source range the render covers "
                                              "(frames, seconds or timecode). Default: the sidecar's, else the whole "
                                              "clip."),
    size: Optional[str] = typer.Option(None, "--size", help=SIZE_HELP + " Both clips are compared at this size; "
                                       "0 = source size.", show_default="the sidecar's working size, else 512"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Warp error, WarpSSIM and flicker of a render (flow from the source), and how far it departs from it."""
    from t2vz_edit.media.decode import working_size
    from t2vz_edit.media.probe import probe
    from t2vz_edit.pipeline.score_job import DEFAULT_LONG_SIDE, MAX_SIDE, recorded, score

    if len(clips) > 2:
        raise UsageError(f"score takes [SOURCE] RENDER, got {len(clips)} paths")
    render = clips[-1]
    known = recorded(render)
    source = clips[0] if len(clips) == 2 else known.get("source")
    if source is None:
        raise UsageError(f"{render}: no sidecar (.json) names its source; pass it: t2vz-edit score SOURCE {render}")
    span = frame_range if frame_range is not None else known.get("range")
    if size is None:  # the size the sidecar's own figures were measured at
        size = str(known.get("long_side", DEFAULT_LONG_SIDE))
    frame_size = parse_size(size)
    long_side = frame_size.long_side if frame_size is not None else 0
    if long_side and long_side < 16:
        raise UsageError(f"--size {size} is too small for optical flow; use 0 (source size) or at least 16")
    if long_side > MAX_SIDE:
        raise UsageError(f"--size {size} is outside 16..{MAX_SIDE} (or 0 for the source size)")
    if frame_size is not None and frame_size.exact is not None:
        frame_size.check(working_size(probe(source), long_side), "score keeps the source's aspect ratio")
    with progress_display("none" if as_json else "rich") as display:
        result = score(source, render, frame_range=span, long_side=long_side or None, progress=display.callback)
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(f"{result['render']} vs {result['source']} (frames {result['range']['start_frame']}-"
               f"{result['range']['stop_frame']}, {result['frames']} scored at {result['long_side'] or 'source'} px)")
    for key, label in LABELS.items():
        typer.echo(f"  {label:<52} {result[key]:.6f}")


def register(app: typer.Typer) -> None:
    """Add `score` to the app."""
    app.command("score")(score_cmd)
