"""Where motion dynamics sit on a denoising schedule: pure arithmetic, checked with the spec.

Text2Video-Zero (Sec. 3.3.1) runs DDIM backward on frame 1 from T down to T' and re-noises
the warped latents back to T. The spec gives T and T' as fractions ``t1 > t0`` of the training
steps; each maps to the nearest timestep of the schedule, T' at least one step after T. The engine
applies the same rule to the loaded model's own schedule; the spec checks it on the standard
SD1.5 DDIM schedule (1000 training steps, "leading" spacing, offset 1), so a bad t0/t1 fails
before any model loads.

>>> ddim_timesteps(50)[:3]
[981, 961, 941]
>>> motion_step_indices(ddim_timesteps(50), t0=0.881, t1=0.941, train_steps=1000)
(2, 5)
"""
from __future__ import annotations

from typing import Sequence

from t2vz_edit.spec.errors import UsageError

TRAIN_STEPS = 1000


def ddim_timesteps(steps: int, train_steps: int = TRAIN_STEPS, offset: int = 1) -> list[int]:
    """The descending DDIM timesteps of ``steps`` steps with leading spacing (diffusers' SD1.5 default)."""
    ratio = train_steps // steps
    return [i * ratio + offset for i in reversed(range(steps))]


def motion_step_indices(timesteps: Sequence[float], t0: float, t1: float, train_steps: int) -> tuple[int, int]:
    """Indices (i1, i0) into a descending schedule for the fractions t1 > t0 of the training steps.

    T (index i1) is the timestep nearest t1, T' (index i0) the one nearest t0, and T' is at
    least one step after T: few-step schedules (4 steps: 751, 501, 251, 1) put both fractions
    above the first timestep, and the defaults must still work there (``generate --steps 4``).
    A schedule of fewer than two steps has no step to warp after: :class:`UsageError`.

    >>> motion_step_indices(ddim_timesteps(4), t0=0.88, t1=0.94, train_steps=1000)
    (0, 1)
    """
    ts = [float(t) for t in timesteps]
    if len(ts) < 2:
        raise UsageError(f"motion dynamics need at least 2 denoising steps, got {len(ts)}; raise --steps")
    i1 = min(min(range(len(ts)), key=lambda i: abs(ts[i] - t1 * train_steps)), len(ts) - 2)
    i0 = max(min(range(len(ts)), key=lambda i: abs(ts[i] - t0 * train_steps)), i1 + 1)
    return i1, i0
