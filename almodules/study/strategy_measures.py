"""How the claims about query strategies are measured: win rates, AUC gains and their spread, the
top strategy's dependence on the embedder, and the shift from exploring to exploiting strategies.

Like :mod:`almodules.study.claim_measures` (the initial pools, embedding quality and TYROGUE), each
measure returns one row per cell and seed (or per dataset) for :mod:`almodules.study.verdicts`.
"""

from __future__ import annotations

import itertools

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from almodules.study.analysis import SETTING, area_under_curve, auc_gains, paired
from almodules.study.claim_measures import (CELL, PAPER_STRATEGIES, Evidence, per_seed, within_dataset_spearman)

__all__ = [
    "EXPLORATION", "EXPLOITATION", "worst_dataset", "seed_win_rates", "win_rate_of", "ips_preconditions_entropy",
    "win_rate_table", "strategy_gains", "spread_between_datasets", "spread_within_datasets",
    "top_varies_with_embedder", "badge_gain_with_quality", "transition_cycles", "quality_speeds_transition",
]


def _by_dataset(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per dataset of ``frame``: the count of finite values of ``column``, their sum and their sum of squares."""
    codes = pd.factorize(frame["dataset"])[0]
    x = frame[column].to_numpy(float)
    ok = np.isfinite(x)
    x0 = np.where(ok, x, 0.0)
    return (np.bincount(codes, ok), np.bincount(codes, x0), np.bincount(codes, x0 * x0))


def _dataset_means(frame: pd.DataFrame, column: str) -> np.ndarray:
    n, s, _ = _by_dataset(frame, column)
    with np.errstate(invalid="ignore", divide="ignore"):
        return s / n


def _dataset_sds(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Per dataset, the standard deviation (ddof 1) of ``column`` over its rows; NaN with fewer than two."""
    n, s, q = _by_dataset(frame, column)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (q - s * s / n) / (n - 1)
    return np.where(n > 1, np.sqrt(np.maximum(var, 0.0)), np.nan)


def worst_dataset(frame: pd.DataFrame) -> float:
    """The lowest dataset mean of the values: a claim of robustness across tasks must hold on each."""
    return float(np.nanmin(_dataset_means(frame, "value")))


def seed_win_rates(al: pd.DataFrame, strategy: str, against: Sequence[str] | None = None) -> pd.DataFrame:
    """Per cell, IPS and seed: ``strategy``'s share of wins (ties count half) over every cycle >= 1
    against the other strategies of ``al`` (or only ``against``), paired per cycle."""
    al = al[al["cycle"] >= 1]
    if against is not None:
        al = al[al["strategy"].isin([strategy, *against])]
    columns = [*CELL, "ips", "seed", "value"]
    if al.empty or strategy not in set(al["strategy"]):
        return pd.DataFrame(columns=columns)
    # One wide table for every cell: a strategy a cell lacks is NaN there and never counted.
    wide = paired(al, "strategy", "accuracy", [*SETTING, "ips", "seed", "cycle"])
    own = wide[strategy].to_numpy()[:, None]
    others = wide.drop(columns=strategy).to_numpy()
    both = ~np.isnan(own) & ~np.isnan(others)
    score = ((own > others) & both) + 0.5 * ((own == others) & both)  # halves: sums are exact in any order
    counts = wide.index.to_frame(index=False)[[*CELL, "ips", "seed"]].assign(
        score=score.sum(axis=1), n=both.sum(axis=1))
    counts = counts.groupby([*CELL, "ips", "seed"], sort=True)[["score", "n"]].sum().reset_index()
    counts = counts[counts["n"] > 0]
    return counts.assign(seed=counts["seed"].astype(int), value=counts["score"] / counts["n"])[columns] \
        .reset_index(drop=True)


def win_rate_of(strategy: str) -> Callable[[Evidence], pd.DataFrame]:
    """Per cell and seed: ``strategy``'s win rate against the other paper strategies, both IPS pooled."""
    def values(ev: Evidence) -> pd.DataFrame:
        return per_seed(seed_win_rates(ev.al, strategy), "value")
    return values


def ips_preconditions_entropy(ev: Evidence) -> pd.DataFrame:
    """Per cell and seed: Entropy's win rate against the TypiClust query strategy after a TypiClust
    initial pool minus after a random one (the paper: 0.69 to 0.73)."""
    rates = seed_win_rates(ev.al, "entropy", against=["typiclust"])
    wide = rates.pivot_table(index=[*CELL, "seed"], columns="ips", values="value")
    if not {"typiclust", "random"} <= set(wide.columns):
        return pd.DataFrame(columns=[*CELL, "seed", "value"])
    return (wide["typiclust"] - wide["random"]).dropna().rename("value").reset_index()


def win_rate_table(ev: Evidence, strategies: Sequence[str] = PAPER_STRATEGIES) -> pd.DataFrame:
    """Per paper strategy: its win rate after each IPS (mean over cells) and on its worst dataset.

    Returns
    -------
    DataFrame
        ``strategy``, one ``ips_<name>`` column per IPS, ``all`` (both IPS), ``worst_dataset`` and
        ``worst`` (that dataset's mean win rate).
    """
    rows = []
    for strategy in strategies:
        rates = seed_win_rates(ev.al, strategy)
        if rates.empty:
            continue
        row = {"strategy": strategy}
        for ips, grp in rates.groupby("ips"):
            row[f"ips_{ips}"] = float(grp.groupby(list(CELL))["value"].mean().mean())
        cells = rates.groupby(list(CELL))["value"].mean().reset_index()
        per_dataset = cells.groupby("dataset")["value"].mean()
        row.update({"all": float(cells["value"].mean()), "worst_dataset": per_dataset.idxmin(),
                    "worst": float(per_dataset.min())})
        rows.append(row)
    return pd.DataFrame(rows)


def _auc_gains(ev: Evidence) -> pd.DataFrame:
    """Per cell, seed and strategy: AUC minus random's AUC, paired per seed and IPS, averaged over IPS."""
    if not (ev.al["strategy"] == "random").any():
        return pd.DataFrame(columns=[*CELL, "seed", "strategy", "gain"])
    return auc_gains(ev.al).groupby([*CELL, "seed", "strategy"])["gain"].mean().reset_index()


def strategy_gains(ev: Evidence) -> pd.DataFrame:
    """Per cell and seed, one column per paper strategy but random: its AUC gain over random."""
    wide = _auc_gains(ev).pivot_table(index=[*CELL, "seed"], columns="strategy", values="gain")
    if not {"margin", "badge"} <= set(wide.columns):
        return pd.DataFrame(columns=[*CELL, "seed", "margin", "badge"])
    return wide.dropna(subset=["margin", "badge"]).reset_index().rename_axis(columns=None)


def spread_between_datasets(frame: pd.DataFrame) -> float:
    """Standard deviation over datasets of their mean gain (over embedders): Margin's minus Badge's."""
    margin, badge = _dataset_means(frame, "margin"), _dataset_means(frame, "badge")
    return float(np.std(margin, ddof=1) - np.std(badge, ddof=1)) if len(margin) > 1 else np.nan


def spread_within_datasets(frame: pd.DataFrame) -> float:
    """Mean over datasets of the standard deviation over their embedders of the gain: Margin's minus
    the mean of the other paper strategies' (negative: Margin varies less with the embedder)."""
    others = [c for c in frame.columns if c in PAPER_STRATEGIES and c not in ("margin", "random")]
    if not others or frame.empty:
        return np.nan
    margin = _dataset_sds(frame, "margin")
    with np.errstate(invalid="ignore"):
        rest = np.nanmean(np.column_stack([_dataset_sds(frame, c) for c in others]), axis=1) \
            if len(frame) else np.array([])
    diff = margin - rest
    return float(np.nanmean(diff)) if np.isfinite(diff).any() else np.nan


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


def badge_gain_with_quality(ev: Evidence) -> pd.DataFrame:
    gains = _auc_gains(ev)
    badge = gains[gains["strategy"] == "badge"].groupby(list(CELL))["gain"].mean().rename("value").reset_index()
    return within_dataset_spearman(badge, ev.quality)


EXPLORATION: tuple[str, ...] = ("typiclust", "probcover", "coreset", "dropquery")
"""The paper's diversity-based (exploring) query strategies, DropQuery among them (its Sec. 5)."""

EXPLOITATION: tuple[str, ...] = ("margin", "entropy", "badge")
"""The uncertainty-based and hybrid (exploiting) strategies the paper sees taking over."""


def transition_cycles(al: pd.DataFrame) -> pd.DataFrame:
    """Per cell: the first cycle from which exploiting strategies hold the top of at least as many runs
    (seeds × IPS; a tie for the top is shared) as exploring ones, at that cycle and every later one.

    A cell where exploration still leads at the last cycle gets ``cycles + 1`` (censored).
    """
    runs = al[(al["cycle"] >= 1) & al["strategy"].isin(PAPER_STRATEGIES)]
    if runs.empty:
        return pd.DataFrame(columns=[*CELL, "value"])
    key = [*CELL, "ips", "seed", "cycle"]
    top = runs["accuracy"] == runs.groupby(key)["accuracy"].transform("max")
    share = top / top.groupby([runs[k] for k in key]).transform("sum")
    side = np.where(runs["strategy"].isin(EXPLOITATION), 1.0, np.where(runs["strategy"].isin(EXPLORATION), -1.0, 0.0))
    lead = (share * side).groupby([runs["dataset"], runs["embedder"], runs["cycle"]]).sum()
    rows = []
    for cell, curve in lead.groupby(level=[0, 1]):
        cycles = curve.index.get_level_values("cycle").to_numpy()
        behind = cycles[curve.to_numpy() < 0]
        rows.append((*cell, int(behind.max()) + 1 if len(behind) else int(cycles.min())))
    return pd.DataFrame(rows, columns=[*CELL, "value"])


def quality_speeds_transition(ev: Evidence) -> pd.DataFrame:
    return within_dataset_spearman(transition_cycles(ev.al), ev.quality)
