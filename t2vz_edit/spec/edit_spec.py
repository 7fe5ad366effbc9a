"""EditSpec: the one frozen description of an edit, valid by construction.

Built from a preset plus overrides (:func:`EditSpec.from_dict`), checked when it is made (an
invalid spec cannot exist: the constructor, ``from_dict``, ``with_overrides`` and
``dataclasses.replace`` raise :class:`UsageError`), it flows through every stage unchanged and is what a render's sidecar records (:meth:`EditSpec.to_dict`, versioned as
``EditSpec.2``; ``EditSpec.1`` is read too). Each setting is described once, in the ``help`` metadata of its field; the CLI
takes its help text from there (:func:`field_help`).

>>> spec = EditSpec(mode="instruct", instruction="make it a watercolor painting")
>>> spec.guidance_groups
3
>>> EditSpec(mode="text2video", prompt="a horse", scheduler="euler_a")
Traceback (most recent call last):
...
t2vz_edit.spec.errors.UsageError: scheduler 'euler_a': motion dynamics run on the DDIM schedule; use --scheduler ddim
>>> EditSpec.from_dict(spec.to_dict()) == spec
True
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from t2vz_edit.spec.errors import UsageError
from t2vz_edit.spec.schedule import TRAIN_STEPS, ddim_timesteps, motion_step_indices

SCHEMA = "EditSpec.2"
# EditSpec.1 is EditSpec.2 without the draft settings: read as is, draft off.
READABLE_SCHEMAS = ("EditSpec.1", SCHEMA)

MODES = ("text2video", "instruct", "controlnet")
# Names of control kinds and schedulers are not listed here: they live in the registries of the
# layers that implement them (conditions' annotators, the engine's schedulers) and are checked
# against those in one preflight before models load (pipeline/spec_builder.py).
CROSS_FRAME = ("anchor", "anchor+previous", "off")
NOISE = ("per_frame", "shared")
WARP_MODES = ("spectral", "nearest", "bilinear")
PAD_MODES = ("wrap", "border", "zeros", "reflection")
DTYPES = ("auto", "float32", "float16", "bfloat16")

DEFAULT_MODELS = {
    "text2video": "stable-diffusion-v1-5/stable-diffusion-v1-5",
    "controlnet": "stable-diffusion-v1-5/stable-diffusion-v1-5",
    "instruct": "timbrooks/instruct-pix2pix",
}
# Depth model of the depth annotator and of the neural mask provider (one default for both).
DEFAULT_DEPTH_MODEL = "depth-anything/Depth-Anything-V2-Small-hf"
DEFAULT_CONTROLNETS = {
    "canny": "lllyasviel/control_v11p_sd15_canny",
    "pose": "lllyasviel/control_v11p_sd15_openpose",
    "depth": "lllyasviel/control_v11f1p_sd15_depth",
    "softedge": "lllyasviel/control_v11p_sd15_softedge",
}


def _f(default: Any, help: str, **kw) -> Any:
    if isinstance(default, (list, dict, set)):
        raise TypeError("use tuples for EditSpec defaults")
    return field(default=default, metadata={"help": help, **kw})


@dataclass(frozen=True)
class ControlSpec:
    """One ControlNet condition: which annotator, which ControlNet, how strong."""

    kind: str = _f("canny", "annotator kind: canny, pose, depth, softedge or a plugin's")
    model: str = _f("", "ControlNet model source (hub id, folder or .safetensors); empty = default for kind")
    scale: float = _f(1.0, "conditioning scale of this ControlNet (0..2)")
    params: tuple[tuple[str, Any], ...] = _f((), "annotator parameters, e.g. (('low', 100), ('high', 200)) for canny")

    def param(self, name: str, default: Any = None) -> Any:
        return dict(self.params).get(name, default)

    @property
    def resolved_model(self) -> str:
        return self.model or DEFAULT_CONTROLNETS.get(self.kind, "")


@dataclass(frozen=True)
class LoraSpec:
    path: str = _f("", "LoRA .safetensors file applied on top of the base model")
    scale: float = _f(1.0, "LoRA strength")


@dataclass(frozen=True)
class EditSpec:
    """Everything that decides what a render looks like (not where it is written)."""

    mode: str = _f("instruct", f"edit mode, one of {', '.join(MODES)}")
    prompt: str = _f("", "text prompt (text2video and controlnet modes)")
    instruction: str = _f("", "edit instruction, e.g. 'make it a watercolor painting' (instruct mode)")
    negative_prompt: str = _f("", "what the image should not contain")
    model: str = _f("", "base model: hub id, diffusers folder or single-file .safetensors; empty = mode default")
    controls: tuple[ControlSpec, ...] = _f((), "ControlNet conditions (controlnet mode)")
    loras: tuple[LoraSpec, ...] = _f((), "LoRA files applied on top of the base model")
    scheduler: str = _f("", "sampler, e.g. ddim, euler_a, dpmpp_2m (the engine's registry); empty = mode default")
    steps: int = _f(0, "denoising steps; 0 = mode default (50 text2video/instruct, 20 controlnet)")
    guidance_scale: float = _f(0.0, "text guidance scale; 0 = mode default (7.5, 9.0 for controlnet)")
    image_guidance_scale: float = _f(1.5, "image guidance scale (instruct mode)")
    seed: int = _f(0, "random seed; with the spec it fixes the render bit for bit on one device")
    noise: str = _f("", f"initial noise, one of {', '.join(NOISE)}; empty = mode default")
    size: int = _f(512, "working size: long side in pixels (multiple of 8)")
    frames: int = _f(8, "number of frames to generate (text2video mode)")
    chunk_size: int = _f(8, "frames denoised together; memory grows with it, results do not change")
    cross_frame: str = _f("anchor", f"cross-frame attention, one of {', '.join(CROSS_FRAME)}")
    motion: tuple[float, float] = _f((1.0, 1.0), "motion direction (dx, dy) of latent motion dynamics")
    motion_strength: float = _f(12.0, "motion strength lambda in output pixels per frame at 512 px (the reference unit; 0 = off)")
    motion_dynamics: bool = _f(False, "controlnet mode: start from the shared latent moved by text-to-video motion "
                                      "dynamics (needs noise shared; text2video always uses them)")
    t0: float = _f(0.88, "motion dynamics: T', the end of frame 1's DDIM backward and the level it is warped at, "
                         "as a fraction of the training steps (0..1, nearest step, at least one step after t1)")
    t1: float = _f(0.94, "motion dynamics: T, the start of the DDIM backward and the level warped frames are "
                         "re-noised to, fraction (t0 < t1 <= 1, nearest step)")
    warp: str = _f("spectral", f"latent warp, one of {', '.join(WARP_MODES)} (spectral keeps the noise statistics; "
                               "nearest = reference, whole latent pixels; bilinear blurs half-pixel shifts)")
    warp_padding: str = _f("wrap", f"latent warp padding, one of {', '.join(PAD_MODES)} (wrap keeps long clips "
                                   "from smearing; reference: reflection)")
    smooth_background: bool = _f(False, "background smoothing on/off")
    mask_provider: str = _f("motion", "foreground mask provider for background smoothing (motion, depth, ...)")
    smooth_strength: float = _f(0.4, "background smoothing: weight of the frame's own latent (0..1)")
    smooth_step: float = _f(0.94, "background smoothing: at which fraction of the schedule to blend (0..1)")
    mask_dilation: int = _f(5, "background smoothing: mask dilation kernel in latent pixels (odd)")
    draft: bool = _f(False, "look-dev preview: a few-step distilled LoRA and the tiny autoencoder (TAESD); "
                            "re-render at full quality with --from-sidecar FILE --full")
    draft_lora: str = _f("", "draft: distilled LoRA (hub id, folder or .safetensors); empty = latent-consistency/lcm-lora-sdv1-5")
    draft_vae: str = _f("", "draft: tiny autoencoder (hub id or folder); empty = madebyollin/taesd")
    draft_scheduler: str = _f("lcm", "draft: sampler made for the distilled LoRA, e.g. lcm or tcd (the engine's registry)")
    draft_steps: int = _f(4, "draft: denoising steps (1..8)")
    draft_guidance: float = _f(1.0, "draft: text guidance scale (LCM-LoRA: 1..2; 1 = no unconditional pass)")
    dtype: str = _f("auto", f"compute dtype, one of {', '.join(DTYPES)}")
    device: str = _f("auto", "compute device: auto, cpu, cuda, cuda:N, mps")

    # ---- derived values -------------------------------------------------------------------
    @property
    def resolved_model(self) -> str:
        return self.model or DEFAULT_MODELS[self.mode]

    @property
    def resolved_steps(self) -> int:
        if self.draft:
            return self.draft_steps
        return self.steps or (20 if self.mode == "controlnet" else 50)

    @property
    def resolved_guidance(self) -> float:
        if self.draft:
            return self.draft_guidance
        return self.guidance_scale or (9.0 if self.mode == "controlnet" else 7.5)

    @property
    def resolved_scheduler(self) -> str:
        if self.draft:
            return self.draft_scheduler
        return self.scheduler or ("euler_a" if self.mode == "instruct" else "ddim")

    @property
    def resolved_noise(self) -> str:
        return self.noise or ("per_frame" if self.mode == "instruct" else "shared")

    @property
    def uses_motion_dynamics(self) -> bool:
        """Always in text2video; in controlnet mode only when asked (``motion_dynamics``, a strength):
        shared noise alone never moves a restyle's latent (what the spec and sidecar say is what runs)."""
        if self.mode == "text2video":
            return True
        return self.mode == "controlnet" and self.motion_dynamics and self.motion_strength > 0

    @property
    def guidance_groups(self) -> int:
        """Guidance groups in the batch: 3 for Instruct-Pix2Pix, 2 with text guidance, else 1."""
        if self.mode == "instruct":
            return 3
        return 2 if self.resolved_guidance > 1.0 else 1

    # ---- validation -----------------------------------------------------------------------
    def __post_init__(self) -> None:
        """Check every setting when the spec is made; raise :class:`UsageError` naming the setting."""
        self._check_text()
        self._check_values()
        self._check_motion()

    def _check_text(self) -> None:
        _one_of("mode", self.mode, MODES)
        if self.mode == "instruct":
            _require(self.instruction.strip(), "instruction", "instruct mode needs an instruction (--instruction)")
            _require(not self.controls, "controls", "instruct mode takes no controls; drop --control or use --prompt")
        else:
            _require(self.prompt.strip(), "prompt", f"{self.mode} mode needs a prompt (--prompt)")
            _require(not self.instruction, "instruction", f"{self.mode} mode takes no instruction; use --prompt")
        if self.mode == "controlnet":
            _require(self.controls, "controls", "controlnet mode needs at least one control (--control canny|pose|depth|softedge)")
        if self.mode == "text2video":
            _require(not self.controls, "controls", "text2video mode takes no controls")
            _range("frames", self.frames, 1, 100_000)
        for c in self.controls:
            _require(c.kind.strip(), "controls", "each control needs a kind, e.g. --control pose")
            _range(f"scale of control {c.kind}", c.scale, 0.0, 2.0)
        kinds = [c.kind for c in self.controls]
        _require(len(kinds) == len(set(kinds)), "controls", f"each control kind at most once, got {kinds}")

    def _check_values(self) -> None:
        if self.noise:
            _one_of("noise", self.noise, NOISE)
        _one_of("cross_frame", self.cross_frame, CROSS_FRAME)
        _one_of("warp", self.warp, WARP_MODES)
        _one_of("warp_padding", self.warp_padding, PAD_MODES)
        _require(self.warp != "spectral" or self.warp_padding == "wrap", "warp_padding",
                 f"warp spectral is a circular shift and needs warp_padding wrap, got {self.warp_padding!r}")
        _require(not self.motion_dynamics or (self.mode == "controlnet" and self.resolved_noise == "shared"),
                 "motion_dynamics", "only in controlnet mode with noise shared (text2video always has them)")
        _one_of("dtype", self.dtype, DTYPES)
        _range("draft_steps", self.draft_steps, 1, 8)
        _range("draft_guidance", self.draft_guidance, 0.0, 3.0)
        _range("steps", self.steps, 0, 1000)
        _range("guidance_scale", self.guidance_scale, 0.0, 50.0)
        _range("image_guidance_scale", self.image_guidance_scale, 0.0, 20.0)
        _range("seed", self.seed, 0, 2**63 - 1)
        _range("size", self.size, 64, 4096)
        _require(self.size % 8 == 0, "size", f"must be a multiple of 8, got {self.size}")
        _range("chunk_size", self.chunk_size, 1, 4096)
        _require(len(self.motion) == 2 and all(math.isfinite(x) for x in self.motion), "motion",
                 f"needs two finite numbers dx,dy, got {self.motion}")
        _range("motion_strength", self.motion_strength, 0.0, 1000.0)
        _range("t0", self.t0, 0.0, 1.0)
        _range("t1", self.t1, 0.0, 1.0)
        _require(self.t0 < self.t1, "t0/t1", f"need t0 < t1, got t0={self.t0} t1={self.t1}")
        _range("smooth_strength", self.smooth_strength, 0.0, 1.0)
        _range("smooth_step", self.smooth_step, 0.0, 1.0)
        _require(1 <= self.mask_dilation <= 63 and self.mask_dilation % 2 == 1, "mask_dilation",
                 f"must be an odd number from 1 to 63 (latent pixels), got {self.mask_dilation}")

    def _check_motion(self) -> None:
        """Motion dynamics run on DDIM, and t0/t1 must be two timesteps of the schedule (standard SD1.5)."""
        if not self.uses_motion_dynamics:
            return
        if self.draft:  # draft samplers (LCM / TCD) step from x_t alone; the span is one draft step or more
            _require(self.draft_steps >= 2, "draft_steps", "draft motion dynamics need at least 2 steps")
            return
        if self.resolved_scheduler != "ddim":
            raise UsageError(f"scheduler {self.resolved_scheduler!r}: motion dynamics run on the DDIM schedule; "
                             "use --scheduler ddim")
        motion_step_indices(ddim_timesteps(self.resolved_steps), self.t0, self.t1, TRAIN_STEPS)

    # ---- serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = {"schema": SCHEMA}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "controls":
                v = [{"kind": c.kind, "model": c.model, "scale": c.scale, "params": dict(c.params)} for c in v]
            elif f.name == "loras":
                v = [{"path": lo.path, "scale": lo.scale} for lo in v]
            elif isinstance(v, tuple):
                v = list(v)
            d[f.name] = v
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "spec") -> "EditSpec":
        """Build from a plain dict (sidecar, preset table, overrides). Unknown keys are refused."""
        data = dict(data)
        schema = data.pop("schema", SCHEMA)
        if schema not in READABLE_SCHEMAS:
            raise UsageError(f"{source}: schema {schema!r} is not supported; this version reads "
                             f"{', '.join(READABLE_SCHEMAS)}")
        if schema == "EditSpec.1":
            data = _from_v1(data)
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise UsageError(f"{source}: unknown setting(s) {', '.join(unknown)}; allowed: {', '.join(known)}")
        kw: dict[str, Any] = {}
        for name, value in data.items():
            if name == "controls":
                value = tuple(_control(c, source) for c in value)
            elif name == "loras":
                value = tuple(LoraSpec(**lo) if isinstance(lo, dict) else LoraSpec(path=str(lo)) for lo in value)
            elif name == "motion":
                value = tuple(float(x) for x in value)
            else:
                value = _coerce(name, value, known[name].default, source)
            kw[name] = value
        return cls(**kw)

    def with_overrides(self, **overrides: Any) -> "EditSpec":
        """A copy with some settings replaced (``None`` values are ignored)."""
        merged = self.to_dict()
        merged.update({k: v for k, v in overrides.items() if v is not None})
        return EditSpec.from_dict(merged, source="overrides")


