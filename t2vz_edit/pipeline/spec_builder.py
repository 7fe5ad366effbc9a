"""Build the one EditSpec of a job from a preset plus overrides, or from a render's sidecar.

The mode follows from what was asked when no preset names it: an instruction means Video
Instruct-Pix2Pix, a prompt with controls means ControlNet video, a prompt alone means
text-to-video. Conflicting requests (an instruction together with a prompt or controls) are
refused here, once, before anything is loaded.

A restyle always starts from its source clip: :func:`build_restyle_spec` gives a prompt without
controls the default control (:data:`DEFAULT_CONTROL`, the source's edges) instead of running
text-to-video, which would never read the clip, and says so in a note for the terminal and sidecar.

>>> build_spec(instruction="make it a watercolor painting").mode
'instruct'
>>> build_spec(prompt="a bronze statue", controls="pose,depth").controls[1].kind
'depth'
>>> spec, note = build_restyle_spec(prompt="a bronze statue")
>>> spec.mode, spec.controls[0].kind, note.startswith("no --control given")
('controlnet', 'canny', True)
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from t2vz_edit.spec.edit_spec import ControlSpec, EditSpec
from t2vz_edit.spec.errors import InputNotFoundError, PresetError, UsageError
from t2vz_edit.spec.parse import split_scale
from t2vz_edit.spec.presets import load_preset

# The control a restyle with a prompt but no --control takes: canny follows the source's edges on
# any footage and needs no annotator weights (pose finds no people in a landscape; depth needs a
# depth model), so the render keeps the clip's layout and motion.
DEFAULT_CONTROL = "canny"


def parse_controls(text: str | tuple | list | None) -> tuple[ControlSpec | dict, ...] | None:
    """``"pose,depth:0.6"`` → ControlSpecs (``kind[:scale]``); ControlSpecs and dicts pass through."""
    if text is None:
        return None
    items = text.split(",") if isinstance(text, str) else list(text)
    out = []
    for item in items:
        if isinstance(item, (ControlSpec, dict)):
            out.append(item)
            continue
        kind, scale = split_scale(str(item), "--control")
        out.append(ControlSpec(kind=kind, scale=scale))
    return tuple(out)


def build_spec(preset: str | None = None, **overrides: Any) -> EditSpec:
    """The checked EditSpec from ``preset`` (name or .toml path) and explicit overrides."""
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if "controls" in overrides:
        overrides["controls"] = parse_controls(overrides["controls"])
    if overrides.get("instruction") and overrides.get("controls"):
        raise UsageError("--instruction cannot be combined with --control: instructions edit with "
                         "Instruct-Pix2Pix, controls drive ControlNet with --prompt; choose one")
    if overrides.get("instruction") and overrides.get("prompt"):
        raise UsageError("--instruction cannot be combined with --prompt: an instruction edits with "
                         "Instruct-Pix2Pix, a prompt restyles with ControlNet (--prompt \"...\" --control KIND); "
                         "drop one of them")
    where = None
    if preset:
        base, meta = load_preset(preset)
        data, where = base.to_dict(), meta.path
        if "mode" not in overrides:
            overrides = _switch_mode_if_asked(data["mode"], overrides)
    else:
        data = {"mode": _mode_of(overrides)}
    data.update(overrides)
    if "controls" in overrides:
        data["controls"] = list(overrides["controls"])
    spec = EditSpec.from_dict(data, source=f"preset {preset}" if preset else "options")
    try:
        return preflight(spec)
    except UsageError as exc:
        if where is None:
            raise
        raise PresetError(str(exc), path=where) from None


def build_restyle_spec(preset: str | None = None, **overrides: Any) -> tuple[EditSpec, str]:
    """The spec of a restyle of a source clip, and a note ('' when none) naming a default it took.

    A request that would be text-to-video (a prompt without controls, on its own or over an
    instruct preset, or a text2video preset) takes :data:`DEFAULT_CONTROL` instead, so the render
    follows the clip; ``t2vz-edit generate`` is the command for video from text alone.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    if given.get("controls") or not _would_be_text2video(preset, given):
        return build_spec(preset, **given), ""
    given["controls"] = DEFAULT_CONTROL
    if given.get("mode") == "text2video" or (preset and "mode" not in given
                                             and load_preset(preset)[0].mode == "text2video"):
        given["mode"] = "controlnet"
    note = (f"no --control given: restyling with --control {DEFAULT_CONTROL} (the source's edges) so the render "
            "follows the clip; choose another with --control pose|depth|softedge, or use `t2vz-edit generate` "
            "for video from text alone")
    return build_spec(preset, **given), note


