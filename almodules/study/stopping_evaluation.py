"""When would each stopping criterion have stopped, and what would that have cost?

Every AL run records per-cycle signals (:mod:`almodules.engine.stop_signals`), so each criterion
of :data:`~almodules.engine.stopping.CRITERIA` can be replayed on every stored run. For a run and
a criterion, the stop is the first cycle where the criterion fires (the run's last cycle when it
never does), and:

``labels_share``
    labels used at the stop over the labels of the whole run (the budget);
``accuracy_lost``
    the run's final test accuracy minus its test accuracy at the stop;
``regret_<λ>``
    the total cost at the stop minus the least total cost over the run's cycles, in budgets, where
    the cost of stopping at cycle ``t`` is the labels bought plus ``λ`` times the errors the model
    then makes on the rest of the pool, estimated from its test accuracy:
    ``n_labeled[t] + λ (1 - accuracy[t]) (n_pool - n_labeled[t])`` (Pullar-Strecker, Dost, Frank
    and Wicker 2022 judge criteria by such a cost). The optimum uses test labels: it is for
    evaluation only, never for stopping.

Summaries weigh every dataset the same (the mean of its runs' values) and take intervals over
datasets, the independent units: cells of one dataset share its texts and test split.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from almodules.core.validation import ConfigError, check_int
from almodules.datasets.registry import DATASETS
from almodules.engine.stop_signals import SIGNALS
from almodules.engine.stopping import CRITERIA, StopHistory, check_criterion, fires
from almodules.results.store import ResultStore
from almodules.study.verdicts import natural_cells

__all__ = ["LAMBDAS", "METRICS", "run_stops", "stored_run_stops", "stop_summary", "quality_effect", "stop_advice"]

LAMBDAS: tuple[float, ...] = (0.5, 1.0, 2.0)
"""Costs of one error on the unlabeled rest of the pool, in labels."""

METRICS: tuple[str, ...] = ("labels_share", "accuracy_lost", "regret_1")
"""The summary's measures (``regret_1``: the regret at λ = 1)."""

_RUN = ("run_key", "dataset", "embedder", "ips", "strategy", "seed")


def _label(lam: float) -> str:
    return f"regret_{lam:g}".replace(".", "_")


def run_stops(cycles: pd.DataFrame, n_pool: Mapping[str, int], n_classes: Mapping[str, int], *,
              criteria: Mapping[str, Mapping] | Sequence[str] | None = None,
              lambdas: Sequence[float] = LAMBDAS) -> pd.DataFrame:
    """One row per run and criterion: where the criterion stops the run and what that costs.

    Parameters
    ----------
    cycles : DataFrame
        Cycle rows of AL runs (:meth:`~almodules.results.store.ResultStore.cycles`), with signals.
    n_pool : mapping
        Pool size per run key. ``n_classes``: classes per dataset.
    criteria : mapping of name to parameters, or names, optional
        Every registered criterion with its defaults when omitted (two-class ones on two-class
        datasets only).
    lambdas : sequence of float

    Raises
    ------
    ConfigError
        Before any work: unknown criteria or parameters, a λ <= 0, or runs without signals.
    """
    chosen = {name: {} for name in CRITERIA} if criteria is None else (
        dict(criteria) if isinstance(criteria, Mapping) else {name: {} for name in criteria})
    chosen = {name: check_criterion(name, params) for name, params in chosen.items()}
    lambdas = [float(lam) for lam in lambdas]
    if not lambdas or min(lambdas) <= 0:
        raise ConfigError(f"lambdas must be positive costs of one error in labels, got {lambdas}")
    missing = [s for s in SIGNALS if s not in cycles.columns]
    if missing or (len(cycles) and cycles["stop_confidence"].isna().all()):
        raise ConfigError("these runs were stored before runs recorded stopping signals; recompute them "
                          "(python -m almodules grid --book --parameters book/parameters-next.yaml)")
    rows = []
    for key, run in cycles.sort_values(["run_key", "cycle"]).groupby("run_key", sort=False):
        if len(run) < 2 or pd.isna(run["stop_confidence"].iloc[0]):
            continue  # an IPS-only run, or one without signals
        first = run.iloc[0]
        k = int(n_classes[first["dataset"]])
        history = StopHistory({s: run[s].to_numpy(dtype=float) for s in SIGNALS},
                              run["n_labeled"].to_numpy(dtype=np.int64), int(n_pool[key]), k)
        labeled, accuracy = history.n_labeled.astype(float), run["accuracy"].to_numpy(dtype=float)
        rest = history.n_pool - labeled
        costs = {lam: labeled + lam * (1 - accuracy) * rest for lam in lambdas}
        for name, params in chosen.items():
            if CRITERIA[name].two_class_only and k != 2:
                continue
            hits = np.flatnonzero(fires(name, history, **params))
            t = int(hits[0]) if hits.size else len(run) - 1
            row = {c: first[c] for c in _RUN} | {
                "criterion": name, "stop_cycle": t, "fired": bool(hits.size), "labels_used": int(labeled[t]),
                "labels_share": labeled[t] / labeled[-1], "accuracy_at_stop": accuracy[t],
                "final_accuracy": accuracy[-1], "accuracy_lost": accuracy[-1] - accuracy[t]}
            for lam, cost in costs.items():
                row[_label(lam)] = (cost[t] - cost.min()) / labeled[-1]
            rows.append(row)
    return pd.DataFrame(rows)


