"""The book's notebooks: structure, the runner, and each chapter executed with tiny parameters."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

from almodules.chapters import execution as notebooks
from almodules.chapters import parameters
from almodules.chapters import plans as chapters
from almodules.core.paths import repo_root
from almodules.results.planning import plan_runs
from almodules.results.store import ResultStore

NAMES = parameters.notebook_names()


def _tiny(name) -> dict:
    """The chapter's own fast parameters (``almodules: {tiny: ...}`` in its front matter)."""
    return _source(name).metadata["almodules"]["tiny"]


def _source(name):
    return jupytext.read(repo_root() / "notebooks" / f"{name}.md")


def _defaults(name) -> dict:
    """Values of the notebook's parameters cell (plain literals)."""
    cell = next(c for c in _source(name).cells if "parameters" in c.metadata.get("tags", []))
    values: dict = {}
    exec(compile(ast.parse(cell.source), name, "exec"), {}, values)
    return values


def test_every_chapter_is_in_the_table_of_contents_in_order():
    toc = (repo_root() / "_toc.yml").read_text()
    listed = re.findall(r"file: book/executed/(\S+)", toc)
    assert listed == NAMES and len(NAMES) >= 5


@pytest.mark.parametrize("name", NAMES)
def test_notebook_structure(name):
    nb = _source(name)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert set(_tiny(name)) <= set(_defaults(name)), "tiny parameters name parameters of the chapter"
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", [])]
    assert tagged == [0], "exactly one parameters cell, the first code cell"
    assert code[1].source.startswith("# Check the parameters"), "validation right after the parameters"
    assert "setup_plotly_for_book()" in code[1].source
    for cell in code:
        if "figures." in cell.source and "setup_plotly_for_book" not in cell.source:
            assert "hide-input" in cell.metadata.get("tags", []), f"plotting cell not hidden:\n{cell.source}"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "## Paper and this run" in text and "**Paper.**" in text and "**This run.**" in text
    exercises = re.findall(r"```\{exercise\} [^\n]+\n:label: (ex-\d+-\d+)\n", text)
    assert exercises, "at least one numbered exercise (sphinx-exercise)"
    for label in exercises:
        assert f"```{{solution}} {label}\n:class: dropdown\n" in text, f"{label}: a hidden solution"
    assert "$" not in text, "no LaTeX math: MathJax would need a CDN (use Unicode)"


@pytest.mark.parametrize("name", NAMES)
def test_declared_parameters_match_the_parameters_cell(name):
    assert parameters.notebook_parameters(name) == list(_defaults(name))


@pytest.mark.parametrize("text, value", [("3", 3), ("0.5", 0.5), ("1e-3", 0.001), ("[a, b]", ["a", "b"]),
                                         ("null", None), ("bbc_news", "bbc_news"), ("[0, 1, 2]", [0, 1, 2]),
                                         ("true", True)])
def test_parameter_values_are_typed(text, value):
    assert parameters.parse_parameter_value(text) == value


def test_unknown_parameter_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(ValueError, match="colour.*allowed values: .*datasets"):
        notebooks.run_notebooks(parameters={"colour": "red"}, output_dir=tmp_path)
    assert not list(tmp_path.iterdir())


def test_unknown_notebook_is_refused(tmp_path):
    with pytest.raises(ValueError, match="notebook.*01_embeddings"):
        notebooks.run_notebooks(only="06_missing", output_dir=tmp_path)


def test_book_parameters_name_real_notebooks_and_parameters():
    book = parameters.load_book_parameters()
    for name, params in book.items():
        assert set(params) <= set(parameters.notebook_parameters(name)), name


def test_the_committed_store_holds_every_run_of_the_book():
    """The default book build computes nothing: `grid --book` has been run and committed."""
    planned = plan_runs(parameters.book_configs())
    missing = ResultStore(repo_root() / "data" / "results").missing(p.run_key for p in planned)
    assert len(planned) > 1000 and not missing, f"{len(missing)} runs of the book not committed"


@pytest.mark.parametrize("name", NAMES)
def test_every_chapter_plan_takes_its_parameters_by_name(name):
    plan = _source(name).metadata.get("almodules", {}).get("plan")
    if plan is None:
        assert parameters.chapter_configs(name) == []
        return
    assert plan in chapters.PLANS
    assert set(inspect.signature(getattr(chapters, plan)).parameters) <= set(_defaults(name)), name


