"""Is the advisor worth following? A nested leave-one-dataset-out comparison with every fixed rule.

A *policy* picks a query strategy for a cell from what a user knows before labeling. Candidates:

* ``always <s>``: a fixed rule;
* ``nearest k``: the strategy with the best mean AUC gain over random among the ``k`` study cells
  nearest in the label-free measures (:func:`~almodules.study.property_analysis.nearest_cells`);
* ``rule unless m``: the training datasets' best fixed rule, switching to the nearest cells' pick
  only when those cells expect it to beat the rule by more than ``m`` AUC (a margin);
* ``nearest_task k``: as ``nearest k``, with what a user knows of the task before labeling beside the
  measures (:data:`TASK_FEATURES`: the pool's size and the number of classes), where the table has them.

Beside them, where the table has ``auc_schedule`` (the runs of :mod:`almodules.study.schedules`,
each dataset's schedule chosen on the other datasets), the **schedule**'s regret: the cell's best
fixed strategy's AUC minus the schedule's (negative where the schedule beats every fixed one).

The **advisor** is not one of them but a procedure: on the datasets it may see, score every
candidate by leave-one-dataset-out (each dataset weighs the same) and keep the best. Its track
record comes from **nested** leave-one-dataset-out: for each held-out dataset, everything — which
candidate, which ``k`` or margin, which fixed rule — is chosen on the other datasets only, and the
choice is then scored on the held-out one. The honest competitor is the fixed rule that is best on
the other datasets (what a user without an advisor would pick); every fixed rule is shown too. A
cell's regret is its best strategy's AUC minus the picked strategy's; a dataset's is the mean over
its cells; intervals are over held-out datasets (95 % bootstrap of the paired differences).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from almodules.core.validation import ConfigError, require_columns
from almodules.datasets.registry import DATASETS
from almodules.study.property_analysis import nearest_cells

__all__ = ["KS", "MARGINS", "TASK_FEATURES", "task_features", "with_task_features", "candidates", "pick", "dataset_regrets", "choose_policy", "nested_evaluation",
           "compare_with_rules", "ips_record"]

KS: tuple[int, ...] = (1, 3, 5)
"""Nearest cells the ``nearest k`` candidates use."""

MARGINS: tuple[float, ...] = (0.0, 0.005, 0.01, 0.02)
"""AUC margins the ``rule unless m`` candidates require before leaving the rule."""


TASK_FEATURES: tuple[str, ...] = ("log_pool", "log_classes")
"""What a user knows of the task before labeling: log10 of the pool's size and of the number of classes."""


def task_features(pool_size: int, n_classes: int) -> dict[str, float]:
    """:data:`TASK_FEATURES` of a pool of ``pool_size`` texts and ``n_classes`` classes."""
    return {"log_pool": float(np.log10(pool_size)), "log_classes": float(np.log10(n_classes))}


def with_task_features(cells: pd.DataFrame) -> pd.DataFrame:
    """``cells`` with :data:`TASK_FEATURES` from each dataset's registry entry (train split, classes)."""
    rows = [task_features(DATASETS[d].n_train, DATASETS[d].n_classes) for d in cells["dataset"]]
    return cells.assign(**{f: [r[f] for r in rows] for f in TASK_FEATURES})


def candidates(strategies: Sequence[str], *, task: bool = False) -> list[tuple]:
    """Every candidate policy: ``("always", s)``, ``("nearest", k)``, ``("rule_unless", m)`` and, with
    ``task``, ``("nearest_task", k)``."""
    return ([("always", s) for s in strategies] + [("nearest", k) for k in KS]
            + [("rule_unless", m) for m in MARGINS] + ([("nearest_task", k) for k in KS] if task else []))


def _best_rule(train: pd.DataFrame, strategies: Sequence[str]) -> str:
    """The fixed rule with the least mean regret on ``train`` (each dataset weighs the same)."""
    regrets = {s: dataset_regrets(train, [s] * len(train), strategies).mean() for s in strategies}
    return min(regrets, key=lambda s: (regrets[s], s))


