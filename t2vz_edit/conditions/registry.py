"""Annotators by kind, found through the ``t2vz_edit.annotators`` entry-point group (:mod:`t2vz_edit.spec.registry`).

Built-ins register through the same group (``pyproject.toml``), so a plugin adds a kind — or
replaces one — by declaring an entry point ``kind = "package.module:AnnotatorClass"``.
Nothing is imported until a kind is asked for; a plugin that fails to load is an error that
names it, never skipped silently.

>>> sorted(available_kinds())[:2]
['canny', 'depth']
"""
from __future__ import annotations

from typing import Any

from t2vz_edit.conditions.base import Annotator
from t2vz_edit.spec.edit_spec import ControlSpec
from t2vz_edit.spec.registry import Registry

# The one registry of control kinds (the spec's controls name its entries).
ANNOTATORS = Registry("t2vz_edit.annotators", "control kind", flag="--control",
                      check=lambda obj: isinstance(obj, type) and issubclass(obj, Annotator) and bool(obj.kind),
                      expected="an Annotator subclass with a kind")


def available_kinds() -> list[str]:
    """Every annotator kind, built-in or plugin, without importing any of them."""
    return ANNOTATORS.names()


def register_annotator(cls: type[Annotator]) -> None:
    """Add or replace a kind at run time (the entry point is the normal route)."""
    ANNOTATORS.register(getattr(cls, "kind", ""), cls)


def annotator_class(kind: str, flag: str | None = None) -> type[Annotator]:
    """The class registered for ``kind``; :class:`UsageError` naming ``flag`` for an unknown kind."""
    return ANNOTATORS.load(kind, flag)


def make_annotator(control: ControlSpec | str, params: dict[str, Any] | None = None) -> Annotator:
    """Build the annotator for a control (its kind and params) or a bare kind name."""
    if isinstance(control, ControlSpec):
        kind, given = control.kind, {**dict(control.params), **(params or {})}
    else:
        kind, given = control, dict(params or {})
    return annotator_class(kind)(given)
