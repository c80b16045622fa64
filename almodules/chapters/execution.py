"""Execute the book's notebooks with papermill and build the book with Jupyter Book 1.

Notebook sources are jupytext MyST markdown files in ``notebooks/``; :func:`run_notebooks`
converts each to a notebook in memory, injects parameters after its ``parameters`` cell and runs
it with papermill (working directory ``notebooks/``) into ``book/executed/<name>.ipynb``.
:func:`build_book` then renders those executed copies (``execute_notebooks: "off"``) together
with the pages of ``book/`` into ``_build/html``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import nbformat
import papermill
import plotly
from papermill.exceptions import PapermillExecutionError
from traitlets.config import Config

from almodules.chapters import plans as chapters
from almodules.chapters.downloads import add_run_yourself, write_downloads
from almodules.chapters.parameters import (
    NotebookError,
    chapter_configs,
    check_chapter_parameters,
    executed_dir,
    load_book_parameters,
    notebook_defaults,
    notebook_names,
    notebook_parameters,
    notebooks_dir,
    read_source,
)
from almodules.chapters.preflight import build_report, chapter_needs, check_needs
from almodules.core.paths import repo_root
from almodules.core.validation import check_choice

__all__ = ["kernel_config", "run_notebooks", "chapter_parameters", "build_book"]


def kernel_config(socket_dir: Path) -> Config:
    """The chapters' kernels talk to papermill over local sockets in ``socket_dir``, not TCP.

    Nothing else on the machine can listen in, and the kernel has no TCP-without-encryption warning
    to print into every build's output. The sockets go to a private temporary folder, not the
    kernel's working directory (the notebooks' folder): a killed build would leave them there.
    """
    return Config({"KernelManager": {"transport": "ipc", "ip": str(Path(socket_dir) / "kernel")}})

@contextlib.contextmanager
def _this_interpreters_kernels() -> Iterator[None]:
    # A kernelspec named like ours elsewhere on JUPYTER_PATH (e.g. a user-level "python3" of
    # another Python) must not win over this environment's: put sys.prefix first while we run.
    old = os.environ.get("JUPYTER_PATH")
    mine = str(Path(sys.prefix) / "share" / "jupyter")
    os.environ["JUPYTER_PATH"] = os.pathsep.join([mine, *([old] if old else [])])
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = old


def _split_parameters(names: Sequence[str], parameters: Mapping[str, Any]) -> dict[str, dict]:
    declared = {n: notebook_parameters(n) for n in names}
    known = sorted({p for ps in declared.values() for p in ps})
    for key in parameters:
        check_choice(f"parameter of notebooks {', '.join(names)}", key, known)
    return {n: {k: v for k, v in parameters.items() if k in declared[n]} for n in names}


def run_notebooks(only: str | Sequence[str] | None = None, parameters: Mapping[str, Any] | None = None,
                  output_dir: str | os.PathLike | None = None, *, per_notebook: Mapping[str, Mapping] | None = None,
                  progress: bool = True, timeout: int | None = None) -> list[Path]:
    """Execute notebooks with papermill; return the paths of the executed copies.

    Parameters
    ----------
    only : str or sequence of str, optional
        Notebook names (e.g. ``"02_initial_pool"``); all of them when omitted.
    parameters : mapping, optional
        Parameter values, typed (use :func:`parse_parameter_value` for strings from a command
        line). Each notebook receives those its ``parameters`` cell declares; a name no selected
        notebook declares is an error.
    output_dir : path-like, optional
        Where the executed notebooks go (default :func:`executed_dir`).
    per_notebook : mapping of name to mapping, optional
        Parameters for single notebooks, applied before ``parameters``
        (see :func:`load_book_parameters`).
    progress : bool
        Print one line per notebook: its name and how long it took.
    timeout : int, optional
        Seconds allowed per cell (default: no limit).

    Raises
    ------
    NotebookError
        When a notebook fails: names the notebook, the cell (index and first line) and the error;
        the partly executed copy is left beside it as ``<name>.failed.ipynb``, and the chapter executed
        before (if any) stays as it was.
    """
    params_of = _checked_parameters(only, parameters, per_notebook)
    for name, params in params_of.items():  # the plans check every value here, not in a kernel
        chapter_configs(name, params)
    out_dir = Path(output_dir) if output_dir is not None else executed_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = []
    for i, (name, params) in enumerate(params_of.items(), start=1):
        start = time.perf_counter()
        outputs.append(_execute(name, params, out_dir, timeout))
        if progress:
            print(f"[{i}/{len(params_of)}] {name}: executed in {time.perf_counter() - start:.0f} s", flush=True)
    return outputs


def _checked_parameters(only, parameters, per_notebook) -> dict[str, dict]:
    """:func:`chapter_parameters`, and for values from the command line the chapters' own checks too (the
    book's values are tested)."""
    params_of = chapter_parameters(only, parameters, per_notebook)
    if parameters:
        for name, params in params_of.items():
            check_chapter_parameters(name, params)
    return params_of


