"""Annotators by kind, found through the ``t2vz_edit.annotators`` entry-point group.

Built-ins register through the same group (``pyproject.toml``), so a plugin adds a kind — or
replaces one — by declaring an entry point ``kind = "package.module:AnnotatorClass"``.
Nothing is imported until a kind is asked for; a plugin that fails to load is an error that
names it, never skipped silently.

>>> sorted(available_kinds())[:2]
['canny', 'depth']
"""
from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import Any

from t2vz_edit.conditions.base import Annotator
from t2vz_edit.spec.edit_spec import ControlSpec
from t2vz_edit.spec.errors import ModelError, UsageError

GROUP = "t2vz_edit.annotators"

_extra: dict[str, type[Annotator]] = {}  # registered at run time (tests, embedding apps)


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def available_kinds() -> list[str]:
    """Every annotator kind, built-in or plugin, without importing any of them."""
    return sorted(set(_entry_points()) | set(_extra))


def register_annotator(cls: type[Annotator]) -> None:
    """Add or replace a kind at run time (the entry point is the normal route)."""
    if not (isinstance(cls, type) and issubclass(cls, Annotator) and cls.kind):
        raise TypeError(f"{cls!r} is not an Annotator subclass with a kind")
    _extra[cls.kind] = cls


def annotator_class(kind: str) -> type[Annotator]:
    """The class registered for ``kind``; :class:`UsageError` for an unknown kind."""
    if kind in _extra:
        return _extra[kind]
    eps = _entry_points()
    if kind not in eps:
        raise UsageError(f"unknown control kind {kind!r}; use one of: {', '.join(available_kinds())}")
    try:
        cls = eps[kind].load()
    except ImportError as exc:
        raise ModelError(f"annotator plugin {kind!r} ({eps[kind].value}) failed to import: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Annotator)):
        raise ModelError(f"annotator plugin {kind!r} ({eps[kind].value}) is not an Annotator subclass")
    return cls


def make_annotator(control: ControlSpec | str, params: dict[str, Any] | None = None) -> Annotator:
    """Build the annotator for a control (its kind and params) or a bare kind name."""
    if isinstance(control, ControlSpec):
        kind, given = control.kind, {**dict(control.params), **(params or {})}
    else:
        kind, given = control, dict(params or {})
    return annotator_class(kind)(given)
