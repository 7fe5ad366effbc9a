"""`t2vz-edit presets list|show NAME`: the shipped and user looks."""
from __future__ import annotations

import json

import typer

from t2vz_edit.spec.errors import PresetError
from t2vz_edit.spec.presets import load_preset, preset_files, user_presets_dir

presets_app = typer.Typer(help="List and inspect presets (TOML looks; a user folder overrides shipped ones).",
                          no_args_is_help=True)


@presets_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List every preset with its mode, where it comes from and what it looks like.

    A preset file that does not load is listed with its error (``"error"`` in JSON) and the rest
    are listed as usual."""
    rows = [_row(name, path, source) for name, (path, source) in sorted(preset_files().items())]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"presets (user folder: {user_presets_dir()})")
    for column in ("name", "mode", "controls", "source", "description"):
        table.add_column(column)
    for row in rows:
        description = row["description"] if "error" not in row else f"[red]error: {escape(row['error'])}[/red]"
        table.add_row(row["name"], row["mode"], ",".join(row["controls"]) or "-", row["source"], description)
    Console().print(table)


def _row(name: str, path, source: str) -> dict:
    try:
        spec, meta = load_preset(name)
    except PresetError as exc:
        return {"name": name, "mode": "-", "source": source, "controls": [], "description": "",
                "path": str(path), "error": str(exc)}
    return {"name": meta.name, "mode": spec.mode, "source": meta.source, "controls": [c.kind for c in spec.controls],
            "description": meta.description, "path": str(meta.path)}


@presets_app.command("show")
def show_cmd(name: str = typer.Argument(..., help="Preset name (see `presets list`) or a .toml file."),
             as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show one preset: its description, file and every EditSpec setting it resolves to."""
    spec, meta = load_preset(name)
    payload = {"name": meta.name, "description": meta.description, "source": meta.source,
               "path": str(meta.path), "spec": spec.to_dict()}
    if as_json:
        typer.echo(json.dumps(payload, indent=2))
        return
    typer.echo(f"{meta.name} ({meta.source}: {meta.path})")
    typer.echo(f"  {meta.description}")
    for key, value in spec.to_dict().items():
        if value not in ("", [], None):
            typer.echo(f"  {key} = {json.dumps(value)}")


def register(app: typer.Typer) -> None:
    """Add the `presets` group to the app."""
    app.add_typer(presets_app, name="presets")
