"""The compute plan of the study at breadth: CPU-hours per dataset × embedder, from measured rates.

Embedding: each planned (dataset, embedder) pair is timed on a sample of its own texts (the
texts' lengths decide the cost of a transformer), and the rate is scaled to every text of the
dataset; pairs already in the cache are marked so. The grid: the seconds every stored run of the
study took (``wall_s`` in the result store), summed per cell; for a cell not computed yet, the
median seconds of the same dataset, IPS and strategy in other cells, times the runs it needs.

The cells are the study's (``book/parameters.yaml``, ``06_claims``) plus ``--extra`` cells; a cell's
runs are those every chapter of the book needs on it (an extra cell's: the claims chapter's).
Writes ``benchmarks/results/study_plan.json`` and ``.md``. Run::

    ALM_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/study_plan.py --extra health_tweets_10k:glove-50d
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import pandas as pd

from almodules.chapters import execution as notebooks
from almodules.chapters import plans as chapters
from almodules.datasets.loading import load_dataset
from almodules.embeddings.cache import cache_path, load_arrays
from almodules.embeddings.compute import embed_texts, embedding_fingerprint
from almodules.embeddings.registry import EMBEDDERS
from almodules.results.planning import plan_runs
from almodules.results.store import ResultStore

RESULTS = Path(__file__).resolve().parent / "results"


def embedding_cost(dataset: str, embedder: str, sample: int) -> dict:
    data = load_dataset(dataset)
    texts = list(data.train_text) + list(data.test_text)
    cached = _is_cached(data, embedder)
    if EMBEDDERS[embedder].backend == "derived":  # a PCA or noise on cached base embeddings: seconds
        return {"dataset": dataset, "embedder": embedder, "n_texts": len(texts), "texts_per_cpu_s": float("nan"),
                "embed_cpu_h": 0.0, "cached": cached}
    step = max(len(texts) // sample, 1)
    picked = texts[::step][:sample]
    embed_texts(picked[:4], embedder, progress=False)  # load and warm up outside the timing
    start = time.process_time()
    embed_texts(picked, embedder, progress=False)
    cpu_s = time.process_time() - start
    rate = len(picked) / max(cpu_s, 1e-6)
    return {"dataset": dataset, "embedder": embedder, "n_texts": len(texts), "texts_per_cpu_s": round(rate, 1),
            "embed_cpu_h": round(len(texts) / rate / 3600, 3), "cached": cached}


def _is_cached(data, embedder: str) -> bool:
    fp = embedding_fingerprint(data, embedder)
    expected = {"train": (len(data.train_text), EMBEDDERS[embedder].dim), "test": (len(data.test_text), EMBEDDERS[embedder].dim)}
    return load_arrays(cache_path(data.name, embedder, fp), expected, fp) is not None


def grid_cost(cells: list[tuple[str, str]], extra: list[str]) -> pd.DataFrame:
    wanted = set(cells)
    configs = notebooks.book_configs()
    if extra:  # cells outside the book: what the claims chapter would run on them
        claims = {**notebooks.load_book_parameters()["06_claims"], "cells": extra}
        configs += chapters.plan_configs("claims_plan", {"datasets": [], "embedders": [], **claims})
    planned = [p for p in plan_runs(configs) if (p.config.dataset, p.config.embedder) in wanted]
    store = ResultStore()
    runs = store.runs()
    if len(runs):
        first = store.cycles()
        first = first[first["cycle"] == 0][["run_key", "dataset", "ips", "strategy", "cycles"]]
        runs = runs.merge(first, on="run_key")
    done = runs.set_index("run_key")["wall_s"] if len(runs) else pd.Series(dtype=float)
    typical = runs.groupby(["dataset", "ips", "strategy", "cycles"])["wall_s"].median() if len(runs) else None
    rows = []
    for p in planned:
        c = p.config
        if p.run_key in done.index:
            seconds, measured = float(done[p.run_key]), True
        else:
            key = (c.dataset, c.ips, c.strategy, c.cycles)
            seconds = float(typical.get(key, float("nan"))) if typical is not None else float("nan")
            measured = False
        rows.append({"dataset": c.dataset, "embedder": c.embedder, "seconds": seconds, "measured": measured})
    frame = pd.DataFrame(rows)
    return frame.groupby(["dataset", "embedder"]).agg(runs=("seconds", "size"), done=("measured", "sum"),
                                                       grid_cpu_h=("seconds", lambda s: s.sum(min_count=len(s)) / 3600)).reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--extra", nargs="*", default=[], help="more cells, dataset:embedder")
    parser.add_argument("--sample", type=int, default=32, help="texts timed per pair")
    args = parser.parse_args()
    parameters = notebooks.load_book_parameters()["06_claims"]
    cells = chapters.embedding_pairs(parameters.get("datasets", []), parameters.get("embedders", []),
                                     list(parameters.get("cells", [])) + list(args.extra))
    embedding = pd.DataFrame([embedding_cost(d, e, args.sample) for d, e in cells])
    grid = grid_cost(cells, list(args.extra))
    table = embedding.merge(grid, on=["dataset", "embedder"], how="outer")
    RESULTS.mkdir(exist_ok=True)
    result = {"cells": table.to_dict("records"), "cpu_count": os.cpu_count(),
              "total_embed_cpu_h": float(table["embed_cpu_h"].sum()), "total_grid_cpu_h": float(table["grid_cpu_h"].sum())}
    (RESULTS / "study_plan.json").write_text(json.dumps(result, indent=2, default=float) + "\n")
    lines = ["# Compute plan of the study at breadth", "",
             "CPU-hours per dataset × embedder. Embedding: CPU time of a sample of the dataset's own texts, scaled "
             "to all of them (cached: already computed). Grid: the stored runs' own seconds where computed, else "
             "the median of the same dataset, IPS and strategy in other cells.", "",
             "| dataset | embedder | texts | texts / CPU s | embed CPU h | cached | runs | computed | grid CPU h |",
             "|---|---|---:|---:|---:|---|---:|---:|---:|"]
    for r in table.itertuples():
        grid = f"{r.grid_cpu_h:.2f}" if pd.notna(r.grid_cpu_h) else "no estimate yet"
        lines.append(f"| {r.dataset} | {r.embedder} | {r.n_texts:,} | {r.texts_per_cpu_s:,.1f} | {r.embed_cpu_h:.2f} | "
                     f"{'yes' if r.cached else 'no'} | {r.runs} | {r.done} | {grid} |")
    unknown = int(table["grid_cpu_h"].isna().sum())
    lines += ["", f"Total: embedding {result['total_embed_cpu_h']:.1f} CPU-hours, grid {result['total_grid_cpu_h']:.1f} "
              f"CPU-hours for the cells with an estimate (this machine: {os.cpu_count()} cores); {unknown} cells have "
              "no grid estimate yet (no run of their dataset is stored: the first cell of a dataset sets the rate)."]
    (RESULTS / "study_plan.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
