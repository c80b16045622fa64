"""The chapters' sources and parameters: names, each ``parameters`` cell, the book's parameter file, each chapter's runs.

Notebook sources are jupytext MyST markdown files in ``notebooks/``; each has one cell tagged
``parameters`` (literal defaults) and may name its plan (:data:`almodules.chapters.plans.PLANS`) in
its front matter. ``book/parameters.yaml`` holds the parameters the committed book is built with.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jupytext

from almodules.chapters import plans as chapters
from almodules.core.paths import repo_root
from almodules.core.validation import ConfigError, check_choice, parse_yaml
from almodules.engine.config import RunConfig

__all__ = [
    "NotebookError", "notebooks_dir", "executed_dir", "read_source", "notebook_names", "notebook_defaults", "notebook_parameters",
    "chapter_configs", "book_configs", "check_chapter_parameters", "parse_parameter_value", "load_book_parameters",
]

_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


class NotebookError(RuntimeError):
    """A notebook failed; the message names the notebook, the cell and the error."""


def notebooks_dir() -> Path:
    """Folder of the notebook sources (``notebooks/``)."""
    return repo_root() / "notebooks"


def executed_dir() -> Path:
    """Default folder of the executed notebooks (``book/executed/``, a build output)."""
    return repo_root() / "book" / "executed"


def notebook_names() -> list[str]:
    """Names (file stems) of the notebook sources, in chapter order."""
    return sorted(p.stem for p in notebooks_dir().glob("*.md"))


def read_source(name: str):
    """Notebook ``name`` as a notebook object (from its jupytext source); refused without a kernelspec."""
    nb = jupytext.read(notebooks_dir() / f"{name}.md")
    if not nb.metadata.get("kernelspec", {}).get("name"):
        raise NotebookError(f"notebook {name}: its jupytext header names no kernelspec")
    return nb


def _parameters_cell(nb, name: str):
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise NotebookError(f"notebook {name}: expected exactly one cell tagged 'parameters', found {len(tagged)}")
    return tagged[0]


def notebook_defaults(name: str) -> dict[str, Any]:
    """The ``parameters`` cell of notebook ``name``: each name with its (literal) default, in order."""
    check_choice("notebook", name, notebook_names())
    tree = ast.parse(_parameters_cell(read_source(name), name).source)
    values = {}
    for node in tree.body:
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
            raise NotebookError(f"notebook {name}: its parameters cell may only assign literal values")
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            values[target.id] = ast.literal_eval(node.value)
    return values


def notebook_parameters(name: str) -> list[str]:
    """Names assigned in the ``parameters`` cell of notebook ``name``, in order."""
    return list(notebook_defaults(name))


def chapter_configs(name: str, parameters: Mapping[str, Any] | None = None) -> list[RunConfig]:
    """Every run notebook ``name`` needs with ``parameters`` over its defaults (validated).

    The notebook names its plan in its front matter (``almodules: {plan: al_configs}``, see
    :data:`almodules.chapters.plans.PLANS`); a notebook without one runs no AL runs.
    """
    plan = read_source(check_choice("notebook", name, notebook_names())).metadata.get("almodules", {}).get("plan")
    if plan is None:
        return []
    return chapters.plan_configs(plan, {**notebook_defaults(name), **dict(parameters or {})})


def check_chapter_parameters(name: str, parameters: Mapping[str, Any]) -> None:
    """Run chapter ``name``'s own parameter checks (the code cell after its ``parameters`` cell) here, in
    this process, with ``parameters`` over its defaults: a bad value is refused before any kernel starts.

    Raises
    ------
    ConfigError
        The chapter's check refused a value; the message names the chapter and the parameter.
    """
    nb = read_source(check_choice("notebook", name, notebook_names()))
    codes = [c for c in nb.cells if c.cell_type == "code"]
    index = next(i for i, c in enumerate(codes) if "parameters" in c.get("metadata", {}).get("tags", []))
    namespace: dict[str, Any] = {}
    exec(compile(codes[index].source, f"<{name} parameters>", "exec"), namespace)  # noqa: S102 - the book's own code
    namespace.update(parameters)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(codes[index + 1].source, f"<{name} checks>", "exec"), namespace)  # noqa: S102
    except ConfigError as exc:
        raise ConfigError(f"notebook {name}: {exc}") from None


def book_configs(book_parameters: str | os.PathLike | None = None, *, only: str | None = None) -> list[RunConfig]:
    """Every run of the committed book (each chapter with ``book/parameters.yaml``), deduplicated.

    This is the grid that ``python -m almodules grid --book`` computes and that the committed
    result store holds, so the default book build recomputes nothing. ``only``: one chapter's runs.
    """
    per = load_book_parameters(book_parameters)
    names = [check_choice("chapter", only, notebook_names())] if only is not None else notebook_names()
    configs = {c.config_hash: c for name in names for c in chapter_configs(name, per.get(name))}
    return list(configs.values())


def parse_parameter_value(text: str, name: str | None = None) -> Any:
    """A command-line parameter value, typed: YAML, so ``3`` is an int, ``[a, b]`` a list, ``null`` None.

    Numbers in exponent notation without a dot (``1e-3``), which YAML 1.1 reads as strings, are
    read as floats. ``name``: the parameter the value is for, named in the message when it does not parse.
    """
    where = f"-p {name} {text!r}" if name else f"parameter value {text!r}"
    try:
        value = parse_yaml(text, where)
    except ConfigError as exc:
        raise ConfigError(f"{exc}; a value is YAML, e.g. 3, 0.5, bbc_news, [a, b], null") from None
    if isinstance(value, str) and _NUMBER.fullmatch(text.strip()):
        return float(text)
    return value


def load_book_parameters(path: str | os.PathLike | None = None) -> dict[str, dict]:
    """Per-notebook parameters of the committed book (``book/parameters.yaml``).

    The file maps notebook names to parameter dicts; the committed book is built with them, so
    it shows the committed result set rather than the notebooks' small defaults. Top-level keys
    starting with ``_`` hold shared values for YAML anchors and are not notebooks.
    """
    path = Path(path) if path is not None else repo_root() / "book" / "parameters.yaml"
    if not path.is_file():
        raise ConfigError(f"book parameter file {str(path)!r} not found")
    loaded = parse_yaml(path.read_text(encoding="utf-8"), f"book parameter file {str(path)!r}") or {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"book parameter file {str(path)!r} must map notebook names to parameters, "
                          f"got {type(loaded).__name__}")
    data = {k: v for k, v in loaded.items() if not str(k).startswith("_")}
    for name in data:
        check_choice("notebook in book parameters", name, notebook_names())
    return data
