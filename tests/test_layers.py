"""The import rules of the package, read from the source (imports inside
functions count: hiding a cycle in a function does not remove it).

- no import cycle between modules;
- the CEL core knows nothing of pricing, usage, server or cli;
- values, ast and errors import nothing of celprice above them;
- nothing imports a private name (`_x`) from another package.
"""
from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "src" / "celprice"
PRODUCTS = ("pricing", "usage", "server", "cli")
# Modules of the products that live at the top: the package facade (which
# loads pricing on first use of its names), the `python -m celprice` entry
# point (the cli) and the pricing test helpers.
PRODUCT_MODULES = {"", "__main__", "testing"}
# The bottom of the core: what they may import from celprice.
BOTTOM = {"values": {"errors"}, "ast": set(), "errors": set()}


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, pathlib.Path]:
    return {_module_name(p): p for p in ROOT.rglob("*.py")}


MODULES = _modules()


def _resolve(importer: str, is_package: bool, level: int, module: str | None) -> str:
    base = importer.split(".") if importer else []
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, *(module.split(".") if module else [])])


def _executed(tree: ast.AST) -> list[ast.AST]:
    """Every node but those under `if TYPE_CHECKING:` (imports for annotations only never run)."""
    out: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and (
            (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
            or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")
        ):
            stack.extend(node.orelse)
            continue
        out.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return out


def _imports(name: str) -> list[tuple[str, str | None]]:
    """(module imported, name imported from it or None) for every import in a module."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    out: list[tuple[str, str | None]] = []
    for node in _executed(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("celprice.") or alias.name == "celprice":
                    out.append((alias.name[len("celprice.") :], None))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                target = _resolve(name, is_package, node.level, node.module)
            elif node.module and (node.module == "celprice" or node.module.startswith("celprice.")):
                target = node.module[len("celprice.") :] if node.module != "celprice" else ""
            else:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}" if target else alias.name
                if sub in MODULES:
                    out.append((sub, None))  # `from . import ast`: the module itself
                else:
                    out.append((target, alias.name))
    return out


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name in MODULES:
        deps = set()
        for target, _ in _imports(name):
            # Importing a.b.c runs a and a.b first; only the module named is an edge here.
            if target in MODULES and target != name:
                deps.add(target)
        graph[name] = deps
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _package_of(name: str) -> str:
    return name.split(".")[0] if "." in name or name in PRODUCTS else ""


def test_the_rules_see_the_imports() -> None:
    graph = _graph()
    assert "errors" in graph["values"]
    assert "stdlib.operators" in graph["stdlib"]
    assert "access" in graph["pricing.functions"]


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


CORE = sorted(n for n in MODULES if n.split(".")[0] not in PRODUCTS and n not in PRODUCT_MODULES)


@pytest.mark.parametrize("name", CORE)
def test_the_core_knows_nothing_of_the_products(name: str) -> None:
    bad = sorted(t for t, _ in _imports(name) if t.split(".")[0] in PRODUCTS)
    assert bad == []


@pytest.mark.parametrize("name", sorted(BOTTOM))
def test_the_bottom_imports_nothing_above_it(name: str) -> None:
    used = {t for t, _ in _imports(name)}
    assert used <= BOTTOM[name]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_private_names_cross_packages(name: str) -> None:
    bad = [
        f"{target}.{imported}"
        for target, imported in _imports(name)
        if imported is not None
        and imported.startswith("_")
        and not imported.startswith("__")
        and _package_of(target) != _package_of(name)
    ]
    assert bad == []
