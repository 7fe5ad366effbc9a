"""What each selected clip gets: a preset, or an instruction (from its marker or the command line).

A marker's text is a preset name when such a preset exists, else an Instruct-Pix2Pix
instruction; clips without marker text get ``--preset`` or ``--instruction``. A preset named
with ``--preset`` is the base an instruction is applied to when that preset is an instruct one.
``overrides`` (``--model``, ``--steps``, ``--size``, ``--seed``, ``--device``, ``--dtype``) apply to
every clip's spec, e.g. a DreamBooth checkpoint for the whole timeline.

>>> spec_for = spec_resolver(instruction="make it snowy", overrides={"steps": 12, "seed": None})
>>> spec, text = spec_for("make it a watercolor painting")
>>> (spec.instruction, spec.steps, text)
('make it a watercolor painting', 12, 'make it a watercolor painting')
"""
from __future__ import annotations

from typing import Any

from t2vz_edit.spec.edit_spec import EditSpec
from t2vz_edit.spec.errors import UsageError
from t2vz_edit.timeline.jobs import SpecFor


def spec_resolver(preset: str | None = None, instruction: str | None = None,
                  overrides: dict[str, Any] | None = None) -> SpecFor:
    """A function ``marker text | None -> (EditSpec, text that chose it)``."""
    from t2vz_edit.spec import presets

    fixed = {k: v for k, v in (overrides or {}).items() if v is not None}
    EditSpec(mode="instruct", instruction="check").with_overrides(**fixed)  # bad values fail now

    def base() -> EditSpec:
        if preset:
            spec = presets.load_preset(preset)[0]
            if spec.mode == "instruct":
                return spec
        return EditSpec(mode="instruct", instruction="placeholder")

    def chosen(text: str | None) -> tuple[EditSpec, str]:
        name = _preset_named(text)
        if name:
            return presets.load_preset(name)[0], name
        if text or instruction:
            picked = text or instruction
            return base().with_overrides(instruction=picked), picked
        if preset:
            return presets.load_preset(preset)[0], preset
        raise UsageError("clip has no 'restyle: ...' marker text; pass --preset NAME or --instruction TEXT")

    def spec_for(text: str | None) -> tuple[EditSpec, str]:
        spec, picked = chosen(text)
        return spec.with_overrides(**fixed), picked

    return spec_for


def _preset_named(text: str | None) -> str | None:
    """The preset ``text`` names, ignoring case (CMX writers upper-case EDL locator text:
    ``restyle: watercolor`` arrives as ``WATERCOLOR``), else None."""
    from t2vz_edit.spec import presets

    if not text:
        return None
    by_fold = {name.casefold(): name for name in presets.preset_files()}
    return by_fold.get(text.strip().casefold())
