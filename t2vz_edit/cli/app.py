"""`t2vz-edit`: the top-level Typer app and the one place errors become exit codes.

Each command group lives in its own module and registers itself on :data:`app` through a
``register(app)`` function; this module only wires them and maps errors:
:class:`~t2vz_edit.spec.errors.T2VZError` → its ``exit_code`` with a one-line message on
stderr; click usage errors → 2; anything else → 1 with a one-line message. ``--debug`` (or
``T2VZ_DEBUG=1``) shows the traceback.
"""
from __future__ import annotations

import importlib
import os
import signal
import sys

import typer

from t2vz_edit import __version__
from t2vz_edit.spec.errors import Cancelled, T2VZError

app = typer.Typer(
    name="t2vz-edit",
    help="Restyle and edit real footage with zero-shot diffusion, and round-trip NLE timelines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Command modules, each with register(app). Order is the order of `--help`.
COMMAND_MODULES = (
    "t2vz_edit.cli.cmd_doctor",
    "t2vz_edit.cli.cmd_media",
    "t2vz_edit.cli.cmd_models",
    "t2vz_edit.cli.cmd_generate",
    "t2vz_edit.cli.cmd_restyle",
    "t2vz_edit.cli.cmd_conditions",
    "t2vz_edit.cli.cmd_score",
    "t2vz_edit.cli.cmd_presets",
    "t2vz_edit.cli.cmd_demo",
    "t2vz_edit.cli.cmd_timeline",
)

_state = {"debug": bool(os.environ.get("T2VZ_DEBUG"))}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"t2vz-edit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    if debug:
        _state["debug"] = True


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def _interrupted(signum, frame) -> None:
    raise Cancelled("interrupted (Ctrl-C); no output was written")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the app and turn errors into exit codes.

    Click's standalone mode handles its own usage errors (exit 2) and ``--help``; our errors
    and unexpected ones propagate here and become one line on stderr.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--debug" in argv:
        _state["debug"] = True
    previous = signal.signal(signal.SIGINT, _interrupted)
    try:
        app(args=argv, prog_name="t2vz-edit", standalone_mode=True)
    except T2VZError as exc:
        _fail(str(exc), exc.exit_code)
    except Exception as exc:  # an unexpected failure: still one line unless --debug
        _fail(f"unexpected {type(exc).__name__}: {' '.join(str(exc).split())} (rerun with --debug for the traceback)", 1)
    finally:
        signal.signal(signal.SIGINT, previous)


def _fail(message: str, code: int) -> None:
    if _state["debug"]:
        import traceback

        traceback.print_exc()
    typer.echo(f"error: {message}", err=True)
    sys.exit(code)
