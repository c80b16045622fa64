"""How the claims of :mod:`almodules.study.verdicts` about initial pools, embedding quality and
TYROGUE are measured (the query strategies' claims: :mod:`almodules.study.strategy_measures`).

Each measure takes the :class:`Evidence` (the cycle tables of the three studies and each cell's
embedding quality) and returns one row per cell and seed (``dataset``, ``embedder``, ``seed`` and
the values: the bootstrap draws datasets, then seeds within cells) or, for a claim about embedding
quality, one row per dataset. Pairing is always per seed inside a cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from almodules.datasets.registry import DATASETS
from almodules.study.analysis import SETTING, labels_to_target, paired
from almodules.study.bootstrap import nested_bootstrap_interval

__all__ = [
    "PAPER_STRATEGIES", "CELL", "TARGET", "QUALITY", "FADED_BY", "FADED_MARGIN", "Evidence", "per_seed",
    "within_dataset_spearman", "ips_small_k0", "small_k0_gain", "coreset_ips_worse", "ips_fades_with_k0", "ips_fades_over_cycles",
    "ips_gap_by_cycle", "absolute_mean", "ips_gain_with_quality", "accuracy_with_quality", "tyrogue_label_cost",
    "geometric_mean", "tyrogue_latency", "label_cost_ratio", "label_cost_table", "PROTOCOL_TARGETS",
    "protocol_cost_ratio", "tyrogue_label_cost_study",
]

PAPER_STRATEGIES: tuple[str, ...] = ("random", "margin", "entropy", "badge", "coreset", "probcover", "typiclust",
                                     "dropquery")
"""The query strategies of Rauch et al. 2025; win rates and top shares are computed among these."""

CELL: tuple[str, ...] = ("dataset", "embedder")
"""The independent unit of most claims."""

TARGET = 0.9
"""TYROGUE's label-cost target: this share of the full-pool probe accuracy."""

_SMALL_K0 = 100
_LARGE_K0 = 1000


@dataclass(frozen=True)
class Evidence:
    """What the claims are measured on: the cycle tables of the three studies and each cell's quality.

    ``al_runs``: AL runs (chapter 3's plan); ``ips_only``: the IPS study's initial pools alone
    (chapter 2); ``latency``: the latency study's short runs (chapter 5); ``quality``: ``dataset``,
    ``embedder``, ``probe_accuracy`` (and ``probe_macro_f1`` where ``tyrogue`` has runs);
    ``tyrogue``: TYROGUE and its baselines at its paper's protocol
    (:func:`almodules.chapters.plans.tyrogue_protocol_configs`), empty when not run.
    """

    al_runs: pd.DataFrame
    ips_only: pd.DataFrame
    latency: pd.DataFrame
    quality: pd.DataFrame
    tyrogue: pd.DataFrame | None = None

    @property
    def al(self) -> pd.DataFrame:
        """The AL runs of the paper's 8 strategies."""
        return self.al_runs[self.al_runs["strategy"].isin(PAPER_STRATEGIES)]


def _ips_gap(frame: pd.DataFrame, index: Sequence[str]) -> pd.DataFrame:
    """TypiClust IPS minus random IPS accuracy, paired on ``index``."""
    wide = paired(frame[frame["ips"].isin(["typiclust", "random"])], "ips", "accuracy", index)
    if not {"typiclust", "random"} <= set(wide.columns):
        return pd.DataFrame(columns=[*index, "gap"])
    return (wide["typiclust"] - wide["random"]).dropna().rename("gap").reset_index()


