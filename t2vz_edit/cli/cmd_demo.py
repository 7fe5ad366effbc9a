"""`t2vz-edit demo`: the whole restyle path offline, with tiny RANDOM-weight models built on the spot.

It proves an install (PyAV, torch, diffusers, the engine, the encoder) and gives plugin authors
something to call without a GPU or downloads. The output is noise-like: the weights are random.
"""
from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path
from typing import Optional

import typer

from t2vz_edit.cli.progress_display import emit_json, progress_display, progress_option

LABEL = "RANDOM WEIGHTS — demo only, not a real restyle"
MODELS_DIR = "tiny-models"  # inside the demo folder: random-weight models the sidecars point to


def run_demo(folder: Path, *, mode: str = "instruct", frames: int = 12, overwrite: bool = False, progress=None):
    """Synthesize a clip, build tiny models into a temp folder, restyle through the real loading path."""
    from t2vz_edit.engine.tiny import save_tiny_controlnet, save_tiny_pipeline
    from t2vz_edit.media.synth import make_clip
    from t2vz_edit.pipeline.restyle import restyle

    folder.mkdir(parents=True, exist_ok=True)
    clip = folder / "demo_source.mov"
    if not clip.exists() or overwrite:
        make_clip(clip, frames=frames, width=320, height=180, rate=Fraction(24000, 1001), timecode="01:00:00:00",
                  audio={"channels": 2, "sample_rate": 48000})
    # The models stay beside the demo's outputs: the sidecar names them, and `restyle --from-sidecar`
    # on it must find them (a temporary folder would be gone when the command returns).
    models = folder.resolve() / MODELS_DIR
    kind = "instruct" if mode == "instruct" else "sd"
    base = _tiny(models / f"tiny-{kind}", lambda path: save_tiny_pipeline(path, kind))
    options = dict(instruction="make it a watercolor painting") if mode == "instruct" else dict(
        prompt="a watercolor painting", controls=({"kind": "canny", "model": str(_tiny(
            models / "tiny-controlnet", save_tiny_controlnet))},))
    return restyle(clip, output=folder / f"demo_{mode}_random_weights.mov", model=str(base), steps=4,
                   size=128, chunk_size=4, seed=0, overwrite=overwrite, preview=True, progress=progress,
                   **options)


def _tiny(path: Path, save) -> Path:
    """A tiny model folder at ``path``, built once (saved beside, then renamed: never half there)."""
    if (path / "model_index.json").is_file() or (path / "config.json").is_file():
        return path
    staging = path.with_name(f".{path.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    save(staging)
    shutil.rmtree(path, ignore_errors=True)
    staging.rename(path)
    return path


def demo_cmd(
    output_dir: Path = typer.Option(Path("t2vz-demo"), "--output-dir", "-o", help="Folder for the demo clip and renders."),
    mode: str = typer.Option("instruct", "--mode", help="instruct or controlnet."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace earlier demo outputs."),
    progress: str = progress_option,
) -> None:
    """Run the whole restyle path offline on a synthesized clip with tiny random models."""
    from t2vz_edit.spec.errors import UsageError

    if mode not in ("instruct", "controlnet"):
        raise UsageError(f"--mode {mode!r}: use instruct or controlnet")
    if progress != "json":
        typer.secho(LABEL, fg="yellow", err=True)
    with progress_display(progress) as display:
        result = run_demo(output_dir, mode=mode, overwrite=overwrite, progress=display.callback)
    if progress == "json":
        emit_json("done", output=str(result.output), frames=result.frame_count, random_weights=True,
                  previews=[str(p) for p in result.previews])
    else:
        typer.echo(f"wrote {result.output} ({result.frame_count} frames) and {len(result.previews)} previews — {LABEL}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)
