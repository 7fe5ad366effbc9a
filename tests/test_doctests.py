"""The examples in the package's docstrings run and print what they say (under the suite's
offline, isolated-store settings from conftest.py)."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import t2vz_edit

MODULES = sorted(m.name for m in pkgutil.walk_packages(t2vz_edit.__path__, "t2vz_edit."))


def _has_examples(name: str) -> bool:
    module = importlib.import_module(name)
    return any(t.examples for t in doctest.DocTestFinder().find(module))


WITH_EXAMPLES = [name for name in MODULES if _has_examples(name)]


def test_examples_are_found():
    assert len(WITH_EXAMPLES) >= 35, WITH_EXAMPLES  # 41 modules carry examples today


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write here
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name} (run: python -m doctest -v)"