def pick(policy: tuple, cell: pd.Series, reference: pd.DataFrame, measures: Sequence[str],
         strategies: Sequence[str], rule: str | None = None) -> str:
    """The strategy ``policy`` picks for ``cell`` with ``reference`` as what it knows (``rule``: the
    best fixed rule on ``reference``, for ``rule_unless``)."""
    kind, value = policy
    if kind == "always":
        return value
    k = 3 if kind == "rule_unless" else value
    near = nearest_cells(reference, cell, [*measures, *(TASK_FEATURES if kind == "nearest_task" else ())], k)
    gains = {s: (near[f"gain_{s}"].mean() if s != "random" else 0.0) for s in strategies}
    best = max(gains, key=lambda s: (gains[s], s == "random"))
    if kind in ("nearest", "nearest_task"):
        return best
    rule = rule or _best_rule(reference, strategies)
    return best if gains[best] - gains[rule] > value else rule


def dataset_regrets(cells: pd.DataFrame, picks: Sequence[str], strategies: Sequence[str]) -> pd.Series:
    """Mean regret per dataset of ``picks`` (one per row of ``cells``)."""
    aucs = cells[[f"auc_{s}" for s in strategies]].to_numpy(float)
    column = {s: j for j, s in enumerate(strategies)}
    chosen = aucs[np.arange(len(cells)), [column[s] for s in picks]]
    regret = aucs.max(axis=1) - chosen
    return pd.Series(regret, index=cells.index).groupby(cells["dataset"].to_numpy()).mean()