def test_every_strategy_reference_is_in_the_bibliography():
    from almodules.engine.strategies import STRATEGIES

    bib = (repo_root() / "book" / "references.bib").read_text()
    keys = set(re.findall(r"^@\w+\{([^,]+),", bib, flags=re.M))
    assert {s.reference for s in STRATEGIES.values()} <= keys
    assert {"rauch2025nofreelunch", "maekawa2022tyrogue"} <= keys


@pytest.fixture
def isolated_store(tmp_path, monkeypatch):
    monkeypatch.setenv("ALM_RESULTS_DIR", str(tmp_path / "results"))
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_chapter_runs_with_tiny_parameters(name, isolated_store):
    out_dir = isolated_store / "executed"
    (path,) = notebooks.run_notebooks(only=name, parameters=_tiny(name), output_dir=out_dir, progress=False)
    nb = nbformat.read(path, as_version=4)
    # One visible parameters cell: every parameter with the value it ran with; the defaults hidden.
    (defaults,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    (effective,) = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert "remove-cell" in defaults.metadata["tags"]
    assert [line.split(" = ")[0] for line in effective.source.splitlines()[1:]] == list(_defaults(name))
    figures = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
        for out in cell.outputs:
            data = out.get("data", {})
            if "application/vnd.plotly.v1+json" in data:
                assert "Plotly.newPlot" in data["text/html"]  # the HTML the book renders
                figures += 1
    assert figures >= 1  # tables are HTML tables, not figures


@pytest.mark.parametrize("given, message", [
    ({"datasets": ["nope"]}, "unknown dataset 'nope'; allowed values: .*bbc_news"),
    ({"strategies": ["random", "magic"]}, "unknown strategy 'magic'; allowed values: .*badge"),
    ({"budget": -5}, "budget must be >= "),
])
def test_bad_parameter_values_are_refused_before_any_kernel_starts(given, message, isolated_store):
    with pytest.raises(ValueError, match=message):
        notebooks.run_notebooks(only="03_al_cycles", parameters=given, output_dir=isolated_store / "x",
                                progress=False)
    assert not (isolated_store / "x").exists() or not list((isolated_store / "x").iterdir())
    assert not (isolated_store / "results" / "runs").exists()  # nothing was computed


def test_cli_refuses_an_unknown_parameter_with_the_allowed_ones(capsys, tmp_path, monkeypatch):
    from almodules.cli import main

    assert main(["notebooks", "--only", "03_al_cycles", "-p", "colour", "red"]) == 2
    err = capsys.readouterr().err
    assert "colour" in err and "strategies" in err


def test_build_without_executed_notebooks_names_them(tmp_path):
    with pytest.raises(parameters.NotebookError, match="not executed yet: 01_embeddings, .*05_tyrogue"):
        notebooks.build_book(execute=False, root=tmp_path / "root", progress=False)


def test_per_notebook_parameters_are_checked_against_that_notebook(tmp_path):
    with pytest.raises(ValueError, match="parameter of notebook 01_embeddings 'strategies'"):
        notebooks.run_notebooks(only="01_embeddings", per_notebook={"01_embeddings": {"strategies": ["margin"]}},
                                output_dir=tmp_path)


def test_a_failed_chapter_fails_the_build_with_its_name_and_cell(tmp_path):
    import nbformat as nbf

    root = tmp_path / "root"
    executed = root / "book" / "executed"
    executed.mkdir(parents=True)
    for name in NAMES:
        nb = nbf.v4.new_notebook()
        cell = nbf.v4.new_code_cell("x = 1\nraise ValueError('boom')" if name == NAMES[2] else "x = 1")
        if name == NAMES[2]:
            cell.outputs = [nbf.v4.new_output("error", ename="ValueError", evalue="boom", traceback=[])]
        nb.cells = [cell]
        nbf.write(nb, executed / f"{name}.ipynb")
    with pytest.raises(parameters.NotebookError, match=f"notebook {NAMES[2]} holds an error in cell 0 "
                                                      r"\('x = 1'\): ValueError: boom"):
        notebooks.build_book(execute=False, root=root, progress=False)
    assert not (root / "_build").exists()


@pytest.mark.slow
def test_a_chapter_rerun_on_another_dataset_is_kept_when_the_book_is_rebuilt(tmp_path, isolated_store):
    import yaml

    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(yaml.safe_dump({name: _tiny(name) for name in NAMES}))
    root = tmp_path / "root"
    notebooks.build_book(book_parameters=tiny, root=root, progress=False)
    page = root / "_build" / "html" / "book" / "executed" / "03_al_cycles.html"
    summary = root / "_build" / "html" / "book" / "reproduction.html"
    assert "rotten_tomatoes" not in page.read_text()
    before = summary.read_text()
    # The documented way: re-run one chapter with other parameters and rebuild around it.
    notebooks.build_book(only="03_al_cycles", parameters={"datasets": ["rotten_tomatoes"]}, book_parameters=tiny, root=root,
                         progress=False)
    assert "rotten_tomatoes" in page.read_text()
    assert summary.read_text() != before  # the summary quotes chapter 3: rebuilt from its new run
    other = (root / "_build" / "html" / "book" / "executed" / "04_embedding_quality.html").read_text()
    assert "bbc_news" in other and "rotten_tomatoes" not in other  # the other chapters as executed before


def test_student_notebooks_keep_the_exercises_and_leave_out_the_solutions(tmp_path, capsys):
    import nbformat

    from almodules.chapters.student_copies import strip_solutions
    from almodules.cli import main

    assert main(["student-notebooks", str(tmp_path / "out")]) == 0
    written = sorted((tmp_path / "out").glob("*.ipynb"))
    assert [p.stem for p in written] == NAMES
    for path in written:
        nb = nbformat.read(path, as_version=4)
        source = _source(path.stem)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert "{solution}" not in text and "{exercise}" not in text and "**Exercise " in text
        assert "{cite}" not in text and "{literalinclude}" not in text
        copied = [c.source for c in nb.cells if c.cell_type == "code"]
        kept = [c.source for c in source.cells if c.cell_type == "code"]
        assert set(copied) <= set(kept) and copied == [s for s in kept if s in copied]
        checks = [s for s in kept if s not in copied]  # each one follows a solution block
        assert len(checks) == source_checks(source), path.stem
    block = "```{exercise} Try\n:label: ex-9-1\n\nDo it.\n```\n\n```{solution} ex-9-1\n:class: dropdown\n\nDone.\n```"
    assert strip_solutions(block) == "**Exercise 9.1 — Try**\n\nDo it.\n"
    (tmp_path / "file").write_text("")
    assert main(["student-notebooks", str(tmp_path / "file")]) == 2
    assert "OUTDIR must be a folder" in capsys.readouterr().err
    assert main(["student-notebooks", str(tmp_path / "out")]) == 0  # unchanged copies: written again
    edited = tmp_path / "out" / f"{NAMES[0]}.ipynb"
    edited.write_text(edited.read_text().replace("Exercise", "My answer: Exercise", 1))
    mine = edited.read_text()
    assert main(["student-notebooks", str(tmp_path / "out")]) == 2
    assert f"differ from the chapters (edited?): {NAMES[0]}.ipynb" in capsys.readouterr().err
    assert edited.read_text() == mine
    assert main(["student-notebooks", str(tmp_path / "out"), "--force"]) == 0 and edited.read_text() != mine


def source_checks(source) -> int:
    """Code cells right after a markdown cell that ends with a solution block."""
    cells, count = source.cells, 0
    for before, cell in zip(cells, cells[1:]):
        if before.cell_type == "markdown" and before.source.rstrip().endswith("```") and cell.cell_type == "code" \
                and before.source.rstrip().rfind("```{solution}") > before.source.rstrip().rfind("```{exercise}"):
            count += 1
    return count


def test_datasets_given_on_the_command_line_replace_the_books_cells():
    book = {"cells": ["bbc_news:tfidf-svd", "trec6:glove-50d"], "r_cells": ["bbc_news:tfidf-svd"], "seeds": [0, 1, 2]}
    assert chapters.merge_parameters(book, {"datasets": ["trec6"]}) == {"seeds": [0, 1, 2], "datasets": ["trec6"]}
    assert chapters.merge_parameters(book, {"seeds": [0]}) == {**book, "seeds": [0]}
    given = {"datasets": ["trec6"], "cells": ["trec6:tfidf-svd"]}
    assert chapters.merge_parameters(book, given) == {**book, **given}


def test_each_chapter_hands_its_cells_to_its_plan():
    # the grid plans a chapter's runs with chapters.<plan>(**parameters); the notebook must call it the same way
    for name in parameters.notebook_names():
        text = (parameters.notebooks_dir() / f"{name}.md").read_text(encoding="utf-8")
        plan = re.search(r"^  plan: (\w+)", text, re.M)
        if plan is None or "cells" not in parameters.notebook_parameters(name):
            continue
        call = re.search(rf"chapters\.{plan.group(1)}\((.*?)\)\n", text, re.S)
        assert call and "cells=cells" in call.group(1), name


@pytest.mark.slow
def test_the_committed_book_builds_without_any_dataset_on_the_machine(tmp_path, monkeypatch):
    """A fresh clone has the store but not ../shared: every chapter reads its runs, nothing is computed."""
    empty = tmp_path / "no-data"
    empty.mkdir()
    monkeypatch.setenv("ALM_DATA_DIR", str(empty))
    monkeypatch.setenv("ALM_CACHE_DIR", str(tmp_path / "cache"))
    before = len(ResultStore())
    index = notebooks.build_book(root=tmp_path / "root", progress=False)
    assert index.is_file() and len(ResultStore()) == before
    report = (tmp_path / "root" / "book" / "executed" / "build_report.md").read_text()
    rows = [line.split("|") for line in report.splitlines() if line.startswith("| 0")]
    assert len(rows) == len(NAMES) and all(row[3].strip() == "0" for row in rows), report
    assert "were not on the machine that built this book" in report
    assert "runs read from the store" in (tmp_path / "root" / "_build" / "html" / "book" / "intro.html").read_text()
    pages = {p.stem: p.stat().st_size for p in (tmp_path / "root" / "_build" / "html" / "book" / "executed").glob("*.html")}
    assert set(pages) == set(NAMES) and max(pages.values()) <= 2_000_000, pages  # every chapter page loads at once


def test_a_failed_run_leaves_the_chapter_executed_before(tmp_path, monkeypatch):
    from papermill.exceptions import PapermillExecutionError

    def fails_in_a_kernel(nb, output_path, **kw):
        Path(output_path).write_text("half executed")
        raise PapermillExecutionError(cell_index=5, exec_count=5, source="figure()", ename="RuntimeError",
                                      evalue="boom", traceback=[])

    monkeypatch.setattr(notebooks.papermill, "execute_notebook", fails_in_a_kernel)
    out = tmp_path / "executed"
    out.mkdir()
    (out / f"{NAMES[2]}.ipynb").write_text("the chapter as it was")
    with pytest.raises(parameters.NotebookError, match=f"notebook {NAMES[2]} failed in cell 5.*RuntimeError: boom"):
        notebooks.run_notebooks(NAMES[2], output_dir=out, progress=False)
    assert (out / f"{NAMES[2]}.ipynb").read_text() == "the chapter as it was"
    assert (out / f"{NAMES[2]}.failed.ipynb").read_text() == "half executed"


@pytest.mark.slow
def test_executing_a_chapter_prints_one_line_and_no_kernel_warnings(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("ALM_RESULTS_DIR", str(tmp_path / "results"))
    name = "08_label_it_yourself"
    tiny = jupytext.read(parameters.notebooks_dir() / f"{name}.md").metadata["almodules"]["tiny"]
    notebooks.run_notebooks(name, output_dir=tmp_path / "executed", per_notebook={name: tiny})
    out, err = capfd.readouterr()
    assert out.strip().splitlines() == [out.strip()] and out.startswith(f"[1/1] {name}: executed in")
    assert "WARNING" not in err and "IPKernelApp" not in err, err


def test_kernel_sockets_live_in_their_own_folder_not_beside_the_notebooks(tmp_path):
    # A killed build would otherwise leave kernel-ipc-* sockets in the notebooks' folder.
    import papermill

    cwd, sockets = tmp_path / "notebooks", tmp_path / "sockets"
    cwd.mkdir()
    sockets.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"import os\nprint(sorted(os.listdir({str(sockets)!r})))")]
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    out = papermill.execute_notebook(nb, str(tmp_path / "out.ipynb"), cwd=str(cwd), progress_bar=False,
                                     kernel_name="python3", config=notebooks.kernel_config(sockets))
    assert out.cells[0].outputs[0]["text"].strip() == str([f"kernel-{i}" for i in range(1, 6)])
    assert list(cwd.iterdir()) == []
