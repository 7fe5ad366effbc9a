"""`t2vz-edit`: the top-level Typer app and the one place errors become exit codes.

Each command group lives in its own module and registers itself on :data:`app` through a
``register(app)`` function; this module only wires them and maps errors:
:class:`~t2vz_edit.spec.errors.T2VZError` → its ``exit_code`` with a one-line message on
stderr; click usage errors → 2; anything else → 1 with a one-line message. ``--debug`` (or
``T2VZ_DEBUG=1``) shows the traceback; ``--progress json`` adds a JSON error event.

Ctrl-C and SIGTERM both cancel (exit 130 / 143) through :class:`~t2vz_edit.spec.errors.Cancelled`,
which no ``except Exception`` can swallow. A signal that arrives while the command modules are
still being imported is held and acted on as soon as :func:`main` starts, and one that arrives
while a cancel is already cleaning up is held too, so the clean-up finishes.
"""
from __future__ import annotations

import signal
import sys

from t2vz_edit import _startup

# Normally already done by t2vz_edit/__init__.py, the first of our code the command runs.
_startup.hold_if_cli()
_pending = _startup.pending
_hold, _set_handlers = _startup.hold, _startup.set_handlers

import importlib  # noqa: E402
import os  # noqa: E402
import warnings  # noqa: E402

import typer  # noqa: E402

from t2vz_edit import __version__  # noqa: E402
from t2vz_edit.cli.progress_display import emit_json, quiet_third_party_bars  # noqa: E402
from t2vz_edit.spec.errors import Cancelled, T2VZError  # noqa: E402

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


class _ShowDefaults(typer.core.TyperCommand):
    """`--help` shows a default for every option: flags off say ``off``, unset options ``none``."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:
            if getattr(param, "param_type_name", "") != "option" or param.required or param.hidden:
                continue
            if param.name == "help":
                continue
            unset = param.default is None or param.default in ((), [], "")
            if param.is_flag and param.default is False and not param.secondary_opts:
                param.show_default = "off"
            elif unset and param.show_default in (None, True, False):
                param.show_default = "none"
        return params


def _show_defaults(typer_app: typer.Typer) -> None:
    for info in typer_app.registered_commands:
        if info.cls in (None, typer.core.TyperCommand):
            info.cls = _ShowDefaults
    for group in typer_app.registered_groups:
        _show_defaults(group.typer_instance)


_show_defaults(app)


_SIGNALS = {signal.SIGINT: ("interrupted (Ctrl-C)", 130), signal.SIGTERM: ("terminated (SIGTERM)", 143)}


def _cancel(signum, frame=None) -> None:
    """Raise :class:`Cancelled` once; later signals are held so the clean-up is not interrupted."""
    _set_handlers(_hold)
    what, code = _SIGNALS.get(signum, ("cancelled", 130))
    raise Cancelled(f"{what}; no output was written", exit_code=code)


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
    quiet_third_party_bars()  # before any command imports transformers or huggingface_hub
    try:
        _set_handlers(_cancel)
        if _pending:  # arrived during start-up
            _cancel(_pending[0])
        with warnings.catch_warnings():
            if not _state["debug"]:
                _quiet_library_warnings()
            code = app(args=argv, prog_name="t2vz-edit", standalone_mode=False)
    except Cancelled as exc:
        _fail(str(exc), exc.exit_code, as_json)
    except ClickException as exc:
        _usage_error(exc, as_json)
    except typer.Abort:
        _fail("aborted", 1, as_json)
    except T2VZError as exc:
        _fail(str(exc), exc.exit_code, as_json)
    except Exception as exc:  # an unexpected failure: still one line unless --debug
        from t2vz_edit.media.atomic import disk_full_error, is_disk_full

        if is_disk_full(exc):  # a full disk anywhere (cache, store): name its folder, not a hidden temp file
            _fail(str(disk_full_error(getattr(exc, "filename", None), exc, role="folder")), 1, as_json)
        _fail(f"unexpected {type(exc).__name__}: {' '.join(str(exc).split())} (rerun with --debug for the traceback)",
              1, as_json)
    finally:
        from t2vz_edit.media.atomic import release_all

        release_all()
        _set_handlers(None)
        _pending.clear()
    sys.exit(code if isinstance(code, int) else 0)


def _quiet_library_warnings() -> None:
    """Libraries' notices (torch's pickle and jit deprecations, timm's moved modules, controlnet-aux's
    optional extras) are not the user's business: hidden unless ``--debug``; this project's own stay."""
    warnings.filterwarnings("ignore")
    warnings.filterwarnings("default", module=r"t2vz_edit(\.|$)")


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