class _Arrays:
    """A cell table as arrays, for the thousands of picks of a nested evaluation.

    Gives the numbers :func:`pick` and :func:`dataset_regrets` give (the same neighbours, means and
    Kahan-summed per-dataset regrets as pandas' grouped mean), without a frame per pick; neighbour
    orders are computed once per reference set and shared by every candidate that uses them.
    """

    def __init__(self, table: pd.DataFrame, measures: Sequence[str], strategies: Sequence[str]) -> None:
        self.strategies = list(strategies)
        self.codes, self.names = pd.factorize(table["dataset"], sort=True)
        aucs = table[[f"auc_{s}" for s in strategies]].to_numpy(float)
        self.regret = aucs.max(axis=1)[:, None] - aucs
        self.gains = np.column_stack([table[f"gain_{s}"].to_numpy(float) if s != "random" else np.zeros(len(table))
                                      for s in strategies])
        self.features = {"nearest": table[list(measures)].to_numpy(float)}
        if set(TASK_FEATURES) <= set(table.columns):
            self.features["nearest_task"] = table[[*measures, *TASK_FEATURES]].to_numpy(float)
        self.features["rule_unless"] = self.features["nearest"]
        self._orders: dict = {}

    def rows(self, without: frozenset) -> np.ndarray:
        return np.flatnonzero(~np.isin(self.codes, list(without)))

    def dataset_means(self, rows: np.ndarray, picks: np.ndarray) -> np.ndarray:
        """Per dataset of ``rows`` (sorted by name), the mean regret of ``picks`` (strategy columns)."""
        values, codes = self.regret[rows, picks], self.codes[rows]
        return np.array([_kahan_mean(values[codes == c]) for c in np.unique(codes)])

    def best_rule(self, rows: np.ndarray) -> int:
        """The strategy column with the least mean regret over the datasets of ``rows`` (ties: by name)."""
        means = {s: _series_mean(self.dataset_means(rows, np.full(len(rows), j)))
                 for j, s in enumerate(self.strategies)}
        return self.strategies.index(min(means, key=lambda s: (means[s], s)))

    def _order(self, without: frozenset, held: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """Rows of dataset ``held`` and, for each, the reference rows (all but ``without``) by distance."""
        key = (without, held, kind)
        if key not in self._orders:
            reference, cells = self.rows(without), np.flatnonzero(self.codes == held)
            values = self.features[kind][reference]
            centre, spread = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
            spread[~(spread > 0)] = 1.0
            z = (values - centre) / spread
            q = (self.features[kind][cells] - centre) / spread
            distance = np.sqrt(np.nansum((z[None, :, :] - q[:, None, :]) ** 2, axis=2))
            self._orders[key] = cells, reference[np.argsort(distance, axis=1, kind="stable")]
        return self._orders[key]

    def picks(self, policy: tuple, without: frozenset, held: int, rule: int | None) -> tuple[np.ndarray, np.ndarray]:
        """The rows of dataset ``held`` and the strategy column ``policy`` picks for each, knowing the
        cells of every dataset but ``without`` (``rule``: the best fixed rule there, for ``rule_unless``)."""
        kind, value = policy
        if kind == "always":
            cells = np.flatnonzero(self.codes == held)
            return cells, np.full(len(cells), self.strategies.index(value))
        cells, order = self._order(without, held, kind)
        near = self.gains[order[:, :3 if kind == "rule_unless" else value]]
        missing = np.isnan(near)
        with np.errstate(invalid="ignore", divide="ignore"):
            gains = np.where(missing, 0.0, near).sum(axis=1) / (~missing).sum(axis=1)
        chosen = []
        for row in gains.tolist():
            by_name = dict(zip(self.strategies, row))
            best = max(by_name, key=lambda s: (by_name[s], s == "random"))
            if kind == "rule_unless" and not by_name[best] - row[rule] > value:
                best = self.strategies[rule]
            chosen.append(self.strategies.index(best))
        return cells, np.array(chosen, dtype=int)

    def lodo_regret(self, policy: tuple, without: frozenset) -> float:
        """Leave-one-dataset-out mean regret of ``policy`` over the datasets but ``without``."""
        per = []
        for held in np.unique(self.codes[self.rows(without)]):
            others = without | {held}
            rule = self.best_rule(self.rows(others)) if policy[0] == "rule_unless" else None
            cells, chosen = self.picks(policy, others, held, rule)
            per.append(self.dataset_means(cells, chosen)[0])
        return float(np.mean(per))

    def choose(self, without: frozenset) -> tuple[tuple, pd.Series]:
        task = "nearest_task" in self.features
        scores = pd.Series({policy: self.lodo_regret(policy, without)
                            for policy in candidates(self.strategies, task=task)})
        return min(scores.index, key=lambda p: (scores[p], p[0] != "always", str(p))), scores


def _kahan_mean(values: np.ndarray) -> float:
    """The mean of the finite ``values`` as pandas' grouped mean sums them (Kahan-compensated, in order)."""
    total = compensation = 0.0
    count = 0
    for value in values.tolist():
        if value != value:
            continue
        count += 1
        y = value - compensation
        t = total + y
        compensation = t - total - y
        if compensation != compensation:
            compensation = 0.0
        total = t
    return total / count if count else np.nan


def _series_mean(values: np.ndarray) -> float:
    """``Series.mean`` of ``values``: the sum of the non-NaN ones over their count."""
    missing = np.isnan(values)
    return float(np.where(missing, 0.0, values).sum() / (~missing).sum()) if (~missing).any() else np.nan


def choose_policy(table: pd.DataFrame, measures: Sequence[str], strategies: Sequence[str]) -> tuple[tuple, pd.Series]:
    """The candidate with the least leave-one-dataset-out regret on ``table``, and every candidate's."""
    return _Arrays(table, measures, strategies).choose(frozenset())


def nested_evaluation(table: pd.DataFrame, measures: Sequence[str], strategies: Sequence[str]) -> pd.DataFrame:
    """Per held-out dataset: the advisor's choice (made on the others) and its regret there, the regret
    of the fixed rule best on the others, of every fixed rule and (with ``auc_schedule``) of the schedule.

    Raises
    ------
    ConfigError
        Fewer than three datasets (the inner leave-one-out needs two).
    """
    require_columns(table, ["dataset", *measures, *(f"auc_{s}" for s in strategies),
                            *(f"gain_{s}" for s in strategies if s != "random")], "nested_evaluation")
    if table["dataset"].nunique() < 3:
        raise ConfigError(f"the nested evaluation needs cells of at least 3 datasets, got {table['dataset'].nunique()}")
    arrays = _Arrays(table, measures, strategies)
    rows = []
    for code, dataset in enumerate(arrays.names):
        held = table[table["dataset"] == dataset]
        without = frozenset({code})
        policy, _ = arrays.choose(without)
        rule = arrays.best_rule(arrays.rows(without))
        _, chosen = arrays.picks(policy, without, code, rule)
        picks = [strategies[j] for j in chosen]
        rule = strategies[rule]
        row = {"dataset": dataset, "n_cells": len(held), "advisor_policy": f"{policy[0]} {policy[1]}",
               "advisor": dataset_regrets(held, picks, strategies).mean(), "best_rule": rule,
               "best_rule_regret": dataset_regrets(held, [rule] * len(held), strategies).mean()}
        row |= {f"always_{s}": dataset_regrets(held, [s] * len(held), strategies).mean() for s in strategies}
        if "auc_schedule" in held:  # its own runs, with the schedule chosen on the other datasets
            best = held[[f"auc_{s}" for s in strategies]].max(axis=1)
            row["schedule"] = float((best - held["auc_schedule"]).mean())
        rows.append(row)
    return pd.DataFrame(rows)


def compare_with_rules(nested: pd.DataFrame, *, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Mean regret over held-out datasets of the advisor, the trained best rule and every fixed rule,
    each with the paired difference to the advisor and its 95 % bootstrap interval over datasets
    (negative: the advisor has less regret)."""
    policies = ["advisor", "best_rule_regret", *(["schedule"] if "schedule" in nested else []),
                *[c for c in nested.columns if c.startswith("always_")]]
    draws = np.random.default_rng(seed).integers(0, len(nested), size=(n_boot, len(nested)))
    rows = []
    for policy in policies:
        diff = (nested["advisor"] - nested[policy]).to_numpy(float)
        low, high = np.percentile(diff[draws].mean(axis=1), [2.5, 97.5]) if len(nested) > 1 else (np.nan, np.nan)
        rows.append({"policy": policy.replace("_regret", ""), "mean_regret": nested[policy].mean(),
                     "advisor_minus_this": diff.mean(), "low": low, "high": high, "n_datasets": len(nested)})
    return pd.DataFrame(rows)


def ips_record(table: pd.DataFrame, measures: Sequence[str], k: int = 3) -> pd.DataFrame:
    """Leave-one-dataset-out record of the initial-pool advice (TypiClust when the ``k`` nearest cells of
    other datasets gained from it at small k0, else random) against always-random and always-TypiClust:
    a cell's regret is the better IPS's small-k0 accuracy minus the chosen one's; mean over datasets."""
    require_columns(table, ["dataset", "ips_gain", *measures], "ips_record")
    known = table.dropna(subset=["ips_gain"])
    per = {"advisor": [], "always random": [], "always typiclust": []}
    for dataset, held in known.groupby("dataset", sort=True):
        others = known[known["dataset"] != dataset]
        if others.empty:
            continue
        gain = held["ips_gain"].to_numpy(float)
        chose = np.array([nearest_cells(others, cell, measures, k)["ips_gain"].mean() > 0 for _, cell in held.iterrows()])
        best = np.maximum(gain, 0.0)
        per["advisor"].append(float(np.mean(best - np.where(chose, gain, 0.0))))
        per["always random"].append(float(np.mean(best)))
        per["always typiclust"].append(float(np.mean(best - gain)))
    return pd.DataFrame([{"policy": p, "mean_regret": float(np.mean(v)) if v else np.nan, "n_datasets": len(v)}
                         for p, v in per.items()])
