"""The denoising loop, functional: (model call, latents, schedule, noise, callback) → latents.

Step-major chunking: at every step the anchor (position 0) runs alone while its attention
K/V are recorded, then every chunk of the other frames runs against those K/V; the scheduler
steps all frames at once (every supported scheduler acts per sample), and any step noise comes
from per-frame generators keyed by (seed, frame index). So the frames do not depend on the
chunk size, and only one chunk's activations are alive at a time.

>>> noise = FrameNoise(seed=1, shape=(4, 8, 8))
>>> bool(torch.equal(noise.initial([3])[0], FrameNoise(1, (4, 8, 8)).initial([0, 3])[1]))
True
"""
from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import torch

from t2vz_edit.engine.attention import CrossFrameContext
from t2vz_edit.spec.errors import ModelError
from t2vz_edit.spec.registry import Registry

# eps_fn(latents (n, C, h, w), t, positions) -> guided noise prediction (n, C, h, w)
EpsFn = Callable[[torch.Tensor, torch.Tensor, Sequence[int]], torch.Tensor]
# on_step(step_index, t, latents, eps) -> latents at t, called before the scheduler steps with eps
StepHook = Callable[[int, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SchedulerEntry:
    """One sampler: the diffusers class and the settings put on top of the model's own schedule
    config; ``draft`` marks samplers made for distilled few-step LoRAs (draft mode's choices).

    Registered under the entry-point group ``t2vz_edit.schedulers`` (built-ins in pyproject.toml,
    plugins the same way) as ``name = "module:ENTRY"``.
    """

    diffusers_class: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    draft: bool = False

    def make(self, base_config: Mapping[str, Any]):
        """A fresh scheduler on the model's betas, its config normalised (:func:`normalise_scheduler_config`)."""
        import diffusers

        cls = getattr(diffusers, self.diffusers_class, None)
        if cls is None:
            raise ModelError(f"scheduler class {self.diffusers_class} is not in diffusers {diffusers.__version__}")
        return cls.from_config(normalise_scheduler_config(base_config), **dict(self.settings))


# The built-in samplers. DPM-Solver++ and PNDM without PRK steps are what SD1.5 users mean by
# "dpmpp_2m" and "pndm"; LCM and TCD are made for LCM-LoRA (Luo et al. 2023) and TCD / Hyper-SD LoRAs.
DDIM = SchedulerEntry("DDIMScheduler")
EULER_A = SchedulerEntry("EulerAncestralDiscreteScheduler")
EULER = SchedulerEntry("EulerDiscreteScheduler")
DPMPP_2M = SchedulerEntry("DPMSolverMultistepScheduler", {"algorithm_type": "dpmsolver++", "solver_order": 2})
UNIPC = SchedulerEntry("UniPCMultistepScheduler")
PNDM = SchedulerEntry("PNDMScheduler", {"skip_prk_steps": True})
LCM = SchedulerEntry("LCMScheduler", draft=True)
TCD = SchedulerEntry("TCDScheduler", draft=True)

# The one scheduler registry (EditSpec's scheduler and draft_scheduler name its entries). Names are
# checked against it before models load (pipeline/spec_builder.preflight).
SCHEDULERS = Registry("t2vz_edit.schedulers", "scheduler", flag="--scheduler",
                      check=lambda obj: isinstance(obj, SchedulerEntry), expected="a SchedulerEntry")
_PURPOSES = {"initial": 1, "renoise": 2, "step": 3}


# What diffusers' Stable Diffusion pipelines force on an SD scheduler config (their __init__
# rewrites outdated configs): timesteps offset by one (981 ... 1 at 50 steps, not 980 ... 0)
# and no clipping of x0 to [-1, 1] (latents are not images; DDIM's own default clips).
SD_SCHEDULER_RULES = {"steps_offset": 1, "clip_sample": False}


def normalise_scheduler_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A scheduler config as an SD pipeline runs it: absent or other values of the rules replaced.

    >>> normalise_scheduler_config({"num_train_timesteps": 1000})["clip_sample"]
    False
    """
    out = dict(config)
    changed = {k: out.get(k, "absent") for k, v in SD_SCHEDULER_RULES.items() if out.get(k) != v}
    if changed:
        log.info("scheduler config normalised as diffusers' SD pipelines do: %s (was %s)", SD_SCHEDULER_RULES, changed)
    out.update(SD_SCHEDULER_RULES)
    return out


def make_scheduler(name: str, base_config: Mapping[str, Any]):
    """A fresh diffusers scheduler registered as ``name`` in :data:`SCHEDULERS`, on the model's betas."""
    return SCHEDULERS.load(name).make(base_config)


def frame_seed(seed: int, frame: int, purpose: str) -> int:
    """A 63-bit seed that depends only on (seed, frame index, purpose) — SplitMix64 mixing."""
    z = (seed * 0x9E3779B97F4A7C15 + frame * 0xBF58476D1CE4E5B9 + _PURPOSES[purpose]) % 2**64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % 2**64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % 2**64
    return (z ^ (z >> 31)) % 2**63


class FrameNoise:
    """Gaussian noise per frame, drawn on the CPU so it is the same on every device."""

    def __init__(self, seed: int, shape: tuple[int, int, int], *, shared: bool = False,
                 device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32):
        self.seed, self.shape, self.shared = int(seed), tuple(shape), shared
        self.device, self.dtype = torch.device(device), dtype

    def _draw(self, frames: Sequence[int], purpose: str) -> torch.Tensor:
        out = [torch.randn(self.shape, generator=torch.Generator().manual_seed(frame_seed(self.seed, f, purpose)))
               for f in frames]
        return torch.stack(out).to(self.device, self.dtype)  # (N, C, h, w)

    def initial(self, frames: Sequence[int]) -> torch.Tensor:
        """x_T per frame; with ``shared`` every frame gets frame 0's noise."""
        return self._draw([0 if self.shared else f for f in frames], "initial")

    def renoise(self, frames: Sequence[int]) -> torch.Tensor:
        """ε of the DDPM forward of motion dynamics."""
        return self._draw(frames, "renoise")

    def step_generators(self, frames: Sequence[int]) -> list[torch.Generator]:
        """Generators for ancestral samplers' per-step noise, one per frame."""
        return [torch.Generator().manual_seed(frame_seed(self.seed, f, "step")) for f in frames]


def _chunks(start: int, stop: int, size: int) -> list[range]:
    return [range(lo, min(lo + size, stop)) for lo in range(start, stop, size)]


def predict(eps_fn: EpsFn, latents: torch.Tensor, t: torch.Tensor, *, chunk_size: int,
            context: CrossFrameContext | None) -> torch.Tensor:
    """Guided noise prediction for all positions (P, C, h, w) at timestep ``t``.

    Position 0 is the anchor. With ``chunk_size >= P`` one batch holds every frame; otherwise
    the anchor runs once (K/V recorded) and chunks of ``chunk_size`` frames reuse its K/V.
    """
    positions = latents.shape[0]
    if chunk_size >= positions or positions == 1:
        if context is None:
            return eps_fn(latents, t, range(positions))
        with context.batch(frames=positions):
            return eps_fn(latents, t, range(positions))
    out = torch.empty_like(latents)
    if context is None:
        for chunk in _chunks(0, positions, chunk_size):
            out[chunk.start:chunk.stop] = eps_fn(latents[chunk.start:chunk.stop], t, chunk)
        return out
    with context.record_anchor():
        out[:1] = eps_fn(latents[:1], t, range(1))
    with context.reuse_anchor():
        for chunk in _chunks(1, positions, chunk_size):
            out[chunk.start:chunk.stop] = eps_fn(latents[chunk.start:chunk.stop], t, chunk)
    context.clear()
    return out


def denoise(eps_fn: EpsFn, latents: torch.Tensor, scheduler, timesteps: torch.Tensor, *,
            chunk_size: int, context: CrossFrameContext | None, generators: list[torch.Generator] | None = None,
            on_step: StepHook | None = None, before_step: Callable[[], None] | None = None,
            report: Callable[[int], None] | None = None) -> torch.Tensor:
    """Run ``scheduler`` over ``timesteps`` on all positions (P, C, h, w); returns the latents.

    ``before_step`` runs before each model call (e.g. checking the attention processors),
    ``report(i)`` after each step; ``on_step(i, t, latents, eps)`` may edit the latents at
    timestep t, after the model's prediction and before the scheduler steps (smoothing).
    """
    step_kwargs = {}
    if generators is not None and "generator" in inspect.signature(scheduler.step).parameters:
        step_kwargs["generator"] = generators
    for i, t in enumerate(timesteps):
        if before_step is not None:
            before_step()
        if context is not None:
            context.start_step(i)
        eps = predict(eps_fn, latents, t, chunk_size=chunk_size, context=context)
        if context is not None:
            context.finish_step(i)
        if on_step is not None:
            latents = on_step(i, t, latents, eps)
        latents = scheduler.step(eps, t, latents, **step_kwargs).prev_sample
        if report is not None:
            report(i)
    return latents


__all__ = ["FrameNoise", "SCHEDULERS", "SchedulerEntry", "make_scheduler", "normalise_scheduler_config", "SD_SCHEDULER_RULES",
           "frame_seed", "predict", "denoise", "EpsFn"]