def _execute(name: str, params: Mapping[str, Any], out_dir: Path, timeout: int | None = None) -> Path:
    """Execute one chapter into ``out_dir``: into a hidden file that replaces the chapter only on success."""
    nb = read_source(name)
    out = out_dir / f"{name}.ipynb"
    trial = out_dir / f".{name}.running.ipynb"
    try:
        with _this_interpreters_kernels(), tempfile.TemporaryDirectory(prefix="almodules-kernel-") as sockets:
            papermill.execute_notebook(
                nb, str(trial), parameters=params, kernel_name=nb.metadata["kernelspec"]["name"],
                cwd=str(notebooks_dir()), progress_bar=False, execution_timeout=timeout,
                config=kernel_config(Path(sockets)))
    except PapermillExecutionError as exc:
        first = next((line for line in exc.source.splitlines() if line.strip()), "")
        failed = trial.replace(out_dir / f"{name}.failed.ipynb")
        raise NotebookError(
            f"notebook {name} failed in cell {exc.cell_index} ({first!r}): {exc.ename}: {exc.evalue}\n"
            f"executed copy with the traceback: {failed} ({out.name} is left as it was)") from None
    _show_effective_parameters(trial, name, params)
    trial.replace(out)
    return out


def chapter_parameters(only: str | Sequence[str] | None = None, parameters: Mapping[str, Any] | None = None,
                       per_notebook: Mapping[str, Mapping] | None = None) -> dict[str, dict]:
    """The parameters each selected chapter runs with (``per_notebook``, then ``parameters``), every name checked.

    Raises
    ------
    ConfigError
        An unknown notebook, or a parameter that no selected notebook (or not that notebook) declares.
    """
    names = notebook_names()
    selected = names if only is None else [check_choice("notebook", n, names) for n in
                                           ([only] if isinstance(only, str) else only)]
    split = _split_parameters(selected, dict(parameters or {}))
    per_notebook = {n: dict(p or {}) for n, p in (per_notebook or {}).items()}
    for name, params in per_notebook.items():
        declared = notebook_parameters(check_choice("notebook", name, names))
        for key in params:
            check_choice(f"parameter of notebook {name}", key, declared)
    return {name: chapters.merge_parameters(per_notebook.get(name, {}), split[name]) for name in selected}


