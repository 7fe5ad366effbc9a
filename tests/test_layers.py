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


def _module_name(path: Path) -> str:
    parts = ["t2vz_edit", *path.relative_to(PKG).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph(prefix: str) -> dict[str, set[str]]:
    """Module -> modules under ``prefix`` it imports, at top level or inside functions alike.

    ``from pkg import name`` counts as importing ``pkg.name`` when that is a module, else ``pkg``;
    importing ``pkg.mod`` also runs every ``__init__`` above it, so those count too.
    """
    modules = {_module_name(p): p for p in PKG.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        if not name.startswith(prefix):
            continue
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                subs = {f"{node.module}.{a.name}" for a in node.names} & set(modules)
                targets |= subs or {node.module}
        expanded = set()
        for target in targets:
            parts = target.split(".")
            expanded |= {".".join(parts[:i]) for i in range(2, len(parts) + 1)}
        graph[name] = {t for t in expanded if t.startswith(prefix) and t in modules and t != name
                       and not name.startswith(t + ".")}  # a module's own packages are already importing
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_inside_the_engine():
    """Imports inside functions count: hiding a circle in a function body does not untie it."""
    assert _cycles(_import_graph("t2vz_edit.engine")) == []


def test_the_cycle_check_sees_a_circle_held_by_imports_inside_functions():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
