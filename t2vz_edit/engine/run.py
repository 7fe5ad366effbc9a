"""Engine entry points: an EditSpec, loaded parts and frames in; frames out.

:func:`stream_edit` takes the clip as an iterable of chunks and yields rendered chunks, so a
5-minute clip needs the memory of one segment: the clip is cut into segments of
``segment_frames`` that all attend to the same anchor (frame 0, whose conditions and motion
trajectory are kept for the whole run); inside a segment, step-major chunking keeps one chunk
of activations alive. The anchor depends only on itself, so segments and chunks change the
cost, never the frames. :func:`run_edit` is the same for a clip held in memory.

>>> from t2vz_edit.engine.tiny import build_tiny
>>> from t2vz_edit.spec.edit_spec import EditSpec
>>> spec = EditSpec(mode="text2video", prompt="a horse", frames=3, steps=4, size=64, t0=0.5, t1=0.75)
>>> run_edit(spec, EngineParts.from_components(build_tiny("sd"))).shape
(3, 64, 64, 3)
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np
import torch

from t2vz_edit.engine import motion, smoothing, vae
from t2vz_edit.engine.attention import CrossFrameContext, install_cross_frame, verify_cross_frame
from t2vz_edit.engine.draft import draft_motion_indices
from t2vz_edit.engine.modes import build_mode
from t2vz_edit.engine.modes.base import Conditions
from t2vz_edit.engine.parts import EngineParts
from t2vz_edit.engine.sampler import FrameNoise, denoise, make_scheduler
from t2vz_edit.engine.text_attention import install_shared_text
from t2vz_edit.spec.errors import ModelError, UsageError
from t2vz_edit.spec.progress import ProgressCallback, reporter

DEFAULT_SEGMENT_FRAMES = 64


@dataclass
class EngineInput:
    """One chunk of the source: frames (N, H, W, 3) uint8 RGB and control maps per kind."""

    frames: np.ndarray | None = None
    controls: dict[str, np.ndarray] | None = None

    def __len__(self) -> int:
        arrays = [self.frames] if self.frames is not None else list((self.controls or {}).values())
        return int(arrays[0].shape[0]) if arrays else 0


def uses_motion_dynamics(spec) -> bool:
    """Always in text2video; in controlnet mode when asked for (see :attr:`EditSpec.uses_motion_dynamics`)."""
    return spec.uses_motion_dynamics


def run_edit(spec, parts: EngineParts, frames: np.ndarray | None = None,
             controls: dict[str, np.ndarray] | None = None, progress: ProgressCallback | None = None, *,
             noise: FrameNoise | None = None, output: str = "uint8", size_hw: tuple[int, int] | None = None,
             segment_frames: int | None = None, observe: smoothing.Observer | None = None) -> np.ndarray:
    """Render a whole clip held in memory: (N, H, W, 3) uint8 (or float in [0, 1] with ``output="float"``).

    ``observe(frame_ids, background)`` sees each segment's smoothing mask (diagnostics, tests).
    """
    total = spec.frames if spec.mode == "text2video" else len(EngineInput(frames, controls))
    inputs = None if spec.mode == "text2video" else [EngineInput(frames, controls)]
    chunks = stream_edit(spec, parts, inputs, total_frames=total, progress=progress, noise=noise, output=output,
                         size_hw=size_hw, segment_frames=segment_frames or max(total, 1), observe=observe)
    return np.concatenate(list(chunks))


def stream_edit(spec, parts: EngineParts, inputs: Iterable[EngineInput] | None, *, total_frames: int,
                progress: ProgressCallback | None = None, noise: FrameNoise | None = None, output: str = "uint8",
                size_hw: tuple[int, int] | None = None, segment_frames: int | None = None,
                observe: smoothing.Observer | None = None) -> Iterator[np.ndarray]:
    """Yield rendered chunks in frame order while reading ``inputs`` chunk by chunk."""
    run = _Run(spec, parts, total_frames, progress, noise, size_hw)
    run.observe = observe
    segments = _segments(inputs, total_frames, segment_frames or max(DEFAULT_SEGMENT_FRAMES, 8 * spec.chunk_size))
    saved = {id(m): m.attn_processors for m in run.mode.models()}
    try:
        run.install()
        for start, seg in segments:
            for images in run.segment(start, seg):  # decoded a chunk at a time
                yield images.numpy() if output == "float" else vae.to_uint8(images)
    finally:
        for m in run.mode.models():
            m.set_attn_processor(saved[id(m)])


def _segments(inputs, total_frames: int, size: int) -> Iterator[tuple[int, EngineInput | None]]:
    """Regroup input chunks into segments of ``size`` frames: (first frame index, input or None)."""
    if inputs is None:
        for lo in range(0, total_frames, size):
            yield lo, EngineInput(frames=np.zeros((min(size, total_frames - lo), 0, 0, 3), np.uint8))
        return
    buf: list[EngineInput] = []
    start = count = 0
    for item in inputs:
        buf.append(item)
        count += len(item)
        while count >= size:
            merged = _merge(buf)
            yield start, _take(merged, 0, size)
            start, count = start + size, count - size
            buf = [_take(merged, size, None)] if count else []
    if count:
        yield start, _merge(buf)


def _take(item: EngineInput, lo: int, hi: int | None) -> EngineInput:
    return EngineInput(None if item.frames is None else item.frames[lo:hi],
                       None if item.controls is None else {k: v[lo:hi] for k, v in item.controls.items()})


def _merge(items: list[EngineInput]) -> EngineInput:
    frames = None if items[0].frames is None else np.concatenate([i.frames for i in items])
    controls = None if items[0].controls is None else {
        k: np.concatenate([i.controls[k] for i in items]) for k in items[0].controls}
    return EngineInput(frames, controls)


class _Run:
    """State of one render: mode, schedule, anchor conditions and trajectory, noise, progress."""

    def __init__(self, spec, parts: EngineParts, total_frames: int, progress, noise, size_hw):
        self.spec, self.parts, self.total = spec, parts, total_frames
        self.device, self.dtype = parts.device, parts.dtype
        self.mode = build_mode(spec, parts, self.device, self.dtype)
        self.motion = uses_motion_dynamics(spec)
        self.masks = smoothing.provider_for(spec)  # once per run: a neural provider loads its model once
        if spec.draft and parts.draft_vae is None:
            raise ModelError("draft mode: these engine parts carry no draft autoencoder (TAESD); load them with "
                             "load_parts(spec) for the draft spec")
        self.context = None if spec.cross_frame == "off" else CrossFrameContext(spec.cross_frame)
        self.scheduler = make_scheduler(spec.resolved_scheduler, parts.scheduler.config)
        self.scheduler.set_timesteps(spec.resolved_steps, device=self.device)
        self.timesteps = self.scheduler.timesteps
        self.size_hw, self.noise = size_hw, noise
        self.report, self.done = reporter(progress), 0
        self.anchor: Conditions | None = None
        self.anchor_frame: np.ndarray | None = None
        self.trajectory: tuple[torch.Tensor, torch.Tensor] | None = None  # frame 0 at T (t1) and T' (t0)
        self.observe: smoothing.Observer | None = None

    # -- setup --------------------------------------------------------------------------------
    def install(self) -> None:
        for model in self.mode.models():
            install_shared_text(model)  # prompt K/V once per guidance group, not per frame
            if self.context is not None:
                install_cross_frame(model, self.context)

    def _check(self) -> None:
        if self.context is not None:
            for model in self.mode.models():
                verify_cross_frame(model, self.context)

    def _conditions(self, item: EngineInput) -> Conditions:
        """Tensors for a segment's frames at the working size; VAE encode per chunk."""
        spec, chunk = self.spec, max(1, self.spec.chunk_size)
        if self.size_hw is None:
            h, w = item.frames.shape[1:3] if item.frames is not None and item.frames.shape[1] else \
                next(iter((item.controls or {}).values())).shape[1:3] if item.controls else (spec.size, spec.size)
            self.size_hw = vae.working_size(h, w, spec.size)
        cond = Conditions()
        if self.mode.needs_frames:
            if item.frames is None:
                raise UsageError(f"{spec.mode} mode needs source frames")
            images = vae.to_tensor(item.frames, self.size_hw, self.device, self.dtype)
            cond.image_latents = vae.encode_mode(self.parts, images, chunk).to(self.dtype)
            self.report("vae-encode", min(self.total, self.done + len(item)), self.total)
        for c in spec.controls:
            if not item.controls or c.kind not in item.controls:
                raise UsageError(f"control {c.kind}: no control maps were given for it")
            cond.controls[c.kind] = vae.to_tensor(item.controls[c.kind], self.size_hw, self.device, self.dtype)
        return cond

    def _noise(self) -> FrameNoise:
        if self.noise is None:
            f = self.parts.vae_scale_factor
            shape = (self.parts.latent_channels, self.size_hw[0] // f, self.size_hw[1] // f)
            self.noise = FrameNoise(self.spec.seed, shape, shared=self.spec.resolved_noise == "shared",
                                    device=self.device, dtype=self.dtype)
        return self.noise

    # -- one segment ---------------------------------------------------------------------------
    @torch.no_grad()  # inference only: without it autograd keeps every chunk's activations alive
    def segment(self, start: int, item: EngineInput) -> Iterator[torch.Tensor]:
        """Render frames start..start+n-1 (anchor at position 0); yields (chunk, H, W, 3) in [0, 1]."""
        n = len(item)
        cond = self._conditions(item)
        if self.anchor is None:  # the first segment starts at frame 0, the anchor
            self.anchor = _select(cond, [0])
            self.anchor_frame = None if item.frames is None else item.frames[:1]
        with_anchor = start > 0
        if with_anchor:
            cond = _cat(self.anchor, cond)
        ids = ([0] if with_anchor else []) + list(range(start, start + n))
        latents, timesteps = self._initial(ids, cond)
        scheduler = copy.deepcopy(self.scheduler)
        hook = smoothing.step_hook(self.spec, ids, timesteps, self._source(item, with_anchor), cond, scheduler,
                                   self.parts.vae_scale_factor, self.motion, provider=self.masks,
                                   observe=self.observe)
        if self.context is not None:
            self.context.start_segment(continues=with_anchor)
        latents = denoise(self.mode.eps_fn(cond, scheduler), latents, scheduler, timesteps,
                          chunk_size=self.spec.chunk_size, context=self.context,
                          generators=self._noise().step_generators(ids), on_step=hook, before_step=self._check,
                          report=lambda i: self._tick(n, len(timesteps)))
        if not torch.isfinite(latents).all():
            raise ModelError(non_finite_message(self.dtype))
        latents, chunk = (latents[1:] if with_anchor else latents), max(1, self.spec.chunk_size)
        for lo in range(0, n, chunk):
            yield vae.decode(self.parts, latents[lo:lo + chunk], chunk)
            self.report("vae-decode", start + min(n, lo + chunk), self.total)

    def _tick(self, n: int, steps: int) -> None:
        self.done += n
        self.report("denoise", min(self.done, self.total * steps), self.total * steps)

    def _source(self, item: EngineInput, with_anchor: bool) -> np.ndarray | None:
        if item.frames is None or not item.frames.shape[1]:
            return None
        return np.concatenate([self.anchor_frame, item.frames]) if with_anchor else item.frames

    def _initial(self, ids: list[int], cond: Conditions) -> tuple[torch.Tensor, torch.Tensor]:
        """Latents at the first timestep to run, (P, C, h, w), and the timesteps to run."""
        noise = self._noise()
        if not self.motion:
            return noise.initial(ids) * self.scheduler.init_noise_sigma, self.timesteps
        s = self.spec
        pick = draft_motion_indices if s.draft else motion.motion_step_indices
        i1, i0 = pick(self.timesteps, s.t0, s.t1, self.scheduler.config.num_train_timesteps)
        if self.trajectory is None:
            self.trajectory = self._anchor_backward(i1, i0)
        x1_t1, x1_t0 = self.trajectory
        shifts = motion.frame_shifts(ids, s.motion, s.motion_strength, self.parts.vae_scale_factor)
        warped = motion.translate(x1_t0.expand(len(ids), -1, -1, -1), shifts, mode=s.warp, padding=s.warp_padding)
        acp = self.scheduler.alphas_cumprod
        x_t1 = motion.renoise(warped, acp, self.timesteps[i0], self.timesteps[i1], noise.renoise(ids))
        if ids[0] == 0:
            x_t1[0] = x1_t1[0]  # the anchor keeps its own DDIM trajectory
        return x_t1, self.timesteps[i1:]

    def _anchor_backward(self, i1: int, i0: int) -> tuple[torch.Tensor, torch.Tensor]:
        """DDIM on frame 0 alone: from x_T down to t1 (kept) and on to t0 — only the steps needed."""
        scheduler = copy.deepcopy(self.scheduler)
        eps = self.mode.eps_fn(self.anchor, scheduler)
        if self.context is not None:
            self.context.stop_carrying()
        x = self._noise().initial([0]) * scheduler.init_noise_sigma
        run = dict(chunk_size=1, context=self.context, before_step=self._check,
                   generators=self._noise().step_generators([0]))  # LCM / TCD steps draw noise
        x_t1 = denoise(eps, x, scheduler, self.timesteps[:i1], **run)
        x_t0 = denoise(eps, x_t1, scheduler, self.timesteps[i1:i0], **run)
        return x_t1, x_t0


def non_finite_message(dtype: torch.dtype) -> str:
    """Why the denoised latents went NaN/inf and what to change: the dtype only when it can be the cause."""
    name = str(dtype).replace("torch.", "")
    if dtype in (torch.float16, torch.bfloat16):
        return f"the denoised latents hold NaN/inf in {name}; rerun with --dtype float32"
    return (f"the denoised latents hold NaN/inf although the dtype is already {name}; the model or a LoRA "
            "holds broken weights, or --lora's scale is too high — try another checkpoint or a lower LoRA scale")


def _select(cond: Conditions, idx: list[int]) -> Conditions:
    return Conditions(None if cond.image_latents is None else cond.image_latents[idx],
                      {k: v[idx] for k, v in cond.controls.items()})


def _cat(a: Conditions, b: Conditions) -> Conditions:
    return Conditions(None if a.image_latents is None else torch.cat([a.image_latents, b.image_latents]),
                      {k: torch.cat([a.controls[k], b.controls[k]]) for k in a.controls})


__all__ = ["run_edit", "stream_edit", "EngineInput", "uses_motion_dynamics", "EngineParts"]
