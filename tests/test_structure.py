"""The package's layout: no import cycle between its modules, small modules, facts kept once."""

from __future__ import annotations

import ast
from pathlib import Path

import almodules

PACKAGE = Path(almodules.__file__).parent
MAX_LINES = 350


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Modules of the package that ``path`` imports at run time (``TYPE_CHECKING`` blocks excluded)."""
    tree = ast.parse(path.read_text())
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
               and getattr(node.test, "id", "") == "TYPE_CHECKING" for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names = [module] + [f"{module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {n for n in names if n.startswith("almodules") and n in MODULES}
    found.discard(_module_name(path))
    return found


FILES = sorted(PACKAGE.rglob("*.py"))
MODULES = {_module_name(p) for p in FILES}


def test_no_import_cycle_between_package_modules():
    graph = {_module_name(p): _imports(p) for p in FILES}
    # A package's __init__ re-exports its submodules; importing a submodule from it is no cycle.
    for name, deps in graph.items():
        deps -= {d for d in deps if d.startswith(name + ".")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycle = stack[stack.index(dep):] + [dep]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_modules_are_small_or_say_why():
    long = [f"{p.relative_to(PACKAGE)} ({n} lines)" for p in FILES
            if (n := len(p.read_text().splitlines())) > MAX_LINES
            and "Why one module" not in (ast.get_docstring(ast.parse(p.read_text())) or "")]
    assert not long, f"modules over {MAX_LINES} lines without a 'Why one module' note: {long}"


def test_every_module_declares_its_public_names():
    missing = [str(p.relative_to(PACKAGE)) for p in FILES
               if p.name not in ("__main__.py",) and "__all__" not in p.read_text()]
    assert not missing
