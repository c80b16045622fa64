"""Small synthetic cycle tables with the result store's schema, for analysis and figure tests."""

from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pandas as pd

COLUMNS = ["config_hash", "dataset", "embedder", "ips", "strategy", "seed", "k0", "budget", "cycles",
           "pool_size", "batch_size", "cycle", "n_labeled", "accuracy", "macro_f1", "fit_s", "infer_s",
           "select_s", "selected"]


def run_rows(accuracies, *, dataset="d", embedder="e", ips="random", strategy="random", seed=0, k0=10,
             batch_size=10, pool_size=None, select_s=0.01):
    """Rows of one run whose cycle-t accuracy is ``accuracies[t]``."""
    cycles = len(accuracies) - 1
    budget = k0 + batch_size * cycles
    key = f"{dataset}{embedder}{ips}{strategy}{seed}{k0}{budget}{pool_size}"
    config_hash = hashlib.sha256(key.encode()).hexdigest()[:16]
    return [dict(config_hash=config_hash, dataset=dataset, embedder=embedder, ips=ips, strategy=strategy,
                 seed=seed, k0=k0, budget=budget, cycles=cycles, pool_size=pool_size,
                 batch_size=batch_size if cycles else 0, cycle=t, n_labeled=k0 + batch_size * t,
                 accuracy=float(a), macro_f1=float(a) - 0.05, fit_s=0.1, infer_s=0.01,
                 select_s=select_s * (t > 0) + 0.001, selected=[t])
            for t, a in enumerate(accuracies)]


def table(runs) -> pd.DataFrame:
    """Cycle table from a list of ``run_rows`` outputs."""
    return pd.DataFrame([row for rows in runs for row in rows], columns=COLUMNS)


def random_grid(datasets=("d1", "d2"), embedders=("e1", "e2"), ips=("random", "typiclust"),
                strategies=("random", "margin", "badge"), seeds=(0, 1, 2), cycles=5, seed=0) -> pd.DataFrame:
    """A full grid of plausible, noisy learning curves."""
    rng = np.random.default_rng(seed)
    runs = []
    for d, e, i, s, sd in itertools.product(datasets, embedders, ips, strategies, seeds):
        start = 0.4 + 0.1 * (i == "typiclust")
        curve = start + 0.4 * (1 - np.exp(-np.arange(cycles + 1) / 3)) + rng.normal(0, 0.02, cycles + 1)
        runs.append(run_rows(np.clip(curve, 0, 1), dataset=d, embedder=e, ips=i, strategy=s, seed=sd))
    return table(runs)
