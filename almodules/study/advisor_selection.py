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


def _lodo_regret(table: pd.DataFrame, policy: tuple, measures: Sequence[str], strategies: Sequence[str]) -> float:
    """Leave-one-dataset-out mean regret of ``policy`` on ``table`` (each dataset weighs the same)."""
    per = []
    for dataset, held in table.groupby("dataset", sort=True):
        others = table[table["dataset"] != dataset]
        rule = _best_rule(others, strategies) if policy[0] == "rule_unless" else None
        picks = [pick(policy, cell, others, measures, strategies, rule) for _, cell in held.iterrows()]
        per.append(dataset_regrets(held, picks, strategies).mean())
    return float(np.mean(per))


def choose_policy(table: pd.DataFrame, measures: Sequence[str], strategies: Sequence[str]) -> tuple[tuple, pd.Series]:
    """The candidate with the least leave-one-dataset-out regret on ``table``, and every candidate's."""
    task = set(TASK_FEATURES) <= set(table.columns)
    scores = pd.Series({policy: _lodo_regret(table, policy, measures, strategies)
                        for policy in candidates(strategies, task=task)})
    return min(scores.index, key=lambda p: (scores[p], p[0] != "always", str(p))), scores


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
    rows = []
    for dataset, held in table.groupby("dataset", sort=True):
        train = table[table["dataset"] != dataset]
        policy, _ = choose_policy(train, measures, strategies)
        rule = _best_rule(train, strategies)
        picks = [pick(policy, cell, train, measures, strategies, rule) for _, cell in held.iterrows()]
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
