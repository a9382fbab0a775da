"""The engine's layout is its architecture: src/docexec's packages are layers, each importing only the layers below
it (every import counts: at module level, inside a function, or for type checking only), and no modules import each
other in a circle. The order is LAYERS below, which docexec/__init__.py's docstring tells in words; each package's
own docstring says what it may import."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import docexec

SRC = Path(docexec.__file__).parent
# Lowest first: a package may import only those before it. "*": the modules at the top (the adapters, the command,
# the public API).
LAYERS = ("core", "term", "userland", "lab", "page", "policy", "hosts", "store", "run", "render", "kinds", "book",
          "drift", "cli", "*")
TOP = 8  # at most this many modules beside the packages
LONGEST_MODULE = 300  # lines
LONGEST_CLASS = 120


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The docexec modules `name` imports: `from x import y` counts y when y is a module, else x."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    found.add(f"{base}.{alias.name}")
                elif base in modules:
                    found.add(base)
    found.discard(name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _layer(module: str) -> str:
    """The layer a module belongs to: its package under docexec, or the module itself at the top."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "docexec"


def test_every_package_is_a_layer_in_the_declared_order() -> None:
    packages = sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").is_file())
    top = {_layer(m) for m in _modules()} - set(packages)
    assert sorted(LAYERS[:-1]) == packages, "LAYERS lists every package once, the top modules last"
    assert LAYERS[-1] == "*", "the modules at the top (adapters, the project) come last"
    assert len(top) <= TOP, f"{len(top)} modules at the top: {sorted(top)}"


def test_the_public_api_tells_the_layers_in_this_order() -> None:
    told = re.search(r"The engine's layers, lowest first .*?: ([a-z, ]+);", " ".join((docexec.__doc__ or "").split()))
    assert told is not None, "docexec/__init__.py's docstring names the layers"
    assert tuple(told.group(1).split(", ")) == LAYERS[:-1]


def _rank(module: str) -> int:
    layer = _layer(module)
    return LAYERS.index(layer) if layer in LAYERS else len(LAYERS) - 1


def test_no_layer_imports_one_above_it() -> None:
    upward = [f"{m} ({_layer(m)}) imports {i} ({_layer(i)})"
              for m, imports in sorted(_graph().items()) for i in sorted(imports)
              if _rank(i) > _rank(m) and m != "docexec"]
    assert not upward, "imports that run back up:\n  " + "\n  ".join(upward)


def test_no_import_circles() -> None:
    graph = _graph()
    graph.pop("docexec")  # the public API imports from every layer; nothing inside imports it back (below)
    circles = _strongly_connected(graph)
    assert not circles, "modules that import each other in a circle:\n  " + "\n  ".join(
        " -> ".join(sorted(c)) for c in circles)


def test_nothing_inside_imports_the_public_api() -> None:
    importers = sorted(m for m, imports in _graph().items() if "docexec" in imports and m != "docexec")
    assert not importers, f"these import docexec's public API (import the module that defines the name): {importers}"


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_modules_and_classes_are_short(path: Path) -> None:
    text = path.read_text()
    assert len(text.splitlines()) <= LONGEST_MODULE
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            assert length <= LONGEST_CLASS, f"class {node.name}: {length} lines"


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: the groups of two or more modules that reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_circle_finder_finds_a_circle() -> None:
    assert _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert _strongly_connected({"a": {"b"}, "b": set()}) == []
