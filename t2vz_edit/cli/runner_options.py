"""Where renders run: the runner options ``batch run`` and ``timeline restyle`` share (described once)."""
from __future__ import annotations

from typing import Optional

import typer

RUNNER = typer.Option("local", "--runner", help="local (this process) or ray (one actor per GPU of a Ray cluster).")
RAY_ADDRESS = typer.Option(None, "--ray-address",
                           help="Join a running Ray cluster ('auto' or host:port); default: start a local one.")
RAY_RESOURCE = typer.Option("GPU", "--ray-resource",
                            help="Ray resource each worker holds: GPU, or a custom one such as t2vz_gpu.")
WORKERS = typer.Option(None, "--workers", help="Ray workers (default: one per unit of --ray-resource in the cluster).")


def make_runner(runner: str, renderer: str, address: Optional[str], resource: str, workers: Optional[int]):
    """The runner for ``--runner`` rendering with the renderer called ``renderer``."""
    from t2vz_edit.batch.runners import make_runner as build
    from t2vz_edit.pipeline.renderers import RENDERERS
    from t2vz_edit.spec.errors import UsageError

    if renderer not in RENDERERS:
        raise UsageError(f"--renderer {renderer!r}: use one of {', '.join(RENDERERS)}")
    if workers is not None and workers < 1:
        raise UsageError(f"--workers {workers}: must be 1 or more")
    options = dict(address=address, resource=resource, workers=workers) if runner == "ray" else {}
    return build(runner, RENDERERS[renderer], **options)