def _from_v1(data: dict[str, Any]) -> dict[str, Any]:
    """EditSpec.1 → 2, meaning kept: v1 ran motion dynamics in controlnet mode whenever noise was
    "shared" (now the explicit ``motion_dynamics``), and warped bilinear with border padding."""
    data = dict(data)
    implied = (data.get("mode") == "controlnet" and data.get("noise") == "shared"
               and float(data.get("motion_strength", 12.0)) > 0)
    data.setdefault("motion_dynamics", implied)
    data.setdefault("warp", "bilinear")
    data.setdefault("warp_padding", "border")
    return data


def _control(value: Any, source: str) -> ControlSpec:
    if isinstance(value, ControlSpec):
        return value
    if isinstance(value, str):
        return ControlSpec(kind=value)
    value = dict(value)
    params = value.pop("params", {}) or {}
    try:
        return ControlSpec(params=tuple(sorted(dict(params).items())), **value)
    except TypeError as exc:
        raise UsageError(f"{source}: bad control {value!r}: {exc}; keys: kind, model, scale, params") from None


def _coerce(name: str, value: Any, default: Any, source: str) -> Any:
    kind = type(default)
    if kind is bool:
        if not isinstance(value, bool):
            raise UsageError(f"{source}: {name} must be true or false, got {value!r}")
        return value
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UsageError(f"{source}: {name} must be a number, got {value!r}")
        if kind is int and float(value) != int(value):
            raise UsageError(f"{source}: {name} must be a whole number, got {value!r}")
        return kind(value)
    if kind is str and not isinstance(value, str):
        raise UsageError(f"{source}: {name} must be text, got {value!r}")
    return value


def _one_of(name: str, value: Any, allowed: tuple) -> None:
    if value not in allowed:
        raise UsageError(f"{name} {value!r} is not allowed; use one of: {', '.join(map(str, allowed))}")


def _range(name: str, value: float, lo: float, hi: float) -> None:
    if not lo <= value <= hi:
        raise UsageError(f"{name} must be between {lo} and {hi}, got {value}")


def _require(ok: Any, name: str, message: str) -> None:
    if not ok:
        raise UsageError(f"{name}: {message}")


def field_help(name: str, cls: type = EditSpec) -> str:
    """The one description of a setting, for CLI help and docs."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            return f.metadata["help"]
    raise KeyError(name)


__all__ = ["EditSpec", "ControlSpec", "LoraSpec", "field_help", "replace", "SCHEMA"]