def _show_effective_parameters(path: Path, name: str, given: Mapping[str, Any]) -> None:
    """Show one parameters cell in the executed notebook: every parameter with the value it ran with.

    papermill runs the defaults, then a cell of the overrides; the rendered chapter keeps the
    latter, rewritten to list all parameters (the state it ran in), and hides the defaults.
    """
    if not given:
        return
    nb = nbformat.read(path, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    if len(injected) != 1:
        return
    lines = [f"{key} = {value!r}" + ("  # given" if key in given else "")
             for key, value in {**notebook_defaults(name), **given}.items()]
    injected[0].source = "# The parameters of this run (given: overrides of the chapter's defaults)\n" + "\n".join(lines)
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.metadata["tags"] = [*cell.metadata["tags"], "remove-cell"]
    nbformat.write(nb, path)


def _executed_inputs(path: Path) -> str | None:
    """The inputs hash an executed chapter was made from (:class:`~almodules.chapters.preflight.ChapterNeeds`)."""
    try:
        return nbformat.read(path, as_version=4).metadata.get("almodules", {}).get("inputs")
    except (OSError, ValueError):
        return None


def _mark_inputs(path: Path, inputs: str) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.metadata.setdefault("almodules", {})["inputs"] = inputs
    nbformat.write(nb, path)


def _refuse_errors(path: Path, name: str) -> None:
    """Raise NotebookError when an executed notebook holds an error output (a failed earlier run)."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            first = next((line for line in cell.source.splitlines() if line.strip()), "")
            raise NotebookError(f"notebook {name} holds an error in cell {index} ({first!r}): "
                                f"{errors[0].get('ename')}: {errors[0].get('evalue')}; fix it and execute it "
                                f"again (python -m almodules book --only {name})")


def _copy_plotly_js(static: Path) -> Path:
    src = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    static.mkdir(parents=True, exist_ok=True)
    dst = static / "plotly.min.js"
    if not dst.exists() or dst.stat().st_size != src.stat().st_size:
        shutil.copyfile(src, dst)
    return dst


_BOOK_SOURCES = ("_config.yml", "_toc.yml", "book/intro.md", "book/reproduction.md", "book/strategies.md",
                 "book/teaching.md", "book/bibliography.md", "book/references.bib", "book/favicon.svg",
                 "book/_ext/dedupe_assets.py", "book/_extra/favicon.ico")


def build_book(*, parameters: Mapping[str, Any] | None = None, book_parameters: str | os.PathLike | None = None,
               only: str | Sequence[str] | None = None, execute: bool = True, progress: bool = True,
               root: str | os.PathLike | None = None) -> Path:
    """The whole book: execute the notebooks, copy plotly.js, run ``jupyter-book build``.

    Parameters
    ----------
    parameters : mapping, optional
        Parameters for every notebook (override ``book_parameters``).
    book_parameters : path-like, optional
        Per-notebook parameter file (default ``book/parameters.yaml`` when it exists; the
        notebooks' own defaults otherwise).
    only : str or sequence of str, optional
        Execute only these notebooks (the others must have been executed before).
    execute : bool
        False: render the notebooks already executed.
    progress : bool
    root : path-like, optional
        Build in this folder instead of the checkout: the book's pages and configuration are
        copied there and the executed notebooks and ``_build/`` go there (tests use this to leave
        the checkout's build untouched).

    Returns
    -------
    Path
        ``<root>/_build/html/index.html``. The build runs with ``-W -n --keep-going``: any warning
        fails it.
    """
    checkout = repo_root()
    root = Path(root).resolve() if root is not None else checkout
    if root != checkout:
        # The chapters show package code with literalinclude, so the package sources travel too.
        package = [p.relative_to(checkout) for p in (checkout / "almodules").rglob("*.py")]
        for rel in [*map(Path, _BOOK_SOURCES), *package]:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(checkout / rel, root / rel)
    executed = root / "book" / "executed"
    needs, seconds = [], {}
    default = checkout / "book" / "parameters.yaml"
    per = load_book_parameters(book_parameters) if book_parameters is not None or default.exists() else {}
    if execute:
        params_of = _checked_parameters(only, parameters, per)
        needs = [chapter_needs(name, params) for name, params in params_of.items()]  # plans every value
        check_needs(needs)
        for i, need in enumerate(needs, start=1):
            path = executed / f"{need.name}.ipynb"
            if need.to_compute == 0 and _executed_inputs(path) == need.inputs:
                if progress:
                    print(f"[{i}/{len(needs)}] {need.name}: unchanged since its last execution, kept", flush=True)
                continue
            start = time.perf_counter()
            executed.mkdir(parents=True, exist_ok=True)
            _execute(need.name, params_of[need.name], executed)
            seconds[need.name] = time.perf_counter() - start
            _mark_inputs(path, need.inputs)
            if progress:
                print(f"[{i}/{len(needs)}] {need.name}: {seconds[need.name]:.0f} s, {need.stored} runs read, "
                      f"{need.to_compute} computed", flush=True)
    missing = [n for n in notebook_names() if not (executed / f"{n}.ipynb").exists()]
    if missing:
        raise NotebookError(f"not executed yet: {', '.join(missing)}; run them first (execute=True)")
    for name in notebook_names():
        _refuse_errors(executed / f"{name}.ipynb", name)
        write_downloads(name, executed / "downloads")
        add_run_yourself(executed / f"{name}.ipynb", name, per.get(name))
    planned = {n.name for n in needs}
    (executed / "build_report.md").write_text(
        build_report(needs, seconds, [n for n in notebook_names() if n not in planned]), encoding="utf-8")
    _copy_plotly_js(root / "book" / "_static")
    # Sphinx rebuilds a page when its source changes; the reproduction page's source does not change when
    # the chapters it quotes are re-executed, so mark it changed: it is always rebuilt from them. The front
    # page includes this build's report.
    os.utime(root / "book" / "reproduction.md")
    os.utime(root / "book" / "intro.md")
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe) if exe.exists() else "jupyter-book", "build", str(root), "-W", "-n", "--keep-going"]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise NotebookError(f"jupyter-book build failed (exit {done.returncode}): {' '.join(cmd)}\n"
                            f"{done.stdout[-6000:]}\n{done.stderr[-6000:]}")
    if progress:
        print(f"pages rendered in {time.perf_counter() - start:.0f} s", flush=True)
    index = root / "_build" / "html" / "index.html"
    if progress:
        print(f"the book is at {index}", flush=True)
    return index
