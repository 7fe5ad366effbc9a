"""Where renders run: the runner and renderer options ``batch run`` and ``timeline restyle`` share (described once).

Runners and renderers are registries fed by entry points (``t2vz_edit.runners``,
``t2vz_edit.renderers``), so a plugin's runner or renderer is a valid ``--runner`` / ``--renderer``.
"""
from __future__ import annotations

from typing import Optional

import typer

RUNNER = typer.Option("local", "--runner", help="local (this process), ray (one actor per GPU of a Ray cluster) "
                                                "or a plugin's runner (entry-point group t2vz_edit.runners).")
RAY_ADDRESS = typer.Option(None, "--ray-address",
                           help="Join a running Ray cluster ('auto' or host:port); default: start a local one.")
RAY_RESOURCE = typer.Option("GPU", "--ray-resource",
                            help="Ray resource each worker holds: GPU, or a custom one such as t2vz_gpu.")
WORKERS = typer.Option(None, "--workers", help="Ray workers (default: one per unit of --ray-resource in the cluster).")
RENDERER = typer.Option("restyle", "--renderer", help="restyle (diffusion), trim (copy the range; for checks) or a "
                                                      "plugin's renderer (entry-point group t2vz_edit.renderers).")


def renderer_factory(renderer: str):
    """The factory registered as ``--renderer``; :class:`UsageError` naming the renderers there are."""
    from t2vz_edit.pipeline.renderers import RENDERERS

    return RENDERERS.load(renderer)


def make_runner(runner: str, renderer: str, address: Optional[str], resource: str, workers: Optional[int]):
    """The runner for ``--runner`` rendering with the renderer called ``renderer``."""
    from t2vz_edit.batch.runners import make_runner as build
    from t2vz_edit.spec.errors import UsageError

    factory = renderer_factory(renderer)
    if workers is not None and workers < 1:
        raise UsageError(f"--workers {workers}: must be 1 or more")
    return build(runner, factory, address=address, resource=resource, workers=workers)
