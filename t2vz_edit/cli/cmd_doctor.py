"""`t2vz-edit doctor`: what this install can do, in one screen."""
from __future__ import annotations

import importlib.metadata as md
import json
import platform

import typer


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "not installed"


def gather() -> dict:
    """Versions, the torch device, FFmpeg codecs, OTIO adapters and the model store."""
    import av
    import opentimelineio as otio
    import torch

    if torch.cuda.is_available():
        device = f"cuda ({torch.cuda.get_device_name(0)}, bf16={'yes' if torch.cuda.is_bf16_supported() else 'no'})"
    elif getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        device = "mps"
    else:
        device = "cpu (float32; no GPU found)"
    codecs = {}
    for name in ("h264", "libx264", "prores", "prores_ks", "aac", "pcm_s16le", "png", "exr"):
        try:
            c = av.codec.Codec(name, "w")
            codecs[name] = "encode" if c.is_encoder else "decode"
        except Exception:  # noqa: BLE001 - absence is the answer
            codecs[name] = "missing"
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "t2vz-edit": _version("t2vz-edit"),
        "torch": torch.__version__,
        "device": device,
        "diffusers": _version("diffusers"),
        "transformers": _version("transformers"),
        "controlnet-aux": _version("controlnet-aux"),
        "opencv": _version("opencv-python-headless") if _version("opencv-python-headless") != "not installed" else _version("opencv-python"),
        "av": av.__version__,
        "ffmpeg": ".".join(str(x) for x in av.library_versions.get("libavcodec", ())) and f"libavcodec {'.'.join(str(x) for x in av.library_versions['libavcodec'])}",
        "ffmpeg codecs": codecs,
        "opentimelineio": otio.__version__,
        "otio adapters": sorted(otio.adapters.available_adapter_names()),
        "ray": _version("ray"),
        "model store": _model_store(),
    }


def _model_store() -> str:
    try:
        from t2vz_edit.engine.store import model_store_dir
    except ImportError:
        return "engine not installed"
    return str(model_store_dir())


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
        """Show versions, the compute device, FFmpeg codecs, OTIO adapters and the model store."""
        info = gather()
        if as_json:
            typer.echo(json.dumps(info, indent=2))
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(show_header=False, box=None)
        for key, value in info.items():
            if isinstance(value, dict):
                value = ", ".join(f"{k}: {v}" for k, v in value.items())
            elif isinstance(value, list):
                value = ", ".join(value)
            table.add_row(f"[bold]{key}[/bold]", str(value))
        Console().print(table)
