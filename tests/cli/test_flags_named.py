"""Every flag an error message (or help text) tells the user to pass is a flag the CLI has."""
from __future__ import annotations

import re
from pathlib import Path

import typer

import t2vz_edit
from t2vz_edit.cli.app import app

# `--flag` in a message: not part of a longer word or path (e.g. a hub cache folder "models--org--name").
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9]*(?:-[a-z0-9]+)*)")
NOT_OURS = {"--debug", "--help", "--version"}  # the app's own; checked below as well


def _cli_flags(command) -> set[str]:
    flags = set()
    for param in command.params:
        flags.update(o for o in (*param.opts, *param.secondary_opts) if o.startswith("--"))
    for sub in getattr(command, "commands", {}).values():
        flags |= _cli_flags(sub)
    return flags


def _named_flags() -> dict[str, list[str]]:
    named: dict[str, list[str]] = {}
    for path in Path(t2vz_edit.__file__).parent.rglob("*.py"):
        for flag in FLAG.findall(path.read_text(encoding="utf-8")):
            named.setdefault(flag, []).append(path.name)
    return named


def test_every_flag_a_message_names_exists():
    have = _cli_flags(typer.main.get_command(app)) | {"--help"}
    missing = {flag: files for flag, files in _named_flags().items() if flag not in have}
    assert not missing, f"flags named in messages that no command has: {missing}"
    assert NOT_OURS <= have
