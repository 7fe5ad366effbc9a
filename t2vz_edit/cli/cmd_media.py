"""`t2vz-edit probe` and `t2vz-edit trim`: look at a clip, and conform a range of it to a new file."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from t2vz_edit.cli.progress_display import emit_json, progress_display, progress_option
from t2vz_edit.spec.errors import UsageError
from t2vz_edit.spec.parse import SIZE_HELP, fit_long_side, parse_size


def _output_size(text: str | None, info) -> tuple[int, int] | None:
    """trim's ``--size``: ``WxH`` exactly, or long side ``N`` with the source's aspect ratio (even sides)."""
    size = parse_size(text)
    if size is None:
        return None
    if size.exact is not None:
        return size.exact
    if size.long_side < 2:
        raise UsageError(f"--size {text}: the long side must be at least 2 pixels")
    return fit_long_side(info.display_width, info.display_height, size.long_side, 2)


def _print_table(info) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=info.path, show_header=False)
    data = info.to_dict()
    for key in ("container", "video_codec", "duration_sec", "frame_count", "rate", "rate_fps", "is_vfr",
                "start_timecode", "width", "height", "display_width", "display_height", "rotation", "pix_fmt",
                "bit_depth", "color_primaries", "color_transfer", "color_matrix", "color_range"):
        table.add_row(key, str(data[key]))
    for a in info.audio:
        table.add_row(f"audio #{a.index}", f"{a.codec}, {a.channels} ch, {a.sample_rate} Hz, {a.duration_sec:.3f} s")
    if not info.audio:
        table.add_row("audio", "none")
    for note in info.notes:
        table.add_row("note", note)
    Console().print(table)


def probe_cmd(
    file: Path = typer.Argument(..., help="Video clip to inspect."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Show a clip's container, codec, size, rotation, colour, exact rate, frames, timecode and audio."""
    from t2vz_edit.media.probe import probe

    info = probe(file)
    if as_json:
        typer.echo(json.dumps(info.to_dict(), indent=2, default=str))
    else:
        _print_table(info)


def trim_cmd(
    file: Path = typer.Argument(..., help="Source clip (never modified)."),
    frame_range: str = typer.Option(None, "--range", "-r",
                                    help="Frames '100-200'/'100+50', seconds '2.5s-4s' or timecode "
                                         "'01:00:01:00+48' (end exclusive). Default: whole clip."),
    output: Path = typer.Option(..., "--output", "-o", help="Render path: .mp4/.mov, or a folder for png."),
    codec: str = typer.Option("h264", "--codec", help="h264 or hevc (.mp4/.mov; 10-bit kept from 10-bit sources), "
                                                      "h264-10, prores (422 HQ), prores4444, dnxhr-hqx (.mxf/.mov), "
                                                      "png, png16 or exr (a folder; exr is half float)."),
    crf: int = typer.Option(18, "--crf", help="H.264 quality (lower is better, 0-51)."),
    size: str = typer.Option(None, "--size", help=SIZE_HELP + " Default: the source display size."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
    audio: str = typer.Option("copy", "--audio", help="copy (re-encode only what the output cannot take), reencode or none."),
    progress: str = progress_option,
) -> None:
    """Re-render a range through decode and encode, keeping timing, timecode, audio and provenance."""
    from t2vz_edit.media.decode import iter_chunks
    from t2vz_edit.media.encode import open_render
    from t2vz_edit.media.probe import probe
    from t2vz_edit.media.ranges import resolve_range

    if not 0 <= crf <= 51:
        raise UsageError(f"--crf {crf} is outside 0-51; 18 is visually lossless for most footage")
    parse_size(size)  # a malformed --size fails before the source is opened
    info = probe(file)
    out_size = _output_size(size, info)
    selected = resolve_range(info, frame_range)
    provenance = {"mode": "trim", "range_request": frame_range}
    with progress_display(progress) as display:
        with open_render(output, info, selected, codec=codec, crf=crf, size=out_size, overwrite=overwrite,
                         audio=audio, high_bit_depth=True, provenance=provenance, progress=display.callback) as render:
            for chunk in iter_chunks(info, selected, chunk_frames=16, high_bit_depth=True):
                render.write(chunk.frames)
    if progress == "json":
        emit_json("done", output=str(output), frames=selected.count)
    elif progress == "rich":
        typer.echo(f"wrote {output} ({selected.count} frames from {info.path})", err=True)


def register(app: typer.Typer) -> None:
    """Add `probe` and `trim` to the app."""
    app.command("probe")(probe_cmd)
    app.command("trim")(trim_cmd)
