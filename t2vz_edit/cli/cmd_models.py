"""`t2vz-edit models pull|list|import`: the local model store for offline render nodes."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Optional

import typer

from t2vz_edit.cli.progress_display import progress_display, progress_option

models_app = typer.Typer(help="Fill and inspect the local model store (loading never downloads).",
                         no_args_is_help=True)


FORCE = typer.Option(False, "--force", hidden=True, help="Deprecated name of --overwrite.")


def _overwrite(overwrite: bool, force: bool) -> bool:
    """``--overwrite`` is the one name for replacing what exists; ``--force`` still works, with a note."""
    if force:
        typer.echo("note: --force is deprecated; use --overwrite", err=True)
    return overwrite or force


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
    ids: Optional[list[str]] = typer.Argument(None, help="Hub ids to download into the store: org/name, "
                                              "org/name@revision, org/name:file,file (files added to the default list)."),
    revision: str = typer.Option("", "--revision", help="Branch, tag or commit for every id (default: main)."),
    include: list[str] = typer.Option([], "--include", help="Also fetch files matching this pattern (repeatable); "
                                      "added to the default list: diffusers configs and .safetensors weights."),
    only: list[str] = typer.Option([], "--only", help="Fetch only files matching this pattern (repeatable), "
                                   "instead of the default list, e.g. a tokenizer: --only '*.json' --only '*.txt'."),
    variant: str = typer.Option("", "--variant", help="Weight variant, e.g. fp16 (falls back to full weights)."),
    preset: Optional[str] = typer.Option(None, "--preset", help="Every model this preset needs (missing ones)."),
    for_command: Optional[str] = typer.Option(None, "--for", help="Every model `restyle` (with --control: "
                                              "ControlNet video; without: instructions) or `generate` needs."),
    control: Optional[str] = typer.Option(None, "--control", "-c", help="With --for restyle: control kinds, e.g. pose,depth."),
    draft: bool = typer.Option(False, "--draft", help="With --preset/--for: also the draft LoRA and TAESD."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be pulled (no network)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a model already in the store."),
    force: bool = FORCE,
    progress: str = progress_option,
) -> None:
    """Download models into the store so render nodes can load them without network."""
    from t2vz_edit.engine.hub import check_network

    if not dry_run:
        check_network(", ".join(ids or ()) or "the models")  # before importing torch: one line, at once
    from t2vz_edit.engine.models.pull import PullItem, pull_models
    from t2vz_edit.spec.errors import UsageError

    if only and include:
        raise UsageError("--only replaces the default file list and --include adds to it; give one of them")
    items = [replace(PullItem.parse(text, revision, include), only=tuple(only)) for text in ids or ()]
    needed = _needed_items(preset, for_command, control, draft)
    if not items and needed is None:
        raise UsageError("nothing to pull: give hub ids, --preset NAME or --for restyle|generate [-c KINDS]")
    if needed == [] and not items:
        typer.echo("every model it needs is already in the model store")
        return
    if dry_run:
        for item in [*items, *(needed or [])]:
            extra = f" + {', '.join(item.include)}" if item.include else ""
            files = f"only {', '.join(item.only)}" if item.only else f"default files{extra}"
            typer.echo(f"would pull {item.label}: {files}")
        return
    replace_existing = _overwrite(overwrite, force)
    with progress_display(progress) as display:  # missing ones only: a partial annotator folder is refilled
        entries = pull_models(items, variant=variant, force=replace_existing, progress=display.callback) if items else []
        entries += pull_models(needed, variant=variant, force=True, progress=display.callback) if needed else []
    for entry in entries:
        typer.echo(f"pulled {entry.id} ({entry.kind}, {human_size(entry.size_bytes)}) -> {entry.path}")


def _needed_items(preset: Optional[str], for_command: Optional[str], control: Optional[str], draft: bool):
    """The missing models of ``--preset`` / ``--for`` as pull items; None when neither is given."""
    import shlex

    from t2vz_edit.engine.models.pull import PullItem
    from t2vz_edit.pipeline.model_plan import for_specs, models_needed
    from t2vz_edit.spec.errors import UsageError

    if preset is None and for_command is None:
        if control or draft:
            raise UsageError("--control and --draft go with --preset NAME or --for restyle|generate")
        return None
    if preset and for_command:
        raise UsageError("give --preset or --for, not both")
    plan = models_needed(for_specs(for_command or "", control, draft, preset))
    return [PullItem.parse(shlex.split(m.pull_arg)[0]) for m in plan.missing]


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
    path: Path = typer.Argument(..., help="A diffusers folder, model folder (ControlNet, TAESD), .safetensors checkpoint "
                                                 "or LoRA file."),
    as_id: str = typer.Option(..., "--as", help="Hub id to file it under (org/name), e.g. the id specs use."),
    revision: str = typer.Option("", "--revision", help="Revision label, when not the default."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a model already in the store."),
    force: bool = FORCE,
) -> None:
    """Copy a local model into the store (e.g. from a USB disk onto an offline render node)."""
    from t2vz_edit.engine.models.store import import_model

    entry = import_model(path, as_id, revision=revision, force=_overwrite(overwrite, force))
    typer.echo(f"imported {entry.id} ({entry.kind}, {human_size(entry.size_bytes)}) -> {entry.path}")


def register(app: typer.Typer) -> None:
    """Add the `models` group to the app."""
    app.add_typer(models_app, name="models")
