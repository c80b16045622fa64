"""The chapters as exercise notebooks for students: ``python -m almodules student-notebooks OUTDIR``.

Each chapter (``notebooks/*.md``) is written as an unexecuted ``.ipynb`` without the solutions: every
``{solution}`` block is removed, and with it the code cell right after it (the cell that checks the
answer, hidden in the book); every ``{exercise}`` block becomes a plain Markdown heading and text that
Jupyter shows as it is (the book renders the same blocks with sphinx-exercise, solutions hidden).
Citations become their keys in brackets and included package code is copied in as a code block, so
nothing shows as a raw directive in Jupyter. One source for both, as the scikit-learn MOOC derives
its exercises from its solutions.

A copy in OUTDIR that differs from what would be written (a student's edits) is never replaced
unless asked (``force``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jupytext
import nbformat

from almodules.chapters.parameters import notebook_names, notebooks_dir
from almodules.core.paths import repo_root
from almodules.core.validation import ConfigError

__all__ = ["strip_solutions", "plain_directives", "student_notebook", "write_student_notebooks"]

_SOLUTION = re.compile(r"\n?```\{solution\}[^\n]*\n.*?\n```[ \t]*(?=\n|$)", re.S)
_EXERCISE = re.compile(r"```\{exercise\} ([^\n]*)\n:label: ex-(\d+)-(\d+)\n\n(.*?)\n```[ \t]*(?=\n|$)", re.S)
_CITE = re.compile(r"\{cite[a-z:]*\}`([^`]+)`")
_INCLUDE = re.compile(r"```\{literalinclude\} (\S+)\n((?::[\w-]+:[^\n]*\n)*)```")


def strip_solutions(markdown: str) -> str:
    """``markdown`` without its ``{solution}`` blocks, its ``{exercise}`` blocks as plain Markdown."""
    text = _SOLUTION.sub("", markdown)
    text = _EXERCISE.sub(lambda m: f"**Exercise {m.group(2)}.{m.group(3)} — {m.group(1)}**\n\n{m.group(4)}", text)
    if "{solution}" in text or "{exercise}" in text:
        raise ConfigError("an exercise or solution block is not closed with ``` on its own line")
    return text


def _included(match: re.Match) -> str:
    path = repo_root() / match.group(1).lstrip("/")
    options = dict(re.findall(r":([\w-]+):\s*([^\n]*)", match.group(2)))
    source = path.read_text(encoding="utf-8")
    if "pyobject" in options:
        node = next((n for n in ast.walk(ast.parse(source)) if isinstance(n, (ast.FunctionDef, ast.ClassDef))
                     and n.name == options["pyobject"]), None)
        if node is None:
            raise ConfigError(f"literalinclude of {match.group(1)}: no function or class {options['pyobject']!r}")
        source = ast.get_source_segment(source, node, padded=True)
    return f"```{options.get('language', '')}\n# from {match.group(1).lstrip('/')}\n{source.rstrip()}\n```"


def plain_directives(markdown: str) -> str:
    """``markdown`` with citations as ``[key, key]`` and included code copied in as a code block."""
    text = _CITE.sub(lambda m: "[" + ", ".join(k.strip() for k in m.group(1).split(",")) + "]", markdown)
    return _INCLUDE.sub(_included, text)


def student_notebook(name: str) -> nbformat.NotebookNode:
    """Chapter ``name`` as students get it: no solutions, no answer-checking cells, no raw directives."""
    nb = jupytext.read(notebooks_dir() / f"{name}.md")
    cells, checks_an_answer = [], False
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            solutions = list(_SOLUTION.finditer(cell.source.rstrip()))
            checks_an_answer = bool(solutions) and solutions[-1].end() == len(cell.source.rstrip())
            cell.source = plain_directives(strip_solutions(cell.source))
            if cell.source.strip():
                cells.append(cell)
        elif cell.cell_type == "code" and checks_an_answer:
            checks_an_answer = False  # the cell that shows the answer goes with its solution
        else:
            cells.append(cell)
    nb.cells = cells
    for index, cell in enumerate(nb.cells):
        cell.id = f"{name[:2]}-{index}"  # stable ids: an unchanged copy is written byte for byte the same
    nb.metadata.pop("jupytext", None)
    return nb


def write_student_notebooks(outdir: str | Path, *, force: bool = False) -> list[Path]:
    """Write every chapter to ``outdir/<name>.ipynb`` without solutions; returns the paths written.

    Raises
    ------
    ConfigError
        ``outdir`` is a file, or (without ``force``) holds copies that differ from what would be written
        (edited by a student): they are named and nothing is written.
    """
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise ConfigError(f"OUTDIR must be a folder, got the file {str(outdir)!r}")
    texts = {outdir / f"{name}.ipynb": nbformat.writes(student_notebook(name)) + "\n" for name in notebook_names()}
    edited = [p.name for p, text in texts.items() if p.exists() and p.read_text(encoding="utf-8") != text]
    if edited and not force:
        raise ConfigError(f"{outdir} holds copies that differ from the chapters (edited?): {', '.join(edited)}; "
                          "nothing was written. Give another OUTDIR, or --force to replace them")
    outdir.mkdir(parents=True, exist_ok=True)
    for path, text in texts.items():
        path.write_text(text, encoding="utf-8")
    return list(texts)
