"""Imports point one way: cli → timeline/batch → pipeline → conditions/engine/media → spec."""
from __future__ import annotations

import ast
from pathlib import Path

import t2vz_edit

PKG = Path(t2vz_edit.__file__).parent

# layer -> layers it may import (besides itself)
ALLOWED = {
    "spec": set(),
    "media": {"spec"},
    "engine": {"spec"},
    "quality": {"spec"},
    "conditions": {"spec", "engine"},
    "pipeline": {"spec", "media", "engine", "conditions", "quality"},
    "timeline": {"spec", "media", "pipeline"},
    "batch": {"spec", "media", "pipeline", "timeline"},
    "cli": {"spec", "media", "engine", "conditions", "quality", "pipeline", "timeline", "batch"},
}


def _imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_every_module_belongs_to_a_known_layer():
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).parts
        if len(rel) > 1:
            assert rel[0] in ALLOWED, f"{path}: unknown layer {rel[0]!r}; add it to ALLOWED with its rule"


def test_imports_point_downward_only():
    bad = []
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).parts
        if len(rel) == 1:
            continue  # package root (__init__, __main__) is the public facade
        layer = rel[0]
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] != "t2vz_edit" or len(parts) < 2:
                continue
            target = parts[1]
            if target != layer and target in ALLOWED and target not in ALLOWED[layer]:
                bad.append(f"{path.relative_to(PKG)} imports {name}")
    assert not bad, "layer rule broken:\n" + "\n".join(bad)
