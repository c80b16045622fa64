"""The chapters as exercise notebooks for students: ``python -m almodules student-notebooks OUTDIR``.

Each chapter (``notebooks/*.md``) is written as an unexecuted ``.ipynb`` without the solutions: every
``{solution}`` block is removed and every ``{exercise}`` block becomes a plain Markdown heading and
text that Jupyter shows as it is (the book renders the same blocks with sphinx-exercise, solutions
hidden). One source for both, as the scikit-learn MOOC derives its exercises from its solutions.
"""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import nbformat

from almodules.chapters.execution import notebook_names, notebooks_dir
from almodules.core.validation import ConfigError

__all__ = ["strip_solutions", "write_student_notebooks"]

_SOLUTION = re.compile(r"\n?```\{solution\}[^\n]*\n.*?\n```[ \t]*(?=\n|$)", re.S)
_EXERCISE = re.compile(r"```\{exercise\} ([^\n]*)\n:label: ex-(\d+)-(\d+)\n\n(.*?)\n```[ \t]*(?=\n|$)", re.S)


def strip_solutions(markdown: str) -> str:
    """``markdown`` without its ``{solution}`` blocks, its ``{exercise}`` blocks as plain Markdown."""
    text = _SOLUTION.sub("", markdown)
    text = _EXERCISE.sub(lambda m: f"**Exercise {m.group(2)}.{m.group(3)} — {m.group(1)}**\n\n{m.group(4)}", text)
    if "{solution}" in text or "{exercise}" in text:
        raise ConfigError("an exercise or solution block is not closed with ``` on its own line")
    return text


def write_student_notebooks(outdir: str | Path) -> list[Path]:
    """Write every chapter to ``outdir/<name>.ipynb`` without solutions; returns the paths written."""
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise ConfigError(f"OUTDIR must be a folder, got the file {str(outdir)!r}")
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in notebook_names():
        nb = jupytext.read(notebooks_dir() / f"{name}.md")
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = strip_solutions(cell.source)
        nb.cells = [c for c in nb.cells if c.cell_type != "markdown" or c.source.strip()]
        nb.metadata.pop("jupytext", None)
        path = outdir / f"{name}.ipynb"
        nbformat.write(nb, path)
        written.append(path)
    return written
