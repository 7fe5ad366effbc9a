"""Keep loaded models between renders that name the same ones (timelines, batches).

Loading an SD1.5 base model with its ControlNets costs seconds to tens of seconds and a few GB of
memory; a timeline or a folder of clips usually restyles everything with one model set. The
cache holds one set at a time, so memory does not grow with the number of distinct specs.

>>> from t2vz_edit.spec.edit_spec import EditSpec
>>> a = EditSpec(mode="instruct", instruction="x", model="org/m", steps=4)
>>> models_key(a) == models_key(a.with_overrides(steps=9, seed=3, instruction="y"))
True
>>> models_key(a) == models_key(a.with_overrides(model="org/other"))
False
"""
from __future__ import annotations

from t2vz_edit.spec.edit_spec import EditSpec


def models_key(spec: EditSpec) -> tuple:
    """Everything :func:`t2vz_edit.engine.models.loading.load_parts` reads from a spec."""
    return (spec.resolved_model, spec.mode, tuple((c.kind, c.resolved_model) for c in spec.controls),
            tuple((lo.path, lo.scale) for lo in spec.loras), spec.resolved_scheduler, spec.device, spec.dtype,
            (spec.draft_lora, spec.draft_vae) if spec.draft else None,
            spec.size if spec.dtype == "auto" else None)  # auto may pick bfloat16 by working size (CPU)


class ModelCache:
    """``parts_for(spec)`` loads on the first spec and on every change of :func:`models_key`."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._parts = None
        self.loads = 0  # how many times models were loaded (tests and logs read it)

    def parts_for(self, spec: EditSpec):
        key = models_key(spec)
        if key != self._key:
            from t2vz_edit.engine.models.loading import load_parts

            self._parts = self._key = None  # free the old set before loading the next
            self._parts, self._key = load_parts(spec), key
            self.loads += 1
        return self._parts
