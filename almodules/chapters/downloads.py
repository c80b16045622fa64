"""What each chapter page offers a reader who wants to run it: its downloads and the commands.

At build time every executed chapter gets, as its last cell, a **Run this chapter yourself**
section: links to three downloads served by the built book itself (the notebook as executed here,
the student copy without solutions, the jupytext source), the chapter's papermill parameters with
their defaults, the book's values and where the allowed values are listed, and the exact commands
that re-run it. The section is generated from the chapter's own parameters cell and
``book/parameters.yaml`` (one source), and is added after execution, so it is never part of the
notebook a reader downloads and runs.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat

from almodules.chapters.parameters import notebook_defaults, notebooks_dir
from almodules.chapters.student_copies import student_notebook

__all__ = ["RUN_YOURSELF", "ALLOWED_FROM", "write_downloads", "run_yourself_markdown", "add_run_yourself"]

RUN_YOURSELF = "## Run this chapter yourself"
"""Heading of the generated section (a cell starting with it is replaced on every build)."""

ALLOWED_FROM: dict[str, str] = {
    "datasets": "python -m almodules datasets", "dataset": "python -m almodules datasets",
    "embedders": "python -m almodules embedders", "embedder": "python -m almodules embedders",
    "strategies": "python -m almodules strategies", "ips": "python -m almodules strategies",
    "latency_strategies": "python -m almodules strategies", "criteria": "python -m almodules stopping",
}
"""Parameters whose allowed values a listing command prints (the registries are the one source)."""


def write_downloads(name: str, folder: Path) -> dict[str, Path]:
    """Write chapter ``name``'s student copy and jupytext source into ``folder``; returns them by kind."""
    folder.mkdir(parents=True, exist_ok=True)
    student = folder / f"{name}-student.ipynb"
    student.write_text(nbformat.writes(student_notebook(name)) + "\n", encoding="utf-8")
    source = folder / f"{name}.md"
    shutil.copyfile(notebooks_dir() / f"{name}.md", source)
    return {"student": student, "source": source}


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, (list, dict)) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def run_yourself_markdown(name: str, book: Mapping[str, Any] | None = None) -> str:
    """The section's markdown for chapter ``name``; ``book``: its values in ``book/parameters.yaml``."""
    book = dict(book or {})
    rows = ["| parameter | default | this book | allowed values |", "|---|---|---|---|"]
    for key, default in notebook_defaults(name).items():
        allowed = f"`{ALLOWED_FROM[key]}`" if key in ALLOWED_FROM else type(default).__name__.replace("NoneType", "—")
        here = f"`{_shown(book[key])}`" if key in book else "(default)"
        rows.append(f"| `{key}` | `{_shown(default)}` | {here} | {allowed} |")
    example = next((k for k in ("seeds", "strategies", "datasets", "dataset") if k in notebook_defaults(name)), None)
    value = {"seeds": "[0, 1, 2]", "strategies": "[random, margin]", "datasets": "[trec6]",
             "dataset": "trec6"}.get(example, "")
    p = f" -p {example} '{value}'" if example else ""
    return "\n".join([
        RUN_YOURSELF, "",
        "Downloads, served by this book (they work offline): "
        f"{{download}}`the notebook as executed here <{name}.ipynb>`, "
        f"{{download}}`the student copy, without solutions <downloads/{name}-student.ipynb>`, "
        f"{{download}}`the jupytext source <downloads/{name}.md>`.", "",
        "The chapter's parameters (its first code cell), with the values this book was built with:", "",
        *rows, "",
        "Re-run it with other values from a clone of the repository; results already computed are read from "
        "the result store, only new runs are computed, and only this page is rebuilt:", "",
        "```bash", f"python -m almodules book --only {name}{p}", "```", "",
        "or run a downloaded notebook directly (papermill injects the values after its parameters cell):", "",
        "```bash", f"papermill {name}.ipynb out.ipynb{p}", f"jupytext --to ipynb {name}.md   # the source, as a notebook",
        "```", ""])


def add_run_yourself(path: Path, name: str, book: Mapping[str, Any] | None = None) -> None:
    """Append (or replace) the section as the last cell of the executed notebook at ``path``."""
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if not (c.cell_type == "markdown" and c.source.startswith(RUN_YOURSELF))]
    cell = nbformat.v4.new_markdown_cell(run_yourself_markdown(name, book))
    cell.id = f"{name[:2]}-run-yourself"
    nb.cells.append(cell)
    nbformat.write(nb, path)