def per_seed(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """The mean of ``column`` per cell and seed, as ``value`` (the seeds are the bootstrap's second level)."""
    return frame.groupby([*CELL, "seed"])[column].mean().rename("value").reset_index()


def ips_small_k0(ev: Evidence) -> pd.DataFrame:
    gap = _ips_gap(ev.ips_only, [*SETTING, "strategy", "seed"])
    return per_seed(gap[gap["k0"] <= _SMALL_K0], "gap")


def small_k0_gain(ev: Evidence) -> pd.DataFrame:
    """Per cell (the mean of its seeds): the TypiClust − random initial-pool accuracy at k0 <= 100, as ``value``."""
    return ips_small_k0(ev).groupby(list(CELL))["value"].mean().reset_index()


def coreset_ips_worse(ev: Evidence) -> pd.DataFrame:
    """Per cell and seed: CoreSet initial pool minus random, over the k0 of at most half the pool."""
    wide = paired(ev.ips_only[ev.ips_only["ips"].isin(["coreset", "random"])], "ips", "accuracy",
                  [*SETTING, "strategy", "seed"])
    if not {"coreset", "random"} <= set(wide.columns):
        return pd.DataFrame(columns=[*CELL, "seed", "value"])
    gap = (wide["coreset"] - wide["random"]).dropna().rename("gap").reset_index()
    return per_seed(gap[gap["k0"] <= _pool_rows(gap) / 2], "gap")


def _pool_rows(frame: pd.DataFrame) -> pd.Series:
    """Each row's pool size: its ``pool_size``, else its dataset's train split (unknown: no limit)."""
    train = frame["dataset"].map(lambda d: DATASETS[d].n_train if d in DATASETS and DATASETS[d].n_train else np.inf)
    return frame["pool_size"].astype(float).fillna(train.astype(float))


def ips_fades_with_k0(ev: Evidence) -> pd.DataFrame:
    gap = _ips_gap(ev.ips_only, [*SETTING, "strategy", "seed"])
    # An initial pool of more than half the pool leaves both IPS nearly the same points: the gap is forced to 0.
    gap = gap[gap["k0"] <= _pool_rows(gap) / 2]
    small = gap[gap["k0"] <= _SMALL_K0].groupby([*CELL, "seed"])["gap"].mean()
    large = gap[gap["k0"] >= _LARGE_K0].groupby([*CELL, "seed"])["gap"].mean()
    return (small - large).dropna().rename("value").reset_index()


FADED_BY = (5, 10)
"""Cycles by which the paper says the IPS gap approaches zero ("within approximately 5 to 10 AL cycles")."""

FADED_MARGIN = 0.01
"""Largest mean gap (accuracy) that counts as having approached zero."""


def ips_fades_over_cycles(ev: Evidence) -> pd.DataFrame:
    gap = _ips_gap(ev.al, [*SETTING, "strategy", "seed", "cycle"])
    return per_seed(gap[gap["cycle"].between(*FADED_BY)], "gap")


def ips_gap_by_cycle(ev: Evidence) -> pd.DataFrame:
    """The TypiClust − random IPS gap per cycle: mean over cells (each the mean of its seeds and
    strategies), with its 95 % interval over datasets and seeds (the fade curve of the claim)."""
    gap = _ips_gap(ev.al, [*SETTING, "strategy", "seed", "cycle"])
    rows = []
    for cycle, grp in gap.groupby("cycle"):
        seeds = per_seed(grp, "gap")
        low, high = nested_bootstrap_interval(seeds, _mean_of_cells, n_boot=500)
        rows.append((int(cycle), _mean_of_cells(seeds.groupby(list(CELL))["value"].mean().reset_index()),
                     low, high, seeds["dataset"].nunique()))
    return pd.DataFrame(rows, columns=["cycle", "gap", "low", "high", "n_datasets"])


def _mean_of_cells(frame: pd.DataFrame) -> float:
    return float(frame["value"].mean())


def absolute_mean(frame: pd.DataFrame) -> float:
    """``|mean|`` of the values: an interval of it below a margin says the mean is near zero."""
    return float(abs(frame["value"].mean()))


QUALITY = "knn_accuracy"
"""The quality of a cell in the quality claims: full-pool k-NN accuracy (cosine, k = 10), what the
geometry of the embedding alone separates. Not the AL probe's own full-pool accuracy: the final
AL accuracy is about 96 % of that, so a correlation with it would be nearly circular."""


def within_dataset_spearman(per_cell: pd.DataFrame, quality: pd.DataFrame) -> pd.DataFrame:
    """Per dataset: Spearman correlation over its embedders of ``value`` with :data:`QUALITY`."""
    data = per_cell.merge(quality[[*CELL, QUALITY]], on=list(CELL))
    rows = []
    for dataset, grp in data.groupby("dataset"):
        if len(grp) >= 3 and grp["value"].nunique() > 1 and grp[QUALITY].nunique() > 1:
            rows.append((dataset, float(grp["value"].corr(grp[QUALITY], method="spearman"))))
    return pd.DataFrame(rows, columns=["dataset", "value"])


def ips_gain_with_quality(ev: Evidence) -> pd.DataFrame:
    return within_dataset_spearman(small_k0_gain(ev), ev.quality)


def accuracy_with_quality(ev: Evidence) -> pd.DataFrame:
    al = ev.al
    final = al[al["cycle"] == al["cycles"]].groupby(list(CELL))["accuracy"].mean().rename("value").reset_index()
    return within_dataset_spearman(final, ev.quality)


PROTOCOL_TARGETS: tuple[float, ...] = (0.85, 0.95)
"""TYROGUE's paper's targets: these shares of the fully supervised model's macro-F1."""


def _log_label_ratio(runs: pd.DataFrame, quality: pd.DataFrame, baseline: str, targets: Sequence[float],
                     score: str, metric: str) -> pd.DataFrame:
    """Per cell and seed: log(labels TYROGUE needs / labels ``baseline`` needs) to reach each target share
    of the full-pool probe's ``score``, averaged over ``targets``; never reached: budget + 1 (censored)."""
    runs = runs[runs["strategy"].isin(["tyrogue", baseline])]
    if runs.empty or not {"tyrogue", baseline} <= set(runs["strategy"]):
        return pd.DataFrame(columns=[*CELL, "seed", "value"])
    cost = labels_to_target(runs, quality[[*CELL, score]], tuple(targets), score=score, metric=metric)
    cost["labels"] = cost["labels"].where(cost["reached"], cost["budget"] + 1)
    labels = cost.groupby([*CELL, "seed", "fraction", "strategy"])["labels"].mean().unstack("strategy")
    logs = np.log(labels["tyrogue"] / labels[baseline]).dropna().rename("value").reset_index()
    return logs.groupby([*CELL, "seed"])["value"].mean().reset_index()


def label_cost_ratio(ev: Evidence, baseline: str = "entropy") -> pd.DataFrame:
    """This study's protocol: log of the labels TYROGUE needs to reach :data:`TARGET` of the full-pool
    probe's accuracy over those ``baseline`` needs, both from the same random initial pool, per cell and seed."""
    runs = ev.al_runs[ev.al_runs["ips"] == "random"]
    return _log_label_ratio(runs, ev.quality, baseline, (TARGET,), "probe_accuracy", "accuracy")


def protocol_cost_ratio(ev: Evidence, baseline: str = "entropy") -> pd.DataFrame:
    """TYROGUE's protocol: log of the labels TYROGUE (from its cold start) needs to reach
    :data:`PROTOCOL_TARGETS` of the full-pool probe's macro-F1 over those ``baseline`` (from a random
    first batch) needs, averaged over the targets, per cell and seed."""
    if ev.tyrogue is None or ev.tyrogue.empty:
        return pd.DataFrame(columns=[*CELL, "seed", "value"])
    return _log_label_ratio(ev.tyrogue, ev.quality, baseline, PROTOCOL_TARGETS, "probe_macro_f1", "macro_f1")


def tyrogue_label_cost(ev: Evidence) -> pd.DataFrame:
    """:func:`protocol_cost_ratio` against Entropy, the uncertainty sampling TYROGUE's paper compares with."""
    return protocol_cost_ratio(ev, "entropy")


def tyrogue_label_cost_study(ev: Evidence) -> pd.DataFrame:
    """:func:`label_cost_ratio` against Entropy, in this study's AL runs."""
    return label_cost_ratio(ev, "entropy")


def label_cost_table(ev: Evidence, baselines: Sequence[str] = ("entropy", "badge", "contrastive", "random"), *,
                     n_boot: int = 2000) -> pd.DataFrame:
    """TYROGUE's label cost against each baseline separately, at TYROGUE's protocol and at this study's:
    the geometric mean of the per-cell ratios with its 95 % interval over datasets and seeds
    (protocols and baselines without runs are left out).

    Returns
    -------
    DataFrame
        ``protocol``, ``baseline``, ``ratio``, ``low``, ``high``, ``n_datasets``, ``n_cells``.
    """
    rows = []
    for protocol, measure in (("TYROGUE's (cold start, batches of 50, macro-F1 85/95 %)", protocol_cost_ratio),
                              ("this study's (random IPS, accuracy 90 %)", label_cost_ratio)):
        for baseline in baselines:
            logs = measure(ev, baseline)
            if logs.empty:
                continue
            low, high = nested_bootstrap_interval(logs, geometric_mean, n_boot=n_boot)
            rows.append((protocol, baseline, geometric_mean(logs.groupby(list(CELL))["value"].mean().reset_index()),
                         low, high, logs["dataset"].nunique(), len(logs[list(CELL)].drop_duplicates())))
    return pd.DataFrame(rows, columns=["protocol", "baseline", "ratio", "low", "high", "n_datasets", "n_cells"])


def geometric_mean(frame: pd.DataFrame) -> float:
    """``exp(mean)`` of log ratios: the typical ratio, not biased up as a mean of ratios is."""
    return float(np.exp(frame["value"].mean()))


def tyrogue_latency(ev: Evidence) -> pd.DataFrame:
    """Per cell, at its largest pool: median query seconds of whole-pool TypiClust over TYROGUE's.

    TYROGUE's pre-filter avoids processing the whole pool; with cached embeddings the cost it
    avoids is clustering it (TypiClust), not a forward pass (which Entropy, Badge and CoreSet would
    need without a cache).
    """
    study = ev.latency[ev.latency["cycle"] >= 1]
    if study.empty:
        return pd.DataFrame(columns=[*CELL, "value"])
    largest = study[study["pool_size"] == study.groupby(list(CELL))["pool_size"].transform("max")]
    median = largest.groupby([*CELL, "strategy"])["select_s"].median().unstack("strategy")
    if not {"tyrogue", "typiclust"} <= set(median.columns):
        return pd.DataFrame(columns=[*CELL, "value"])
    return (median["typiclust"] / median["tyrogue"]).dropna().rename("value").reset_index()
