"""What each selected clip gets: a preset, or an instruction (from its marker or the command line).

A marker's text is a preset name when such a preset exists, else an Instruct-Pix2Pix
instruction; clips without marker text get ``--preset``, ``--instruction`` or ``--prompt``/``--control``. A preset named
with ``--preset`` is the base an instruction is applied to when that preset is an instruct one.
``overrides`` (``--model``, ``--steps``, ``--size``, ``--seed``, ``--device``, ``--dtype``) apply to
every clip's spec, e.g. a DreamBooth checkpoint for the whole timeline.

>>> spec_for = spec_resolver(instruction="make it snowy", overrides={"steps": 12, "seed": None})
>>> spec, text = spec_for("make it a watercolor painting")
>>> (spec.instruction, spec.steps, text)
('make it a watercolor painting', 12, 'make it a watercolor painting')
"""
from __future__ import annotations

import logging
from typing import Any

from t2vz_edit.spec import presets
from t2vz_edit.spec.edit_spec import EditSpec
from t2vz_edit.spec.errors import UsageError
from t2vz_edit.timeline.jobs import SpecFor


def spec_resolver(preset: str | None = None, instruction: str | None = None,
                  overrides: dict[str, Any] | None = None) -> SpecFor:
    """A function ``marker text | None -> (EditSpec, text that chose it)``.

    ``overrides`` may carry ``prompt`` and ``controls`` (the command line's ``--prompt``/``--control``):
    clips without marker text then restyle with them, as ``restyle`` does (a prompt without
    controls takes the default control); a marker's own preset or instruction wins for its clip.
    """
    from t2vz_edit.pipeline.spec_builder import build_restyle_spec

    fixed = {k: v for k, v in (overrides or {}).items() if v is not None}
    text = {k: fixed.pop(k) for k in ("prompt", "controls") if k in fixed}
    if preset or instruction or text:  # the command line's own choice is checked now, once
        _, note = build_restyle_spec(preset, instruction=instruction, **text, **fixed)
        if note:
            logging.getLogger("t2vz_edit.timeline").warning("note: %s", note)
    else:  # bad values fail now
        EditSpec(mode="instruct", instruction="check").with_overrides(**fixed)

    def chosen(marker: str | None) -> tuple[EditSpec, str]:
        name = _preset_named(marker)
        if name:
            return build_restyle_spec(name, **fixed)[0], name
        if marker:
            base = preset if preset and presets.load_preset(preset)[0].mode == "instruct" else None
            return build_restyle_spec(base, instruction=marker, **fixed)[0], marker
        if instruction or text:
            picked = instruction or text.get("prompt") or preset or ""
            return build_restyle_spec(preset, instruction=instruction, **text, **fixed)[0], str(picked)
        if preset:
            return build_restyle_spec(preset, **fixed)[0], preset
        raise UsageError("clip has no 'restyle: ...' marker text; pass --preset NAME, --instruction TEXT or "
                         "--prompt TEXT")

    def spec_for(marker: str | None) -> tuple[EditSpec, str]:
        return chosen(marker)

    return spec_for


def _preset_named(text: str | None) -> str | None:
    """The preset ``text`` names, ignoring case (CMX writers upper-case EDL locator text:
    ``restyle: watercolor`` arrives as ``WATERCOLOR``), else None."""
    from t2vz_edit.spec import presets

    if not text:
        return None
    by_fold = {name.casefold(): name for name in presets.preset_files()}
    return by_fold.get(text.strip().casefold())
