"""`t2vz-edit restyle CLIP`: the main job — a clip back restyled, same length, timing and sound."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from t2vz_edit.cli.progress_display import emit_json, progress_display, progress_option
from t2vz_edit.spec.edit_spec import field_help
from t2vz_edit.spec.errors import T2VZError, UsageError


def _motion(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        dx, dy = (float(v) for v in text.split(","))
    except ValueError:
        raise UsageError(f"--motion {text!r}: give two numbers dx,dy, e.g. 1,1") from None
    return dx, dy


def restyle_cmd(
    clip: Optional[Path] = typer.Argument(None, help="Source clip (never modified)."),
    instruction: Optional[str] = typer.Option(None, "--instruction", "-i", help=field_help("instruction")),
    prompt: Optional[str] = typer.Option(None, "--prompt", "-p", help=field_help("prompt")),
    control: Optional[str] = typer.Option(None, "--control", "-c",
                                          help="ControlNet conditions, comma-separated kind[:scale], e.g. pose,depth:0.6"),
    negative: Optional[str] = typer.Option(None, "--negative", help=field_help("negative_prompt")),
    preset: Optional[str] = typer.Option(None, "--preset", help="Preset name (see `t2vz-edit presets list`) or .toml file."),
    frame_range: Optional[str] = typer.Option(None, "--range", "-r",
                                              help="Frames '100-200'/'100+50', seconds '2.5s-4s' or timecode "
                                                   "'01:00:01:00+48' (end exclusive). Default: whole clip."),
    model: Optional[str] = typer.Option(None, "--model", help=field_help("model")),
    lora: Optional[list[str]] = typer.Option(None, "--lora", help="LoRA .safetensors[:scale]; repeatable."),
    seed: Optional[int] = typer.Option(None, "--seed", help=field_help("seed")),
    steps: Optional[int] = typer.Option(None, "--steps", help=field_help("steps")),
    guidance: Optional[float] = typer.Option(None, "--guidance", help=field_help("guidance_scale")),
    image_guidance: Optional[float] = typer.Option(None, "--image-guidance", help=field_help("image_guidance_scale")),
    size: Optional[int] = typer.Option(None, "--size", help=field_help("size")),
    chunk: Optional[int] = typer.Option(None, "--chunk", help=field_help("chunk_size")),
    smooth: Optional[bool] = typer.Option(None, "--smooth-background/--no-smooth-background",
                                          help=field_help("smooth_background")),
    motion: Optional[str] = typer.Option(None, "--motion", help=field_help("motion")),
    strength: Optional[float] = typer.Option(None, "--strength", help=field_help("motion_strength")),
    device: Optional[str] = typer.Option(None, "--device", help=field_help("device")),
    dtype: Optional[str] = typer.Option(None, "--dtype", help=field_help("dtype")),
    output: Optional[Path] = typer.Option(None, "--output", "-o",
                                          help="Render path (.mp4/.mov, a folder for png). Default: next to the source."),
    codec: str = typer.Option("h264", "--codec", help="h264 (.mp4/.mov), prores (.mov, 422 HQ 10-bit) or png."),
    crf: int = typer.Option(18, "--crf", help="H.264 quality (lower is better, 0-51)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output."),
    preview: bool = typer.Option(False, "--preview", help="Also write a before/after video and a contact-sheet PNG."),
    from_sidecar: Optional[Path] = typer.Option(None, "--from-sidecar",
                                                help="Reproduce the render a sidecar .json describes."),
    progress: str = progress_option,
) -> None:
    """Restyle a clip with an instruction, a prompt + controls, or a preset."""
    from t2vz_edit.pipeline.restyle import restyle, restyle_from_sidecar

    if not 0 <= crf <= 51:
        raise UsageError(f"--crf {crf} is outside 0-51; 18 is visually lossless for most footage")
    try:
        with progress_display(progress) as display:
            if from_sidecar is not None:
                if clip is not None or any(v is not None for v in (instruction, prompt, control, preset, frame_range)):
                    raise UsageError("--from-sidecar reproduces a render exactly; drop the clip and edit options")
                result = restyle_from_sidecar(from_sidecar, output=output, overwrite=overwrite,
                                              progress=display.callback)
            else:
                if clip is None:
                    raise UsageError("missing CLIP: give the source clip to restyle (or --from-sidecar FILE.json)")
                result = restyle(
                    clip, preset, output=output, frame_range=frame_range, codec=codec, crf=crf, overwrite=overwrite,
                    preview=preview, progress=display.callback, instruction=instruction, prompt=prompt,
                    controls=control, negative_prompt=negative, model=model, loras=_loras(lora), seed=seed,
                    steps=steps, guidance_scale=guidance, image_guidance_scale=image_guidance, size=size,
                    chunk_size=chunk, smooth_background=smooth, motion=_motion(motion), motion_strength=strength,
                    device=device, dtype=dtype)
    except T2VZError as exc:
        if progress == "json":
            emit_json("error", message=str(exc), exit_code=exc.exit_code)
        raise
    if progress == "json":
        emit_json("done", output=str(result.output), frames=result.frame_count, quality=result.quality,
                  previews=[str(p) for p in result.previews])
    else:
        typer.echo(f"wrote {result.output} ({result.frame_count} frames)")
        for p in result.previews:
            typer.echo(f"preview {p}")


def _loras(items: list[str] | None):
    """``file.safetensors[:scale]`` items → LoRA dicts (a Windows drive colon is not a scale)."""
    if not items:
        return None
    out = []
    for item in items:
        path, sep, scale = item.rpartition(":")
        try:
            out.append({"path": path, "scale": float(scale)} if sep else {"path": item, "scale": 1.0})
        except ValueError:
            out.append({"path": item, "scale": 1.0})
    return tuple(out)


def register(app: typer.Typer) -> None:
    app.command("restyle")(restyle_cmd)
