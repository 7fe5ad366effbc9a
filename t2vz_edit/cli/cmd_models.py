"""`t2vz-edit models pull|list|import`: the local model store for offline render nodes."""
from __future__ import annotations

import json
from pathlib import Path

import typer

models_app = typer.Typer(help="Fill and inspect the local model store (loading never downloads).",
                         no_args_is_help=True)


def human_size(size_bytes: int) -> str:
    """1536 -> '1.5 KiB' (binary units, as disk tools print them)."""
    value = float(size_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


@models_app.command("pull")
def pull_cmd(
    ids: list[str] = typer.Argument(..., help="Hub ids (org/name[@revision]) to download into the store."),
    revision: str = typer.Option("", "--revision", help="Branch, tag or commit for every id (default: main)."),
    include: list[str] = typer.Option([], "--include", help="Only files matching this pattern (repeatable); "
                                      "default: diffusers configs and .safetensors weights."),
    variant: str = typer.Option("", "--variant", help="Weight variant, e.g. fp16 (falls back to full weights)."),
    force: bool = typer.Option(False, "--force", help="Replace a model already in the store."),
) -> None:
    """Download models into the store so render nodes can load them without network."""
    from t2vz_edit.engine.models.pull import pull_model

    for text in ids:
        hub_id, _, rev = text.partition("@")
        entry = pull_model(hub_id, rev or revision, include=tuple(include), variant=variant, force=force)
        typer.echo(f"pulled {entry.id} ({entry.kind}, {human_size(entry.size_bytes)}) -> {entry.path}")


@models_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show what is in the store: id, kind (sd/instruct/controlnet/annotator/tokenizer) and size on disk."""
    from t2vz_edit.engine.models.store import list_models
    from t2vz_edit.engine.store import model_store_dir

    entries = list_models()
    if as_json:
        typer.echo(json.dumps({"store": str(model_store_dir()), "models": [e.to_dict() for e in entries]}, indent=2))
        return
    typer.echo(f"model store: {model_store_dir()}")
    if not entries:
        typer.echo("  (empty) fill it with `t2vz-edit models pull ID` or `t2vz-edit models import FOLDER --as ID`")
        return
    width = max(len(e.id + (f"@{e.revision}" if e.revision else "")) for e in entries)
    for e in entries:
        name = e.id + (f"@{e.revision}" if e.revision else "")
        typer.echo(f"  {name:<{width}}  {e.kind:<10}  {human_size(e.size_bytes):>10}  {e.origin}")
    typer.echo(f"  total {human_size(sum(e.size_bytes for e in entries))} in {len(entries)} model(s)")


@models_app.command("import")
def import_cmd(
    path: Path = typer.Argument(..., help="A diffusers folder, model folder or .safetensors checkpoint."),
    as_id: str = typer.Option(..., "--as", help="Hub id to file it under (org/name), e.g. the id specs use."),
    revision: str = typer.Option("", "--revision", help="Revision label, when not the default."),
    force: bool = typer.Option(False, "--force", help="Replace a model already in the store."),
) -> None:
    """Copy a local model into the store (e.g. from a USB disk onto an offline render node)."""
    from t2vz_edit.engine.models.store import import_model

    entry = import_model(path, as_id, revision=revision, force=force)
    typer.echo(f"imported {entry.id} ({entry.kind}, {human_size(entry.size_bytes)}) -> {entry.path}")


def register(app: typer.Typer) -> None:
    """Add the `models` group to the app."""
    app.add_typer(models_app, name="models")
