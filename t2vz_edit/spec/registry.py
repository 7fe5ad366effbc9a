"""The one registry mechanism of every extension kind: names found through an entry-point group.

Each extension kind (control kinds, mask providers, schedulers, renderers, runners) has one
:class:`Registry`, owned by the layer that implements the kind. Built-ins register through the
same entry-point group as plugins (``pyproject.toml``), so a plugin adds a name — or replaces
one — by declaring ``name = "package.module:object"`` in that group; each object carries its
own metadata (an annotator's params, a scheduler's diffusers class and settings, a runner's
options). Nothing is imported until a name is asked for; a plugin that fails to load is an
error that names it, never skipped.

>>> SCHEDULERS = Registry("t2vz_edit.schedulers", "scheduler", flag="--scheduler")
>>> "ddim" in SCHEDULERS.names()
True
>>> SCHEDULERS.load("heun")
Traceback (most recent call last):
...
t2vz_edit.spec.errors.UsageError: scheduler 'heun' is not known; use --scheduler with one of: ddim, dpmpp_2m, euler, euler_a, lcm, pndm, tcd, unipc
"""
from __future__ import annotations

import logging
import tomllib
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Callable

from t2vz_edit.spec.errors import ModelError, T2VZError, UsageError

DISTRIBUTION = "t2vz-edit"
# In a source checkout (editable install) the declaration itself sits beside the package.
CHECKOUT_PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
log = logging.getLogger(__name__)
_warned: set[str] = set()


@lru_cache(maxsize=None)
def _declared_in_checkout(group: str, pyproject: Path = CHECKOUT_PYPROJECT) -> tuple[EntryPoint, ...]:
    """The built-ins ``pyproject.toml`` declares for ``group``, when the package runs from a checkout."""
    try:
        table = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["entry-points"].get(group, {})
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return ()
    return tuple(EntryPoint(name, value, group) for name, value in table.items())


class Registry:
    """Names of one extension kind → objects, from entry-point group ``group`` plus run-time additions.

    ``what`` names the kind in messages, ``flag`` the option or key that chooses it, and
    ``check(obj)`` (optional) tells whether a loaded object is of the kind (``expected`` says
    what it should be).
    """

    def __init__(self, group: str, what: str, *, flag: str, check: Callable[[Any], bool] | None = None,
                 expected: str = ""):
        self.group, self.what, self.flag = group, what, flag
        self.check, self.expected = check, expected
        self.extra: dict[str, Any] = {}  # registered at run time (tests, embedding apps)

    def _entry_points(self) -> dict[str, EntryPoint]:
        found = list(entry_points(group=self.group))
        if not any(ep.dist is not None and ep.dist.name == DISTRIBUTION for ep in found):
            # t2vz-edit declares built-ins in every group: none means install metadata older than the source
            # (an editable install made before the group was added). A checkout's pyproject.toml says the same.
            builtins = _declared_in_checkout(self.group)
            if not builtins:
                raise T2VZError(f"no built-in {self.what} is registered under the entry-point group {self.group}: "
                                f"the installed metadata of {DISTRIBUTION} predates its source; reinstall it "
                                "(pip install -e .)")
            if self.group not in _warned:  # once per group and process
                _warned.add(self.group)
                log.warning("the installed metadata of %s lacks the entry-point group %s; using the checkout's "
                            "pyproject.toml (reinstall: pip install -e .)", DISTRIBUTION, self.group)
            found = [*builtins, *found]  # plugins (later) may still replace a built-in
        return {ep.name: ep for ep in found}

    def names(self) -> list[str]:
        """Every name, built-in or plugin, sorted, without importing any of them."""
        return sorted(set(self._entry_points()) | set(self.extra))

    def __contains__(self, name: object) -> bool:
        return name in self.extra or name in self._entry_points()

    def unknown(self, name: str, flag: str | None = None) -> UsageError:
        """The error for a name nobody registered: which flag (``flag`` or the kind's own) takes which names."""
        return UsageError(f"{self.what} {name!r} is not known; use {flag or self.flag} with one of: "
                          f"{', '.join(self.names())}")

    def load(self, name: str, flag: str | None = None) -> Any:
        """The object registered as ``name``: :class:`UsageError` if unknown (naming ``flag`` or the
        kind's own), :class:`ModelError` if its plugin is broken."""
        if name in self.extra:
            return self.extra[name]
        eps = self._entry_points()
        if name not in eps:
            raise self.unknown(name, flag)
        try:
            obj = eps[name].load()
        except (ImportError, AttributeError) as exc:
            raise ModelError(f"{self.what} plugin {name!r} ({eps[name].value}) failed to import: {exc}") from exc
        if self.check is not None and not self.check(obj):
            raise ModelError(f"{self.what} plugin {name!r} ({eps[name].value}) is not {self.expected}")
        return obj

    def register(self, name: str, obj: Any) -> None:
        """Add or replace ``name`` at run time (the entry point is the normal route)."""
        if self.check is not None and not self.check(obj):
            raise TypeError(f"{obj!r} is not {self.expected}")
        self.extra[name] = obj

    def __repr__(self) -> str:
        return f"Registry({self.group!r})"


__all__ = ["Registry"]
