"""Where motion dynamics sit on a denoising schedule: pure arithmetic, checked with the spec.

Text2Video-Zero (Sec. 3.3.1) runs DDIM backward on frame 1 from T down to T' and re-noises
the warped latents back to T. The spec gives T and T' as fractions ``t1 > t0`` of the training
steps; each maps to the nearest timestep of the schedule and the two must differ. The engine
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

    Each fraction maps to the nearest timestep of this schedule; they must land on two
    different timesteps, else a :class:`UsageError` lists the fractions this schedule offers.
    """
    ts = [float(t) for t in timesteps]
    i1 = min(range(len(ts)), key=lambda i: abs(ts[i] - t1 * train_steps))
    i0 = min(range(len(ts)), key=lambda i: abs(ts[i] - t0 * train_steps))
    if not i0 > i1:
        allowed = ", ".join(f"{t / train_steps:.3f}" for t in ts[:12])
        raise UsageError(
            f"t0={t0} and t1={t1} map to the same timestep ({int(ts[i1])}) of this {len(ts)}-step schedule; "
            f"pick t0 < t1 (--t0/--t1) from two different values among: {allowed}{', ...' if len(ts) > 12 else ''}")
    return i1, i0
