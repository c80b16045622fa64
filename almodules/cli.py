"""Command-line interface: ``python -m almodules <command>``: parses the arguments and dispatches.

The handlers are :mod:`almodules.commands` and :mod:`almodules.book_commands`; every command
validates its arguments before any work starts. Bad input
(:class:`~almodules.core.validation.ConfigError`, data or a model that is not on this machine, a
failed notebook) is reported as ``error: ...`` with exit status 2 (1 for a failed notebook); any
other exception is a bug: one line names it and the file its traceback was written to (exit status 3).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path

from almodules.core.validation import ConfigError
from almodules.datasets.loading import DatasetUnavailableError
from almodules.embeddings.model_files import ModelUnavailableError
from almodules.engine.strategies import IPS_STRATEGIES, QUERY_STRATEGIES

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m almodules``; option help names the allowed values."""

    parser = argparse.ArgumentParser(prog="python -m almodules", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    json_help = "machine-readable output (valid JSON: missing values are null)"
    dataset_help = ("dataset registry name (list them: python -m almodules datasets), or a folder of train/test "
                    ".parquet or .csv files")
    embedder_help = ("embedder registry name (list them: python -m almodules embedders), or a transformers / "
                     "sentence-transformers model folder")

    p = sub.add_parser("datasets", help="list the dataset registry")
    p.add_argument("--json", action="store_true", help=json_help)
    p.set_defaults(handler="commands:cmd_datasets")

    p = sub.add_parser("embedders", help="list the embedder registry")
    p.add_argument("--json", action="store_true", help=json_help)
    p.set_defaults(handler="commands:cmd_embedders")

    p = sub.add_parser("strategies", help="list the strategy registry")
    p.add_argument("--json", action="store_true", help=json_help)
    p.set_defaults(handler="commands:cmd_strategies")

    p = sub.add_parser("stopping", help="list the stopping criteria")
    p.add_argument("--json", action="store_true", help=json_help)
    p.set_defaults(handler="commands:cmd_stopping")

    p = sub.add_parser("embed", help="compute (or load from the cache) a dataset's embeddings, or import them")
    p.add_argument("--dataset", default=None, help=dataset_help)
    p.add_argument("--embedder", default=None, help=embedder_help)
    actions = p.add_subparsers(dest="action")
    q = actions.add_parser("import", help="store embeddings computed elsewhere as a new embedder")
    q.add_argument("train_file", help="the train split's embeddings: .npy, .parquet or .safetensors, one row per "
                                      "example in the dataset's order")
    q.add_argument("test_file", help="the test split's embeddings, as the train file")
    q.add_argument("--replace", action="store_true", help="replace embeddings imported earlier under this name")
    q.add_argument("--dataset", required=True, help=dataset_help)
    q.add_argument("--name", required=True, help="the new embedder's name (lowercase letters, digits, . _ -)")
    p.add_argument("--limit", type=int, default=None, help="embed only the first N rows of each split (N >= 1)")
    p.add_argument("--batch-size", type=int, default=None, help="texts per forward pass (default: the embedder's)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda when available)")
    p.set_defaults(handler="commands:cmd_embed")

    p = sub.add_parser("run", help="one AL run (from the result store when already computed)")
    p.add_argument("--dataset", required=True, help=dataset_help)
    p.add_argument("--embedder", required=True, help=embedder_help)
    p.add_argument("--ips", default="random", help=f"initial pool selection: {', '.join(IPS_STRATEGIES)} "
                                                   "(default: random)")
    p.add_argument("--strategy", default="random", help=f"query strategy: {', '.join(QUERY_STRATEGIES)} "
                                                        "(default: random)")
    p.add_argument("--seed", type=int, default=0, help="0 .. 2**63 - 1 (default: 0)")
    p.add_argument("--k0", type=int, default=None, help="initial pool size >= 1 (default: the number of classes)")
    p.add_argument("--budget", type=int, default=None,
                   help="labels after the last cycle, k0 + cycles .. pool size (default: the paper's Table 2 "
                        "budget, else k0 + cycles x 5 x classes)")
    p.add_argument("--cycles", type=int, default=None, help="query rounds T >= 0 (default: the paper's 20)")
    p.add_argument("--pool-size", type=int, default=None,
                   help="stratified subsample of the train split as the pool (default: the whole split)")
    p.add_argument("--json", action="store_true", help="per-cycle records as JSON")
    p.set_defaults(handler="commands:cmd_run")

    p = sub.add_parser("grid", help="run a grid of configs from a YAML file, or every run of the book")
    p.add_argument("grid", nargs="?", default=None, help="YAML grid file (see grids/example.yaml)")
    p.add_argument("--book", action="store_true",
                   help="every run the committed book needs (its chapters with book/parameters.yaml)")
    p.add_argument("--parameters", default=None,
                   help="with --book: another book parameter file, e.g. book/parameters-next.yaml (the study being "
                        "recomputed)")
    p.add_argument("--chapter", default=None, help="with --book: only this chapter's runs, e.g. 06_claims")
    p.add_argument("--family", default="native", choices=["native", "avx2"],
                   help="instruction family to compute in: native (this CPU's), or avx2, which every x86-64 CPU "
                        "with AVX2 reproduces bit for bit (the study's; on an AVX-512 CPU the grid re-runs itself "
                        "with numpy's wider loops off and OpenBLAS's Haswell kernels)")
    p.add_argument("--embedded-only", action="store_true",
                   help="compute only the runs whose embeddings are already cached (the others are counted and "
                        "left for later)")
    p.add_argument("--dry-run", action="store_true", help="check every config and count the new runs; compute nothing")
    p.add_argument("--executor", default="local", choices=["local", "dask"], help="local (default) or dask")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786 (executor dask)")
    p.add_argument("--workers", type=int, default=None, help="local processes >= 1 (default: all cores)")
    p.add_argument("--json", action="store_true", help="the counts as JSON")
    p.set_defaults(handler="book_commands:cmd_grid")

    p = sub.add_parser("verify", help="recompute stored runs and check they reproduce (exit 1 if not)")
    for key in ("dataset", "embedder", "ips", "strategy"):
        p.add_argument(f"--{key}", default=None, help=f"only runs with this {key}")
    p.add_argument("--seed", type=int, default=None, help="only runs with this seed")
    p.add_argument("--limit", type=int, default=5, help="check a fixed sample of at most N >= 1 matching runs")
    p.add_argument("--tolerance", type=float, default=0.01,
                   help="largest accuracy difference that counts as agreement across machines (default 0.01)")
    p.add_argument("--workers", type=int, default=None, help="local processes >= 1 (default: all cores)")
    p.add_argument("--json", action="store_true", help=json_help)
    p.set_defaults(handler="commands:cmd_verify")

    p = sub.add_parser("store", help="what the result store holds, or pack its loose runs")
    p.add_argument("action", choices=["info", "pack"], help="info: runs, packs and loose files; pack: move the "
                   "loose runs into one new pack per dataset (about 2 KB a run instead of about 20 KB)")
    p.add_argument("--json", action="store_true", help=json_help)
    p.set_defaults(handler="commands:cmd_store")

    p = sub.add_parser("notebooks", help="execute the book's notebooks with papermill")
    p.add_argument("--list", action="store_true", help="list the notebooks with their parameters and defaults")
    p.add_argument("--json", action="store_true", help="with --list: as JSON")
    p.add_argument("--only", default=None, help="one notebook, e.g. 02_initial_pool (see --list)")
    p.add_argument("--output-dir", default=None, help="where the executed notebooks go (default: book/executed)")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("KEY", "VALUE"),
                   help="notebook parameter (see --list); VALUE is YAML: 3, 0.5, [a, b], null")
    p.set_defaults(handler="book_commands:cmd_notebooks")

    p = sub.add_parser("book", help="execute the notebooks and build the book into _build/html")
    p.add_argument("--only", default=None, help="execute only this notebook (the others as executed before)")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("KEY", "VALUE"),
                   help="parameter for every notebook (overrides book/parameters.yaml); VALUE is YAML")
    p.add_argument("--book-parameters", default=None,
                   help="per-notebook parameter file (default: book/parameters.yaml when present)")
    p.add_argument("--no-execute", action="store_true", help="render book/executed/ as it is")
    p.set_defaults(handler="book_commands:cmd_book")

    p = sub.add_parser("advise", help="recommend an initial pool and a query strategy for a new pool")
    p.add_argument("--dataset", required=True, help="a dataset name, folder or hub: id (python -m almodules datasets)")
    p.add_argument("--embedder", required=True, help="an embedder name, folder, hub: id or imported name")
    p.add_argument("--k", type=int, default=3, help="nearest study cells that vote (default 3)")
    p.add_argument("--initial-labels", action="store_true",
                   help="also match on what the labels of a few random pool points tell (the dataset's labels)")
    p.add_argument("--json", action="store_true", help="the advice as JSON")
    p.set_defaults(handler="book_commands:cmd_advise")

    p = sub.add_parser("student-notebooks", help="write the chapters as .ipynb exercise notebooks without solutions")
    p.add_argument("outdir", help="folder to write them to (created when missing)")
    p.add_argument("--force", action="store_true", help="replace copies in OUTDIR that were edited since")
    p.set_defaults(handler="book_commands:cmd_student_notebooks")

    p = sub.add_parser("label", help="label texts yourself, batch by batch, in the terminal (resumable)")
    p.add_argument("session", help="session file (.jsonl): started when new, reopened when it exists")
    p.add_argument("--dataset", default=None,
                   help="a dataset name, folder or hub: id; with --classes, a .csv/.parquet/.txt file of texts")
    p.add_argument("--embedder", default=None, help="an embedder name, folder, hub: id or imported name")
    p.add_argument("--classes", default=None, help="class names of unlabeled texts, comma-separated")
    p.add_argument("--ips", default=None, help="initial-pool strategy (default random)")
    p.add_argument("--strategy", default=None, help="query strategy (default margin)")
    p.add_argument("--seed", type=int, default=None, help="seed >= 0 (default 0)")
    p.add_argument("--k0", type=int, default=None, help="initial pool size >= 1 (default 10)")
    p.add_argument("--batch-size", type=int, default=None, help="texts per batch >= 1 (default 10)")
    p.add_argument("--budget", type=int, default=None, help="texts to answer in all (default 100)")
    p.add_argument("--annotator", default=None, help="your name, recorded with each answer")
    p.add_argument("--export", default=None, help="write the labels given to this .csv or .parquet file at the end")
    p.add_argument("--stop", default=None, help="a stopping criterion whose signal is shown after every batch "
                   "(list them: python -m almodules stopping); it says when it fires and never stops you")
    p.set_defaults(handler="commands:cmd_label")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # a command that re-runs itself in another environment (grid --family) repeats these
    # Each command's module is imported when it runs, so listing datasets does not wait for the book's layer.
    module, name = args.handler.split(":")
    handler = getattr(importlib.import_module(f"almodules.{module}"), name)
    try:
        return handler(args)
    except (ConfigError, DatasetUnavailableError, ModelUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug, not bad input: one line here, the whole trace in a file to report
        trace = Path(tempfile.gettempdir()) / f"almodules-error-{os.getpid()}.txt"
        trace.write_text(traceback.format_exc(), encoding="utf-8")
        print(f"error: unexpected {type(exc).__name__}: {exc} (a bug in almodules; the full trace is in {trace})",
              file=sys.stderr)
        return 3
