"""t2vz-edit: restyle and edit real footage with zero-shot diffusion (Text2Video-Zero).

The Python API mirrors the CLI::

    import t2vz_edit
    info = t2vz_edit.probe("clip.mov")
"""
# First of all, importing nothing new (``_signal`` and ``sys`` are built in and already loaded): when
# this process is the t2vz-edit command, hold Ctrl-C / SIGTERM from here on for the CLI to act on
# (exit 130 / 143, one line; see t2vz_edit/_startup.py), never a traceback from inside an import.
import _signal
import sys as _sys

_held_signals = []  # signal numbers received while held, oldest first
_original_handlers = {}  # the process's own handlers, restored when a command ends


def _hold_signal(signum, frame):
    _held_signals.append(signum)


def _launched_as_cli():
    """True when this process is the ``t2vz-edit`` command (console script or ``python -m t2vz_edit``)."""
    argv0 = _sys.argv[0] if _sys.argv else ""
    if argv0.endswith(("t2vz-edit", "t2vz_edit/__main__.py")):
        return True
    orig = list(getattr(_sys, "orig_argv", ()))  # while -m imports the package, argv[0] is still "-m"
    pairs = zip(orig, orig[1:])
    return any(a == "-m" and b in ("t2vz_edit", "t2vz_edit.__main__") for a, b in pairs) or \
        any(a in ("-mt2vz_edit", "-mt2vz_edit.__main__") for a in orig)


if _launched_as_cli():
    try:
        for _sig in (_signal.SIGINT, _signal.SIGTERM):
            _original_handlers[_sig] = _signal.getsignal(_sig)
            _signal.signal(_sig, _hold_signal)
    except ValueError:  # not the main thread: nothing to hold
        pass

__version__ = "0.1.0"

__all__ = ["__version__", "probe", "restyle"]


def probe(path):
    """Probe a media file; see :func:`t2vz_edit.media.probe.probe`."""
    from t2vz_edit.media.probe import probe as _probe

    return _probe(path)


def restyle(path, preset=None, **overrides):
    """Restyle one clip; see :func:`t2vz_edit.pipeline.restyle.restyle`."""
    from t2vz_edit.pipeline.restyle import restyle as _restyle

    return _restyle(path, preset=preset, **overrides)
