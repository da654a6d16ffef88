"""The layering rule: the library never imports the presentation layers (``leftbehind.web``,
``leftbehind.cli``); ``web/`` modules import each other without cycles and hold no domain
computation (no pandas, numpy, DuckDB or shapely)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "leftbehind"
PRESENTATION = ("leftbehind.web", "leftbehind.cli")
#: ``python -m leftbehind`` is the command line itself.
ENTRY_POINTS = ("leftbehind.__main__",)
DOMAIN_LIBRARIES = ("pandas", "numpy", "duckdb", "shapely", "scipy")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth (function-level imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def is_in(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def cycles(nodes: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in nodes[v]:
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
                out.append(sorted(component))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def test_the_checker_finds_imports_and_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    found = imports_of(PACKAGE / "web" / "errors.py")
    assert "leftbehind.web.rendering" in found and "fastapi" in found


def test_the_library_never_imports_web_or_cli():
    bad = sorted(
        f"{module} imports {target}"
        for module, targets in graph().items()
        if not is_in(module, PRESENTATION + ENTRY_POINTS)
        for target in targets
        if is_in(target, PRESENTATION)
    )
    assert bad == []


def test_cli_and_web_only_meet_where_serve_starts_the_app():
    edges = graph()
    web_to_cli = [m for m, t in edges.items() if is_in(m, ("leftbehind.web",))
                  and any(is_in(x, ("leftbehind.cli",)) for x in t)]  # fmt: skip
    cli_to_web = sorted(
        m for m, t in edges.items()
        if is_in(m, ("leftbehind.cli",)) and any(is_in(x, ("leftbehind.web",)) for x in t)
    )  # fmt: skip
    assert web_to_cli == []
    assert cli_to_web == ["leftbehind.cli.serve_cmd"]


@pytest.mark.parametrize("layer", ["leftbehind.web", "leftbehind.cli", "leftbehind"])
def test_no_import_cycles(layer):
    edges = graph()
    inside = {m for m in edges if is_in(m, (layer,))}
    # 'from leftbehind.web import api' names the package too: a module is not importing its
    # own package's __init__ back, so those edges are left out
    nodes = {
        m: {t for t in edges[m] if t in inside and t != m and not m.startswith(t + ".")}
        for m in inside
    }
    assert cycles(nodes) == []


def test_web_holds_no_domain_computation():
    bad = sorted(
        f"{module} imports {target}"
        for module, targets in graph().items()
        if is_in(module, ("leftbehind.web",))
        for target in targets
        if is_in(target, DOMAIN_LIBRARIES)
    )
    assert bad == []