def stored_run_stops(cycles: pd.DataFrame, store: ResultStore | None = None, **kw) -> pd.DataFrame:
    """:func:`run_stops` of stored runs: pool sizes from the store's runs table, classes from the registry."""
    store = store if store is not None else ResultStore()
    runs = store.runs(run_key=sorted(cycles["run_key"].unique()))
    n_classes = {d: DATASETS[d].n_classes for d in cycles["dataset"].unique()}
    return run_stops(cycles, dict(zip(runs["run_key"], runs["n_pool"], strict=True)), n_classes, **kw)


def _dataset_means(frame: pd.DataFrame, value: str) -> np.ndarray:
    return frame.groupby("dataset")[value].mean().to_numpy()


def _interval(values: np.ndarray, n_boot: int, seed: int) -> tuple[float, float]:
    if len(values) < 2:
        return np.nan, np.nan
    draws = np.random.default_rng(seed).integers(0, len(values), size=(n_boot, len(values)))
    return tuple(np.percentile(values[draws].mean(axis=1), [2.5, 97.5]))


def stop_summary(stops: pd.DataFrame, *, by: Sequence[str] = ("criterion",), metrics: Sequence[str] = METRICS,
                 n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Per group of ``by``: each metric's mean over datasets (each dataset the mean of its runs) with a
    95 % bootstrap interval over datasets, the share of runs where the criterion fired, and counts."""
    check_int("n_boot", n_boot, minimum=1)
    rows = []
    for key, group in stops.groupby(list(by), sort=True):
        row = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        row |= {"n_datasets": group["dataset"].nunique(), "n_runs": len(group), "fired": group["fired"].mean()}
        for metric in metrics:
            values = _dataset_means(group, metric)
            low, high = _interval(values, n_boot, seed)
            row |= {metric: values.mean(), f"{metric}_low": low, f"{metric}_high": high}
        rows.append(row)
    return pd.DataFrame(rows)


def quality_effect(stops: pd.DataFrame, quality: pd.DataFrame, *, metric: str = "labels_share",
                   n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Does a better embedding stop earlier? Per criterion, the mean over datasets of the rank
    correlation (Spearman) between the natural embedders' quality and their mean ``metric`` on that
    dataset, with a bootstrap interval over datasets. Negative: better embeddings stop earlier.

    ``quality`` has columns ``dataset``, ``embedder`` and ``quality`` (e.g. full-pool probe accuracy).
    """
    cells = natural_cells(stops).groupby(["criterion", "dataset", "embedder"], as_index=False)[metric].mean()
    cells = cells.merge(quality[["dataset", "embedder", "quality"]], on=["dataset", "embedder"])
    rows = []
    for criterion, group in cells.groupby("criterion", sort=True):
        rhos = np.array([g[metric].rank().corr(g["quality"].rank()) for _, g in group.groupby("dataset")
                         if len(g) >= 3 and g[metric].nunique() > 1])
        low, high = _interval(rhos, n_boot, seed)
        rows.append({"criterion": criterion, "n_datasets": len(rhos), "spearman": rhos.mean() if len(rhos) else np.nan,
                     "low": low, "high": high})
    return pd.DataFrame(rows)


def stop_advice(stops: pd.DataFrame, *, max_accuracy_lost: float = 0.01, n_boot: int = 1000) -> dict | None:
    """The criterion to follow: the least regret (λ = 1) among those whose mean accuracy lost stays within
    ``max_accuracy_lost``; ``None`` when no criterion qualifies or there are no stops to judge.

    Returns ``criterion``, ``labels_saved`` (share of the budget), ``accuracy_lost``, ``regret_1`` and
    ``n_datasets``: the evidence for the sentence "stop when <criterion> fires".
    """
    if stops.empty:
        return None
    summary = stop_summary(stops, n_boot=n_boot)
    ok = summary[summary["accuracy_lost"] <= max_accuracy_lost]
    if ok.empty:
        return None
    best = ok.sort_values(["regret_1", "criterion"]).iloc[0]
    return {"criterion": best["criterion"], "labels_saved": float(1 - best["labels_share"]),
            "accuracy_lost": float(best["accuracy_lost"]), "regret_1": float(best["regret_1"]),
            "n_datasets": int(best["n_datasets"])}
