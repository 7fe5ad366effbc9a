"""`t2vz-edit`: the top-level Typer app and the one place errors become exit codes.

Each command group lives in its own module and registers itself on :data:`app` through a
``register(app)`` function; this module only wires them and maps errors:
:class:`~t2vz_edit.spec.errors.T2VZError` → its ``exit_code`` with a one-line message on
stderr; click usage errors → 2; anything else → 1 with a one-line message. ``--debug`` (or
``T2VZ_DEBUG=1``) shows the traceback; ``--progress json`` adds a JSON error event.
"""
from __future__ import annotations

import importlib
import os
import signal
import sys

import typer

from t2vz_edit import __version__
from t2vz_edit.cli.progress_display import emit_json
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
    "t2vz_edit.cli.cmd_batch",
)

# Click's usage errors, taken from typer's re-export (newer typer vendors its own click).
ClickException = next(k for k in typer.BadParameter.__mro__ if k.__name__ == "ClickException")

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
    """Console entry point: run the app and turn every error into one line and an exit code.

    Usage errors (exit 2), our errors (their ``exit_code``) and unexpected ones (1) all end here,
    for every command; with ``--progress json`` each also becomes a final
    ``{"event": "error", ...}`` line on stdout for plugins reading the pipe.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--debug" in argv:
        _state["debug"] = True
    as_json = _progress_mode(argv) == "json"
    previous = signal.signal(signal.SIGINT, _interrupted)
    try:
        code = app(args=argv, prog_name="t2vz-edit", standalone_mode=False)
    except ClickException as exc:
        _usage_error(exc, as_json)
    except typer.Abort:
        _fail("aborted", 1, as_json)
    except T2VZError as exc:
        _fail(str(exc), exc.exit_code, as_json)
    except Exception as exc:  # an unexpected failure: still one line unless --debug
        _fail(f"unexpected {type(exc).__name__}: {' '.join(str(exc).split())} (rerun with --debug for the traceback)",
              1, as_json)
    finally:
        signal.signal(signal.SIGINT, previous)
    sys.exit(code if isinstance(code, int) else 0)


def _progress_mode(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--progress" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--progress="):
            return arg.partition("=")[2]
    return None


def _usage_error(exc: ClickException, as_json: bool) -> None:
    if as_json:
        emit_json("error", message=exc.format_message(), exit_code=exc.exit_code)
    from typer import rich_utils

    rich_utils.rich_format_error(exc)
    sys.exit(exc.exit_code)


def _fail(message: str, code: int, as_json: bool = False) -> None:
    if _state["debug"]:
        import traceback

        traceback.print_exc()
    if as_json:
        emit_json("error", message=message, exit_code=code)
    typer.echo(f"error: {message}", err=True)
    sys.exit(code)
