"""What the commands on the book do (grid, notebooks, book, advise, student-notebooks): handlers of :mod:`almodules.cli`.

Apart from :mod:`almodules.commands` because they need the chapters' layer (jupytext, papermill),
which the commands on data and runs need not wait for.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from almodules.chapters.advice import print_advice
from almodules.chapters.execution import build_book, run_notebooks
from almodules.chapters.parameters import (
    NotebookError,
    book_configs,
    notebook_defaults,
    notebook_names,
    parse_parameter_value,
)
from almodules.chapters.student_copies import write_student_notebooks
from almodules.commands import print_json
from almodules.core.provenance import numpy_simd
from almodules.core.validation import ConfigError, check_int
from almodules.embeddings.compute import is_embedded
from almodules.results.grid import run_grid
from almodules.results.planning import load_grid, plan_runs
from almodules.results.store import ResultStore
from almodules.study.reproduce import avx2_environment, family_of

__all__ = ["cmd_grid", "cmd_notebooks", "cmd_advise", "cmd_student_notebooks", "cmd_book"]


def cmd_grid(args: argparse.Namespace) -> int:
    env = avx2_environment() if args.family == "avx2" and family_of(numpy_simd()) == "avx512" else None
    if env is not None:  # the family is chosen when numpy loads: compute in a child that starts in it
        return subprocess.run([sys.executable, "-m", "almodules", *args.argv], env={**os.environ, **env}).returncode
    if (args.grid is None) == (not args.book):
        raise ConfigError("give either a grid file or --book (every run of the committed book), not both")
    if args.workers is not None:  # before the configs: planning the book reads every dataset
        check_int("--workers", args.workers, minimum=1)
    if not args.book and (args.parameters or args.chapter):
        raise ConfigError("--parameters and --chapter go with --book")
    configs = book_configs(args.parameters, only=args.chapter) if args.book else load_grid(args.grid)
    source = (f"the book ({args.parameters or 'book/parameters.yaml'}{', ' + args.chapter if args.chapter else ''})"
              if args.book else args.grid)
    waiting = 0
    if args.embedded_only:
        ready = {pair: is_embedded(*pair) for pair in dict.fromkeys((c.dataset, c.embedder) for c in configs)}
        kept = [c for c in configs if ready[c.dataset, c.embedder]]
        waiting, configs = len(configs) - len(kept), kept
    store = ResultStore()
    if args.dry_run:
        planned = plan_runs(configs)
        new = len(store.missing(p.run_key for p in planned))
        counts, verb = {"runs": len(planned), "new": new, "stored": len(planned) - new}, "to compute"
    else:
        done = run_grid(configs, executor=args.executor, scheduler=args.scheduler, workers=args.workers,
                        store=store, progress=not args.json)
        left = len(store.missing(p.run_key for p in plan_runs(configs))) if len(done) < len(configs) else 0
        counts, verb = {"runs": len(configs), "computed": len(done), "stored": len(configs) - len(done) - left,
                        "left_to_another_grid": left}, "computed"
    if args.embedded_only:
        counts["waiting_for_embeddings"] = waiting
    if args.json:
        print_json({"source": source, **counts, "store": str(store.root)})
    else:
        print(f"{counts['runs']} runs in {source}: {counts.get('computed', counts['runs'] - counts['stored'])} {verb}, "
              f"{counts['stored']} already stored in {store.root}" + (" (dry run: nothing computed)" if args.dry_run else "")
              + (f", {counts['left_to_another_grid']} left to another grid computing them"
                 if counts.get("left_to_another_grid") else "")
              + (f"; {waiting} more wait for their embeddings" if args.embedded_only else ""))
    return 0


def cmd_notebooks(args: argparse.Namespace) -> int:
    if args.list:
        records = [{"notebook": name, "parameters": notebook_defaults(name)} for name in notebook_names()]
        if args.json:
            print_json(records)
        else:
            for record in records:
                print(record["notebook"])
                for key, value in record["parameters"].items():
                    print(f"    {key} = {value!r}")
        return 0

    parameters = {key: parse_parameter_value(value, key) for key, value in args.parameter or []}
    try:
        run_notebooks(only=args.only, parameters=parameters, output_dir=args.output_dir)
    except NotebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_advise(args: argparse.Namespace) -> int:
    return print_advice(args.dataset, args.embedder, k=args.k, initial_labels=args.initial_labels, as_json=args.json)


def cmd_student_notebooks(args: argparse.Namespace) -> int:
    written = write_student_notebooks(args.outdir, force=args.force)
    print(f"{len(written)} notebooks without solutions in {args.outdir}")
    return 0


def cmd_book(args: argparse.Namespace) -> int:
    parameters = {key: parse_parameter_value(value, key) for key, value in args.parameter or []}
    try:
        build_book(parameters=parameters, book_parameters=args.book_parameters, only=args.only,
                   execute=not args.no_execute)
    except NotebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
