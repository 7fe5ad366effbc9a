"""The command-line options of a render, described once and shared by every render command.

``restyle``, ``generate``, ``timeline restyle`` (and ``batch``) take the same edit settings with
the same flags and the same help, which comes from the EditSpec field it sets
(:func:`~t2vz_edit.spec.edit_spec.field_help`). Edit settings default to ``None``: a value the
user did not give never overrides the preset, and :func:`~t2vz_edit.pipeline.spec_builder.build_spec`
fills in the rest; ``--help`` still shows the default that applies.

A command declares which options it takes and receives them as one :class:`RenderOptions`::

    @render_command(*EDIT, *OUTPUT)
    def restyle_cmd(clip: Path = typer.Argument(...), opts: RenderOptions = None) -> None:
        spec = build_spec(opts.preset, **opts.spec_overrides())

>>> RenderOptions(steps=4, motion="1,-1", control="pose:0.5").spec_overrides()["motion"]
(1.0, -1.0)
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
from dataclasses import dataclass, fields
from typing import Any, Callable, Optional, get_type_hints

import typer

from t2vz_edit.spec.edit_spec import EditSpec, field_help
from t2vz_edit.spec.errors import UsageError
from t2vz_edit.spec.parse import SIZE_HELP, FrameSize, parse_motion, parse_size, split_scale

CODEC_HELP = ("h264 or hevc (.mp4/.mov; 10-bit from 10-bit sources in trim), h264-10, prores (422 HQ), prores4444, "
              "dnxhr-hqx (.mxf/.mov), png, png16 or exr (a folder; exr is half float).")


@dataclass(frozen=True)
class Opt:
    """One option: its parameter name, flags, type, help, the EditSpec field it sets and its default."""

    name: str
    flags: tuple[str, ...]
    type: Any
    help: str
    spec_field: str = ""
    default: Any = None
    hidden: bool = False

    def parameter(self) -> inspect.Parameter:
        shown: Any = True
        if self.default is None and self.spec_field:
            shown = _spec_default(self.spec_field)
        option = typer.Option(self.default, *self.flags, help=self.help, show_default=shown, hidden=self.hidden)
        return inspect.Parameter(self.name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=self.type)


def _spec_default(name: str) -> str | bool:
    default = {f.name: f.default for f in fields(EditSpec)}[name]
    if isinstance(default, tuple):
        return ",".join(str(v) for v in default) or False
    return str(default).lower() if isinstance(default, bool) else (str(default) if default != "" else False)


def _spec(name: str, flags: tuple[str, ...], type_: Any, field: str, help: str = "") -> Opt:
    return Opt(name, flags, type_, help or field_help(field), spec_field=field)


CONTROL_HELP = "ControlNet conditions, comma-separated kind[:scale], e.g. pose,depth:0.6"
OPTIONS: dict[str, Opt] = {o.name: o for o in (
    _spec("instruction", ("--instruction", "-i"), Optional[str], "instruction"),
    _spec("prompt", ("--prompt", "-p"), Optional[str], "prompt"),
    _spec("control", ("--control", "-c"), Optional[str], "controls", CONTROL_HELP),
    _spec("negative", ("--negative",), Optional[str], "negative_prompt"),
    Opt("preset", ("--preset",), Optional[str], "Preset name (see `t2vz-edit presets list`) or .toml file."),
    _spec("model", ("--model",), Optional[str], "model"),
    _spec("lora", ("--lora",), Optional[list[str]], "loras", "LoRA .safetensors[:scale]; repeatable."),
    _spec("scheduler", ("--scheduler",), Optional[str], "scheduler"),
    _spec("seed", ("--seed",), Optional[int], "seed"),
    _spec("steps", ("--steps",), Optional[int], "steps"),
    _spec("guidance", ("--guidance",), Optional[float], "guidance_scale"),
    _spec("image_guidance", ("--image-guidance",), Optional[float], "image_guidance_scale"),
    _spec("size", ("--size",), Optional[str], "size", SIZE_HELP),
    _spec("frames", ("--frames",), Optional[int], "frames"),
    _spec("chunk", ("--chunk",), Optional[int], "chunk_size"),
    _spec("smooth", ("--smooth-background/--no-smooth-background",), Optional[bool], "smooth_background"),
    _spec("motion", ("--motion",), Optional[str], "motion", field_help("motion") + ", e.g. 1,1"),
    _spec("strength", ("--strength",), Optional[float], "motion_strength"),
    _spec("t0", ("--t0",), Optional[float], "t0"),
    _spec("t1", ("--t1",), Optional[float], "t1"),
    _spec("device", ("--device",), Optional[str], "device"),
    _spec("dtype", ("--dtype",), Optional[str], "dtype"),
    Opt("codec", ("--codec",), str, CODEC_HELP, default="h264"),
    _spec("draft", ("--draft/--no-draft",), Optional[bool], "draft"),
    Opt("crf", ("--crf",), int, "H.264 quality (lower is better, 0-51).", default=18),
    Opt("preview", ("--preview",), bool, "Also write a before/after video and a contact-sheet PNG.", default=False),
    Opt("overwrite", ("--overwrite",), bool, "Replace existing outputs; timeline and batch renders are made "
        "again even when a matching render exists.", default=False),
    Opt("force", ("--force",), bool, "Deprecated name of --overwrite.", default=False, hidden=True),
    Opt("audio", ("--audio",), str, "copy (re-encode only what the output cannot take), reencode or none.",
        default="copy"),
    Opt("offline", ("--offline",), bool, "Never touch the network: a missing model is one error naming every "
        "missing model and the command that pulls them (also HF_HUB_OFFLINE=1). Online, missing models are "
        "fetched into the model store before the run.", default=False),
    Opt("tiny", ("--tiny",), bool, "Use tiny RANDOM-weight models built on the spot (no download): checks the whole "
        "path on your footage; outputs are noise, labelled tiny-random.", default=False),
)}

# The option sets commands take. Order is the order of `--help`.
TEXT = ("instruction", "prompt", "control", "negative", "preset")
EDIT = (*TEXT, "model", "lora", "scheduler", "seed", "steps", "guidance", "image_guidance", "size", "chunk",
        "smooth", "motion", "strength", "t0", "t1", "device", "dtype", "draft")
OUTPUT = ("codec", "crf", "preview", "overwrite", "force")
MODELS = ("offline", "tiny")  # where the models come from

# option name -> EditSpec setting it overrides (the rest are render/output options).
SPEC_NAMES = {"instruction": "instruction", "prompt": "prompt", "control": "controls", "negative": "negative_prompt",
              "model": "model", "lora": "loras", "scheduler": "scheduler", "seed": "seed", "steps": "steps",
              "guidance": "guidance_scale", "image_guidance": "image_guidance_scale", "size": "size",
              "frames": "frames", "chunk": "chunk_size", "smooth": "smooth_background", "motion": "motion",
              "strength": "motion_strength", "t0": "t0", "t1": "t1", "device": "device", "dtype": "dtype",
              "draft": "draft"}


@dataclass(frozen=True)
class RenderOptions:
    """What the user gave on the command line; ``None`` = not given (the preset or default applies)."""

    instruction: Optional[str] = None
    prompt: Optional[str] = None
    control: Optional[str] = None
    negative: Optional[str] = None
    preset: Optional[str] = None
    model: Optional[str] = None
    lora: Optional[list[str]] = None
    scheduler: Optional[str] = None
    seed: Optional[int] = None
    steps: Optional[int] = None
    guidance: Optional[float] = None
    image_guidance: Optional[float] = None
    size: Optional[str] = None
    frames: Optional[int] = None
    chunk: Optional[int] = None
    smooth: Optional[bool] = None
    motion: Optional[str] = None
    strength: Optional[float] = None
    t0: Optional[float] = None
    t1: Optional[float] = None
    device: Optional[str] = None
    dtype: Optional[str] = None
    draft: Optional[bool] = None
    codec: str = "h264"
    crf: int = 18
    preview: bool = False
    overwrite: bool = False
    force: bool = False  # the deprecated name of overwrite; merged into it on the way in
    audio: str = "copy"
    offline: bool = False
    tiny: bool = False

    def frame_size(self) -> FrameSize | None:
        """``--size`` parsed (:func:`~t2vz_edit.spec.parse.parse_size`); ``None`` when not given."""
        return parse_size(self.size)

    def spec_overrides(self, *, size_checked: bool = False) -> dict[str, Any]:
        """EditSpec overrides for ``build_spec``: the given settings, parsed; unset ones left out.

        The spec keeps the long side of ``--size``. A ``WxH`` is taken only when the command has
        checked it against the frames it makes (``size_checked``, see :meth:`FrameSize.check`);
        commands over many clips of different shapes refuse it.
        """
        out: dict[str, Any] = {}
        for name, setting in SPEC_NAMES.items():
            value = getattr(self, name)
            if value is None or (name == "lora" and not value):
                continue
            if name == "size":
                size = parse_size(value)
                if size.exact is not None and not size_checked:
                    raise UsageError(f"--size {value}: this command renders clips of different shapes; give the "
                                     f"long side (--size {size.long_side}) and each keeps its aspect ratio")
                value = size.long_side
            elif name == "motion":
                value = parse_motion(value)
            elif name == "lora":
                value = tuple({"path": p, "scale": s} for p, s in map(split_scale, value))
            out[setting] = value
        return out

    def check_output(self) -> "RenderOptions":
        """Output settings that can be checked before anything is read or loaded."""
        from t2vz_edit.media.encode import CODECS

        if self.codec not in CODECS:
            raise UsageError(f"--codec {self.codec!r}: use one of {', '.join(CODECS)}")
        if not 0 <= self.crf <= 51:
            raise UsageError(f"--crf {self.crf} is outside 0-51; 18 is visually lossless for most footage")
        if self.audio not in ("copy", "reencode", "none"):
            raise UsageError(f"--audio {self.audio!r}: use copy, reencode or none")
        return self


def check_size_for_clip(opts: RenderOptions, clip, what: str) -> None:
    """A ``--size WxH`` must be the working size its long side gives for ``clip`` (probed, nothing decoded)."""
    size = opts.frame_size()
    if size is not None and size.exact is not None:
        from t2vz_edit.media.decode import working_size
        from t2vz_edit.media.probe import probe

        size.check(working_size(probe(clip), size.long_side), what)


def render_command(*names: str) -> Callable[[Callable], Callable]:
    """Give a command the shared options ``names``; it receives them as its ``RenderOptions`` parameter."""
    unknown = [n for n in names if n not in OPTIONS]
    if unknown:
        raise KeyError(f"no shared option {unknown}")

    def decorate(func: Callable) -> Callable:
        hints = get_type_hints(func)
        own = [p.replace(annotation=hints.get(p.name, p.annotation))
               for p in inspect.signature(func).parameters.values()]
        holder = next(p.name for p in own if hints.get(p.name) is RenderOptions)
        own = [p for p in own if p.name != holder]
        shared = [OPTIONS[n].parameter() for n in names]
        clash = {p.name for p in own} & set(names)
        if clash:
            raise TypeError(f"{func.__name__}: options {sorted(clash)} are shared; drop them from the command")

        @functools.wraps(func)
        def wrapper(**kwargs: Any) -> Any:
            opts = RenderOptions(**{n: kwargs.pop(n) for n in names})
            if opts.force:  # one name for "replace what exists" on every command
                typer.echo("note: --force is deprecated; use --overwrite", err=True)
                opts = dataclasses.replace(opts, overwrite=True, force=False)
            return func(**kwargs, **{holder: opts})

        params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + shared
        wrapper.__signature__ = inspect.Signature(params)
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        del wrapper.__wrapped__
        return wrapper

    return decorate
