"""How each claim of :mod:`almodules.study.verdicts` is measured: one value per cell or dataset.

Each measure takes the :class:`Evidence` (the cycle tables of the three studies and each cell's
embedding quality) and returns one row per independent unit with a ``value`` column (or the rows
its claim's statistic needs). Pairing is always per seed inside a cell.
"""

from __future__ import annotations

import itertools

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from almodules.datasets.registry import DATASETS
from almodules.study.analysis import SETTING, area_under_curve, auc_gains, labels_to_target, paired

__all__ = [
    "PAPER_STRATEGIES", "CELL", "TARGET", "Evidence", "ips_small_k0", "ips_fades_with_k0", "ips_fades_over_cycles",
    "win_rate_of", "margin_vs_badge_spread", "spread_difference", "top_varies_with_embedder", "ips_gain_with_quality",
    "badge_gain_with_quality", "accuracy_with_quality", "tyrogue_label_cost", "tyrogue_latency", "FADED_BY",
    "FADED_MARGIN", "absolute_mean", "geometric_mean", "QUALITY",
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
    ``embedder``, ``probe_accuracy``.
    """

    al_runs: pd.DataFrame
    ips_only: pd.DataFrame
    latency: pd.DataFrame
    quality: pd.DataFrame

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


def ips_small_k0(ev: Evidence) -> pd.DataFrame:
    gap = _ips_gap(ev.ips_only, [*SETTING, "strategy", "seed"])
    small = gap[gap["k0"] <= _SMALL_K0]
    return small.groupby(list(CELL))["gap"].mean().rename("value").reset_index()


def _pool_rows(frame: pd.DataFrame) -> pd.Series:
    """Each row's pool size: its ``pool_size``, else its dataset's train split (unknown: no limit)."""
    train = frame["dataset"].map(lambda d: DATASETS[d].n_train if d in DATASETS and DATASETS[d].n_train else np.inf)
    return frame["pool_size"].astype(float).fillna(train.astype(float))


def ips_fades_with_k0(ev: Evidence) -> pd.DataFrame:
    gap = _ips_gap(ev.ips_only, [*SETTING, "strategy", "seed"])
    # An initial pool of more than half the pool leaves both IPS nearly the same points: the gap is forced to 0.
    gap = gap[gap["k0"] <= _pool_rows(gap) / 2]
    small = gap[gap["k0"] <= _SMALL_K0].groupby(list(CELL))["gap"].mean()
    large = gap[gap["k0"] >= _LARGE_K0].groupby(list(CELL))["gap"].mean()
    return (small - large).dropna().rename("value").reset_index()


FADED_BY = (5, 10)
"""Cycles by which the paper says the IPS gap approaches zero ("within approximately 5 to 10 AL cycles")."""

FADED_MARGIN = 0.01
"""Largest mean gap (accuracy) that counts as having approached zero."""


def ips_fades_over_cycles(ev: Evidence) -> pd.DataFrame:
    gap = _ips_gap(ev.al, [*SETTING, "strategy", "seed", "cycle"])
    window = gap[gap["cycle"].between(*FADED_BY)]
    return window.groupby(list(CELL))["gap"].mean().rename("value").reset_index()


def absolute_mean(frame: pd.DataFrame) -> float:
    """``|mean|`` of the values: an interval of it below a margin says the mean is near zero."""
    return float(abs(frame["value"].mean()))


def win_rate_of(strategy: str) -> Callable[[Evidence], pd.DataFrame]:
    def values(ev: Evidence) -> pd.DataFrame:
        al = ev.al[ev.al["cycle"] >= 1]
        rows = []
        for cell, grp in al.groupby(list(CELL)):
            wide = paired(grp, "strategy", "accuracy", [*SETTING, "ips", "seed", "cycle"])
            if strategy not in wide.columns or wide.shape[1] < 2:
                continue
            own = wide[strategy].to_numpy()[:, None]
            others = wide.drop(columns=strategy).to_numpy()
            both = ~np.isnan(own) & ~np.isnan(others)
            wins = ((own > others) & both).sum() + 0.5 * ((own == others) & both).sum()
            rows.append((*cell, wins / both.sum()))
        return pd.DataFrame(rows, columns=[*CELL, "value"])
    return values


def _auc_gains(ev: Evidence) -> pd.DataFrame:
    """Per cell and strategy: AUC minus random's AUC, paired per seed and IPS, averaged."""
    if not (ev.al["strategy"] == "random").any():
        return pd.DataFrame(columns=[*CELL, "strategy", "gain"])
    return auc_gains(ev.al).groupby([*CELL, "strategy"])["gain"].mean().reset_index()


def margin_vs_badge_spread(ev: Evidence) -> pd.DataFrame:
    gains = _auc_gains(ev)
    wide = gains.pivot_table(index=list(CELL), columns="strategy", values="gain")
    if not {"margin", "badge"} <= set(wide.columns):
        return pd.DataFrame(columns=[*CELL, "margin", "badge"])
    return wide[["margin", "badge"]].dropna().reset_index()


def spread_difference(frame: pd.DataFrame) -> float:
    return float(frame["margin"].std(ddof=1) - frame["badge"].std(ddof=1)) if len(frame) > 1 else np.nan


def top_varies_with_embedder(ev: Evidence) -> pd.DataFrame:
    """Per dataset: how much more often two embedders' top strategies differ than two seeds' of one embedder.

    The top of one run set (dataset, embedder, seed; random IPS) is the paper strategy with the highest
    AUC. ``across``: the share of embedder pairs whose tops differ at the same seed; ``within``: the share
    of seed pairs of one embedder whose tops differ (seed noise alone). ``value = across - within``: above
    0 when the embedder changes the top strategy more than reseeding does; about 0 when seed noise alone
    makes the tops differ (then no quality or embedder effect is shown).
    """
    runs = ev.al[(ev.al["ips"] == "random") & ev.al["strategy"].isin(PAPER_STRATEGIES)]
    auc = area_under_curve(runs)
    top = auc.loc[auc.groupby([*CELL, "seed"])["auc"].idxmax(), [*CELL, "seed", "strategy"]]
    rows = []
    for dataset, grp in top.groupby("dataset"):
        tops = grp.pivot(index="embedder", columns="seed", values="strategy")
        across = [a != b for s in tops.columns for a, b in itertools.combinations(tops[s].dropna(), 2)]
        within = [a != b for e in tops.index for a, b in itertools.combinations(tops.loc[e].dropna(), 2)]
        if across and within:
            rows.append((dataset, float(np.mean(across) - np.mean(within))))
    return pd.DataFrame(rows, columns=["dataset", "value"])


QUALITY = "knn_accuracy"
"""The quality of a cell in the quality claims: full-pool k-NN accuracy (cosine, k = 10), what the
geometry of the embedding alone separates. Not the AL probe's own full-pool accuracy: the final
AL accuracy is about 96 % of that, so a correlation with it would be nearly circular."""


def _within_dataset_spearman(per_cell: pd.DataFrame, quality: pd.DataFrame) -> pd.DataFrame:
    """Per dataset: Spearman correlation over its embedders of ``value`` with :data:`QUALITY`."""
    data = per_cell.merge(quality[[*CELL, QUALITY]], on=list(CELL))
    rows = []
    for dataset, grp in data.groupby("dataset"):
        if len(grp) >= 3 and grp["value"].nunique() > 1 and grp[QUALITY].nunique() > 1:
            rows.append((dataset, float(grp["value"].corr(grp[QUALITY], method="spearman"))))
    return pd.DataFrame(rows, columns=["dataset", "value"])


def ips_gain_with_quality(ev: Evidence) -> pd.DataFrame:
    return _within_dataset_spearman(ips_small_k0(ev), ev.quality)


def badge_gain_with_quality(ev: Evidence) -> pd.DataFrame:
    gains = _auc_gains(ev)
    badge = gains[gains["strategy"] == "badge"].rename(columns={"gain": "value"})[[*CELL, "value"]]
    return _within_dataset_spearman(badge, ev.quality)


def accuracy_with_quality(ev: Evidence) -> pd.DataFrame:
    al = ev.al
    final = al[al["cycle"] == al["cycles"]].groupby(list(CELL))["accuracy"].mean().rename("value").reset_index()
    return _within_dataset_spearman(final, ev.quality)


def tyrogue_label_cost(ev: Evidence) -> pd.DataFrame:
    """Per cell, the log of the median labels TYROGUE needs to reach the target over those Entropy needs
    (TYROGUE's paper compares with uncertainty sampling); a run that never reaches it counts as one
    label above its budget (censored)."""
    c = ev.al_runs
    runs = c[(c["ips"] == "random") & c["strategy"].isin(["tyrogue", "entropy"])]
    if runs.empty or not {"tyrogue", "entropy"} <= set(runs["strategy"]):
        return pd.DataFrame(columns=[*CELL, "value"])
    cost = labels_to_target(runs, ev.quality[[*CELL, "probe_accuracy"]], (TARGET,), score="probe_accuracy")
    cost["labels"] = cost["labels"].where(cost["reached"], cost["budget"] + 1)
    median = cost.groupby([*CELL, "strategy"])["labels"].median().unstack("strategy")
    return np.log(median["tyrogue"] / median["entropy"]).dropna().rename("value").reset_index()


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
