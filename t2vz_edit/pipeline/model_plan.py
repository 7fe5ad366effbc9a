"""Every model a run needs, which of them are missing, and the one command that pulls them all.

A run (one restyle, a timeline's clips, a batch's jobs) needs, per spec: the base model, one
ControlNet and one annotator's weights per control (pose and soft edge from
``lllyasviel/Annotators``, depth from a depth model; canny needs none), the depth model of the
``depth_model`` mask provider, LoRA files, and in draft mode the distilled LoRA and TAESD.
:func:`models_needed` lists them all without loading anything; :func:`ensure_models` is the
stage every render command runs before decoding or loading: nothing missing → nothing happens;
missing and offline (``--offline`` or ``HF_HUB_OFFLINE=1``) → ONE error naming every missing
model and ONE command that pulls them; missing and online → one ``download`` progress over all
of them into the model store, then the run goes on.

>>> from t2vz_edit.spec.edit_spec import ControlSpec, EditSpec
>>> spec = EditSpec(mode="controlnet", prompt="a bronze statue", controls=(ControlSpec("pose"), ControlSpec("canny")))
>>> [(m.role, m.source) for m in models_needed([spec]).models][:3]
[('base', 'stable-diffusion-v1-5/stable-diffusion-v1-5'), ('controlnet_pose', 'lllyasviel/control_v11p_sd15_openpose'), ('annotator_pose', 'lllyasviel/Annotators')]
>>> pull_command([spec])
't2vz-edit models pull --for restyle -c pose,canny'
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from t2vz_edit.spec.edit_spec import DEFAULT_DEPTH_MODEL, EditSpec
from t2vz_edit.spec.errors import InputNotFoundError, ModelError, UsageError
from t2vz_edit.spec.progress import ProgressCallback

DEFAULT_PULLED = (".json", ".safetensors")  # what `models pull` fetches from a config.json repo unasked


@dataclass(frozen=True)
class NeededModel:
    """One model of a run: its role, its source (hub id or local path), the files it must hold."""

    role: str  # base, tokenizer, controlnet_<kind>, annotator_<kind>, mask_depth, lora_<i>, draft_lora, draft_vae
    source: str
    files: tuple[str, ...] = ()  # files a pull adds to its default list (annotator .pth, a LoRA), glob patterns
    present: bool = True

    @property
    def pull_arg(self) -> str:
        """How ``models pull`` names it: ``org/name[@rev][:pattern,pattern]`` (quoted for a shell)."""
        return shlex.quote(f"{self.source}:{','.join(self.files)}" if self.files else self.source)


@dataclass(frozen=True)
class ModelPlan:
    models: tuple[NeededModel, ...]
    command: str  # the one `models pull` command that fetches every missing model

    @property
    def missing(self) -> tuple[NeededModel, ...]:
        """Missing models, one per source, with the files every role of the run needs from it (a
        pull replaces a partial annotator folder, so files already there are named too)."""
        lacking = {m.source for m in self.models if not m.present}
        merged: dict[str, NeededModel] = {}
        for m in self.models:
            if m.source in lacking:
                seen = merged.get(m.source)
                files = tuple(dict.fromkeys((seen.files if seen else ()) + m.files))
                merged[m.source] = NeededModel(seen.role if seen else m.role, m.source, files, False)
        return tuple(merged.values())

    def offline_error(self) -> ModelError:
        from t2vz_edit.engine.store import model_store_dir

        names = ", ".join(m.source + (f" ({', '.join(m.files)})" if m.files else "") for m in self.missing)
        return ModelError(f"offline and {len(self.missing)} model(s) of this run are not in the model store "
                          f"({model_store_dir()}): {names}; pull them all with `{self.command}` on a networked "
                          "machine (then copy the store over, or `t2vz-edit models import`)")


def _hub_present(source: str) -> bool:
    from t2vz_edit.engine.models.sources import parse_source
    from t2vz_edit.engine.models.store import resolve_hub

    parsed = parse_source(source)  # a local path that does not exist raises here, naming it
    if parsed.kind != "hub":
        return True
    try:
        resolve_hub(parsed)
    except ModelError:
        return False
    return True


def _weights_present(source: str, patterns: tuple[str, ...]) -> bool:
    """As :func:`t2vz_edit.conditions.weights.resolve_weights` looks: the folder itself or its store entry."""
    from t2vz_edit.engine.models.store import entry_dir

    folder = Path(source).expanduser()
    if not folder.is_dir():
        folder = entry_dir(source)
    return all(any(p.is_file() for p in folder.glob(pattern)) for pattern in patterns)


def _spec_models(spec: EditSpec) -> list[NeededModel]:
    from t2vz_edit.conditions.registry import annotator_class
    from t2vz_edit.engine.draft import DEFAULT_DRAFT_LORA, LORA_FILE_NAMES, draft_sources

    out = [NeededModel("base", spec.resolved_model, present=_hub_present(spec.resolved_model))]
    out += _single_file_tokenizer(spec.resolved_model)
    for c in spec.controls:
        out.append(NeededModel(f"controlnet_{c.kind}", c.resolved_model, present=_hub_present(c.resolved_model)))
        for source, files in annotator_class(c.kind).weights_needed(dict(c.params)):
            extra = tuple(f for f in files if not f.endswith(DEFAULT_PULLED))  # configs and weights come anyway
            out.append(NeededModel(f"annotator_{c.kind}", source, extra, _weights_present(source, files)))
    if spec.smooth_background and spec.mask_provider == "depth_model":
        out.append(NeededModel("mask_depth", DEFAULT_DEPTH_MODEL, present=_hub_present(DEFAULT_DEPTH_MODEL)))
    for i, lora in enumerate(spec.loras):
        if not lora.path or not Path(lora.path).expanduser().is_file():
            raise InputNotFoundError(f"LoRA file {lora.path!r} does not exist; check the path (--lora FILE[:scale])")
        out.append(NeededModel(f"lora_{i}", lora.path))
    if spec.draft:
        lora, vae = draft_sources(spec)
        lora_files = LORA_FILE_NAMES if lora == DEFAULT_DRAFT_LORA else ("*.safetensors",)  # no config.json there
        out += [NeededModel("draft_lora", lora, lora_files, _hub_present(lora)),
                NeededModel("draft_vae", vae, present=_hub_present(vae))]
    return out


def _single_file_tokenizer(source: str) -> list[NeededModel]:
    """A single-file base checkpoint (.safetensors / .ckpt) brings no CLIP tokenizer: unless its
    ``<name>.config/tokenizer`` folder has one, the run also needs it from the model store."""
    from t2vz_edit.engine.models.configs_sd15 import sibling_config_dir
    from t2vz_edit.engine.models.single_file import TOKENIZER_SOURCES, tokenizer_dir
    from t2vz_edit.engine.models.sources import parse_source

    if parse_source(source).kind != "single_file":
        return []
    config_dir = sibling_config_dir(Path(source).expanduser())
    present = tokenizer_dir(config_dir / "tokenizer" if config_dir else None) is not None
    return [NeededModel("tokenizer", TOKENIZER_SOURCES[0], ("*.txt",), present)]


def models_needed(specs: Iterable[EditSpec], preset: str | None = None) -> ModelPlan:
    """Every model of ``specs`` (duplicates once) and the pull command for the missing ones."""
    specs = list(dict.fromkeys(specs))
    seen: dict[tuple, NeededModel] = {}
    for spec in specs:
        for m in _spec_models(spec):
            seen.setdefault((m.role, m.source, m.files), m)
    models = tuple(seen.values())
    missing = [m for m in models if not m.present]
    return ModelPlan(models, pull_command(specs, preset, missing) if missing else "")  # only worked out when needed


def pull_command(specs: list[EditSpec], preset: str | None = None, missing: list[NeededModel] | None = None) -> str:
    """``--preset NAME`` or ``--for restyle|generate [-c kinds] [--draft]`` when those name exactly the
    models of ``specs``; else the missing models by id (``org/name[:files]``)."""
    short = _short_form(specs, preset)
    if short:
        return f"t2vz-edit models pull {short}"
    if missing is None:
        missing = [m for spec in specs for m in _spec_models(spec) if not m.present]
    args = dict.fromkeys(m.pull_arg for m in ModelPlan(tuple(missing), "").missing)
    return "t2vz-edit models pull " + " ".join(args)


def _sources_key(spec: EditSpec) -> tuple:
    """Everything :func:`models_needed` reads from a spec."""
    from t2vz_edit.engine.draft import draft_sources

    return (spec.resolved_model, tuple((c.kind, c.resolved_model, dict(c.params).get("weights"), c.params)
                                       for c in spec.controls),
            tuple(lo.path for lo in spec.loras), draft_sources(spec) if spec.draft else None,
            spec.smooth_background and spec.mask_provider == "depth_model")


def _short_form(specs: list[EditSpec], preset: str | None) -> str:
    """The ``--preset`` / ``--for`` arguments whose spec needs exactly these models, or ''."""
    keys = {_sources_key(s) for s in specs}
    if len(keys) != 1:
        return ""
    (key,), spec = keys, specs[0]
    kinds = ",".join(c.kind for c in spec.controls) or None
    draft = " --draft" if spec.draft else ""
    candidates = ([(f"--preset {preset}{draft}", dict(preset=preset))] if preset else []) + [
        (f"--for restyle{f' -c {kinds}' if kinds else ''}{draft}", dict(command="restyle", controls=kinds)),
        (f"--for generate{draft}", dict(command="generate"))]
    for text, how in candidates:
        if how.get("command") == "generate" and kinds:
            continue
        try:
            stands_for = for_specs(draft=spec.draft, **{"command": "", **how})
        except UsageError:  # e.g. a plugin control kind has no default ControlNet: no short form names it
            continue
        if all(_sources_key(s) == key for s in stands_for):
            return text
    return ""


def for_specs(command: str, controls: str | None = None, draft: bool = False, preset: str | None = None) -> list[EditSpec]:
    """The spec(s) ``models pull --for/--preset`` stands for (the inverse of :func:`pull_command`)."""
    from t2vz_edit.pipeline.spec_builder import build_spec

    extra = {"draft": True} if draft else {}
    if preset:
        return [build_spec(preset, **extra)]
    if command == "generate":
        if controls:
            raise UsageError("--for generate takes no --control (text-to-video has no controls)")
        return [build_spec(mode="text2video", prompt="x", **extra)]
    if command == "restyle":
        if controls:
            return [build_spec(prompt="x", controls=controls, **extra)]
        return [build_spec(instruction="x", **extra)]
    raise UsageError(f"--for {command!r}: use restyle or generate")


def offline_requested(flag: bool | None = None) -> bool:
    """``--offline`` given, or ``HF_HUB_OFFLINE`` set."""
    from t2vz_edit.engine.hub import offline_env

    return bool(flag) or offline_env()


def ensure_models(specs: Iterable[EditSpec], *, offline: bool | None = None, progress: ProgressCallback | None = None,
                  preset: str | None = None) -> ModelPlan:
    """Check (offline) or fetch (online) every model of ``specs`` before anything slow runs."""
    plan = models_needed(specs, preset)
    missing = plan.missing
    if not missing:
        return plan
    if offline_requested(offline):
        raise plan.offline_error()
    from t2vz_edit.engine.models.pull import PullItem, pull_models
    from t2vz_edit.spec.progress import reporter

    items = [PullItem.parse(shlex.split(m.pull_arg)[0]) for m in missing]
    # annotator folders are filled file by file: a partial entry is replaced, not refused
    pull_models(items, force=True, progress=reporter(progress))
    return models_needed(specs, preset)


__all__ = ["NeededModel", "ModelPlan", "models_needed", "pull_command", "ensure_models", "offline_requested",
           "for_specs"]