def _would_be_text2video(preset: str | None, given: dict[str, Any]) -> bool:
    if "mode" in given:
        return given["mode"] == "text2video"
    if given.get("instruction"):
        return False
    if not preset:
        return bool(given.get("prompt"))
    mode = load_preset(preset)[0].mode
    return mode == "text2video" or (mode == "instruct" and bool(given.get("prompt")))


def preflight(spec: EditSpec) -> EditSpec:
    """Check the names a spec uses against the registries that implement them, before anything loads.

    The spec checks syntax and ranges; which control kinds, schedulers and mask providers exist is
    known only to the layers that implement them (built-ins and plugins, through entry points).
    """
    from t2vz_edit.conditions.registry import ANNOTATORS
    from t2vz_edit.engine.masks import MASK_PROVIDERS
    from t2vz_edit.engine.sampler import SCHEDULERS

    for registry, name in ((SCHEDULERS, spec.resolved_scheduler), *((ANNOTATORS, c.kind) for c in spec.controls),
                           *([(MASK_PROVIDERS, spec.mask_provider)] if spec.smooth_background else [])):
        if name not in registry:  # names only: nothing is imported for this check
            raise registry.unknown(name)
    if not SCHEDULERS.load(spec.draft_scheduler, "draft_scheduler (preset or batch file)").draft:
        drafts = [n for n in SCHEDULERS.names() if SCHEDULERS.load(n).draft]
        raise UsageError(f"draft_scheduler {spec.draft_scheduler!r} is not made for distilled few-step LoRAs; "
                         f"use one of: {', '.join(drafts)}")
    for c in spec.controls:
        if not c.resolved_model:
            raise UsageError(f"control {c.kind}: this kind has no default ControlNet; give its model "
                             "(model = \"...\" in the preset's [[controls]] table)")
    for lora in spec.loras:  # a file path: as cheap to check here as after minutes of model loading
        if not Path(lora.path).expanduser().is_file():
            raise InputNotFoundError(f"LoRA file {lora.path!r} does not exist; check --lora", path=lora.path)
    return spec


def _mode_of(overrides: dict[str, Any]) -> str:
    if "mode" in overrides:
        return overrides["mode"]
    if overrides.get("instruction"):
        return "instruct"
    if overrides.get("controls"):
        return "controlnet"
    if overrides.get("prompt"):
        return "text2video"
    raise UsageError("nothing to do: give --instruction \"...\", or --prompt \"...\" with --control KIND, "
                     "or --preset NAME (see `t2vz-edit presets list`)")


def _switch_mode_if_asked(base_mode: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """An instruction on a prompt preset (or the reverse) switches mode and clears the other text."""
    if overrides.get("instruction") and base_mode != "instruct":
        return {**overrides, "mode": "instruct", "prompt": "", "controls": (), "model": overrides.get("model", "")}
    if overrides.get("prompt") and base_mode == "instruct":
        mode = "controlnet" if overrides.get("controls") else "text2video"
        return {**overrides, "mode": mode, "instruction": "", "model": overrides.get("model", "")}
    return overrides


def spec_from_sidecar(sidecar: dict, path: str | Path) -> tuple[EditSpec, dict]:
    """The EditSpec and provenance recorded by a restyle render's sidecar."""
    provenance = sidecar.get("provenance", {})
    if "spec" not in provenance:
        raise UsageError(f"{path}: this sidecar records no edit spec (not a restyle render); "
                         "pass the .json written beside a `t2vz-edit restyle` output")
    try:
        return preflight(EditSpec.from_dict(provenance["spec"], source=str(path))), provenance
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # malformed values in a hand-edited file
        if isinstance(exc, UsageError):
            raise
        raise UsageError(f"{path}: the sidecar's spec is malformed ({' '.join(str(exc).split())}); restore the "
                         ".json written beside the render") from None
