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

from almodules.study.analysis import SETTING, area_under_curve, auc_gains, labels_to_target, paired

__all__ = [
    "PAPER_STRATEGIES", "CELL", "TARGET", "Evidence", "ips_small_k0", "ips_fades_with_k0", "ips_fades_over_cycles",
    "win_rate_of", "margin_vs_badge_spread", "spread_difference", "top_varies_with_embedder", "ips_gain_with_quality",
    "badge_gain_with_quality", "accuracy_with_quality", "tyrogue_label_cost", "tyrogue_latency",
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


def ips_fades_with_k0(ev: Evidence) -> pd.DataFrame:
    gap = _ips_gap(ev.ips_only, [*SETTING, "strategy", "seed"])
    small = gap[gap["k0"] <= _SMALL_K0].groupby(list(CELL))["gap"].mean()
    large = gap[gap["k0"] >= _LARGE_K0].groupby(list(CELL))["gap"].mean()
    return (small - large).dropna().rename("value").reset_index()


def ips_fades_over_cycles(ev: Evidence) -> pd.DataFrame:
    gap = _ips_gap(ev.al, [*SETTING, "strategy", "seed", "cycle"])
    first = gap[gap["cycle"] == 0].groupby(list(CELL))["gap"].mean()
    last = gap[gap["cycle"] == gap["cycles"]].groupby(list(CELL))["gap"].mean()
    return (first - last).dropna().rename("value").reset_index()


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


def _within_dataset_spearman(per_cell: pd.DataFrame, quality: pd.DataFrame) -> pd.DataFrame:
    """Per dataset: Spearman correlation over its embedders of ``value`` with probe accuracy."""
    data = per_cell.merge(quality[[*CELL, "probe_accuracy"]], on=list(CELL))
    rows = []
    for dataset, grp in data.groupby("dataset"):
        if len(grp) >= 3 and grp["value"].nunique() > 1 and grp["probe_accuracy"].nunique() > 1:
            rows.append((dataset, float(grp["value"].corr(grp["probe_accuracy"], method="spearman"))))
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
    c = ev.al_runs
    runs = c[(c["ips"] == "random") & c["strategy"].isin(["tyrogue", "margin", "entropy", "badge", "coreset"])]
    if runs.empty or "tyrogue" not in set(runs["strategy"]):
        return pd.DataFrame(columns=[*CELL, "value"])
    cost = labels_to_target(runs, ev.quality[[*CELL, "probe_accuracy"]], (TARGET,), score="probe_accuracy")
    # Censored: a run that never reaches the target counts as one label above its budget.
    cost["labels"] = cost["labels"].where(cost["reached"], cost["budget"] + 1)
    median = cost.groupby([*CELL, "strategy"])["labels"].median().unstack("strategy")
    if "tyrogue" not in median.columns or median.shape[1] < 2:
        return pd.DataFrame(columns=[*CELL, "value"])
    ratio = median["tyrogue"] / median.drop(columns="tyrogue").min(axis=1)
    return ratio.rename("value").reset_index()


def tyrogue_latency(ev: Evidence) -> pd.DataFrame:
    study = ev.latency[ev.latency["cycle"] >= 1]
    if study.empty:
        return pd.DataFrame(columns=[*CELL, "value"])
    largest = study[study["pool_size"] == study.groupby(list(CELL))["pool_size"].transform("max")]
    median = largest.groupby([*CELL, "strategy"])["select_s"].median().unstack("strategy")
    wide_ones = [s for s in ("coreset", "badge") if s in median.columns]
    if "tyrogue" not in median.columns or not wide_ones:
        return pd.DataFrame(columns=[*CELL, "value"])
    return (median[wide_ones].min(axis=1) / median["tyrogue"]).rename("value").reset_index()
