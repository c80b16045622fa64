"""Who beats whom: pairwise win rates, how often a strategy is on top, and the IPS study's winners.

Every function takes the result store's tidy cycle table (or a summary of it from
:mod:`almodules.study.analysis`, whose vocabulary of *setting*, *method* and *paired* it shares) and
returns a tidy :class:`pandas.DataFrame`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from almodules.core.validation import ConfigError, check_choice, require_columns
from almodules.study.analysis import METRICS, SETTING, paired, summarise_seeds

__all__ = [
    "win_rates", "win_rate_matrix", "top_frequency", "top_strategy_frequency", "ips_accuracy",
    "ips_win_frequency",
]


def win_rates(cycles: pd.DataFrame, metric: str = "accuracy", *, min_cycle: int = 1,
              tie: float = 0.5) -> pd.DataFrame:
    """Pairwise win rates of query strategies (the paper's Figure 4), tidy.

    A comparison is one (setting, ips, seed, cycle) at which both strategies have a result;
    strategy *i* wins it when its ``metric`` is higher than *j*'s. The win rate of *i* over *j* is
    ``(wins + tie * ties) / comparisons``; with the default ``tie=0.5``,
    ``rate(i, j) + rate(j, i) = 1``. Cycles below ``min_cycle`` are left out: row 0 is the initial
    pool, shared by every strategy with the same IPS and seed, so it is a tie by construction.

    Definition note: the paper shows win-rate matrices between query strategies per IPS and
    embedder, aggregated over datasets and cycles with paired seeds; the exact tie handling is not
    stated in the text we could consult, hence the explicit ``tie`` parameter. Filter the cycle
    table first (for example to one IPS or one embedder) to get the paper's panels.

    Parameters
    ----------
    cycles : DataFrame
        Cycle table.
    metric : {"accuracy", "macro_f1"}
    min_cycle : int
        First cycle compared.
    tie : float
        Credit for a tie, in [0, 1].

    Returns
    -------
    DataFrame
        ``strategy``, ``opponent``, ``wins``, ``ties``, ``comparisons``, ``win_rate`` for every
        ordered pair of distinct strategies with at least one comparison.
    """
    check_choice("metric", metric, METRICS)
    if not 0.0 <= tie <= 1.0:
        raise ConfigError(f"tie must be within [0, 1], got {tie}")
    sub = cycles[cycles["cycle"] >= min_cycle]
    wide = paired(sub, "strategy", metric, [*SETTING, "ips", "seed", "cycle"])
    names = list(wide.columns)
    values = wide.to_numpy(dtype=float)
    rows = []
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if i == j:
                continue
            both = ~np.isnan(values[:, i]) & ~np.isnan(values[:, j])
            n = int(both.sum())
            if n == 0:
                continue
            wins = int((values[both, i] > values[both, j]).sum())
            ties = int((values[both, i] == values[both, j]).sum())
            rows.append((a, b, wins, ties, n, (wins + tie * ties) / n))
    return pd.DataFrame(rows, columns=["strategy", "opponent", "wins", "ties", "comparisons", "win_rate"])


def win_rate_matrix(rates: pd.DataFrame, order: Sequence[str] | None = None) -> pd.DataFrame:
    """Square matrix view of :func:`win_rates`: rows = strategy, columns = opponent.

    Parameters
    ----------
    rates : DataFrame
        Output of :func:`win_rates`.
    order : sequence of str, optional
        Row and column order (default: by mean win rate, best first).

    Returns
    -------
    DataFrame
        ``matrix.loc[i, j]`` = rate at which *i* beats *j*; NaN on the diagonal and where two
        strategies were never compared.
    """
    matrix = rates.pivot(index="strategy", columns="opponent", values="win_rate")
    if order is None:
        order = matrix.mean(axis=1).sort_values(ascending=False).index
    order = list(order)
    return matrix.reindex(index=order, columns=order)


def top_frequency(means: pd.DataFrame, contender: str, value: str, group: Sequence[str],
                  by: Sequence[str] = (), *, tol: float = 0.0) -> pd.DataFrame:
    """How often each contender has the highest ``value`` within its group.

    Within each ``group`` the contenders whose ``value`` is within ``tol`` of the maximum share
    one win equally (two tied for top get 0.5 each). The credit is then summed per ``by`` slice
    and contender, and divided by the number of groups in that slice.

    Parameters
    ----------
    means : DataFrame
        One row per group and contender (e.g. seed means).
    contender : str
        Column naming what competes (``"strategy"``, ``"ips"``).
    value : str
        Column to maximise.
    group : sequence of str
        Columns defining one competition; must include ``by``.
    by : sequence of str
        Columns to report frequencies per (empty: one overall frequency).
    tol : float
        Absolute tolerance for a tie at the top.

    Returns
    -------
    DataFrame
        ``by`` columns, ``contender``, ``wins`` (fractional), ``groups``, ``frequency``; every
        contender that took part appears, with 0 wins when it never topped a group.
    """
    group, by = list(group), list(by)
    if not set(by) <= set(group):
        raise ConfigError(f"by {by} must be a subset of group {group}")
    require_columns(means, [*group, contender, value], "top_frequency")
    data = means.dropna(subset=[value]).copy()
    best = data.groupby(group, dropna=False)[value].transform("max")
    data["top"] = (data[value] >= best - tol).astype(float)
    data["credit"] = data["top"] / data.groupby(group, dropna=False)["top"].transform("sum")
    keys = [*by, contender]
    wins = data.groupby(keys, dropna=False)["credit"].sum().rename("wins").reset_index()
    if by:
        groups = data.drop_duplicates(group).groupby(by, dropna=False).size().rename("groups").reset_index()
        out = wins.merge(groups, on=by, how="left")
    else:
        out = wins.assign(groups=len(data.drop_duplicates(group)))
    out["frequency"] = out["wins"] / out["groups"]
    return out.sort_values([*by, "frequency"], ascending=[True] * len(by) + [False]).reset_index(drop=True)


def top_strategy_frequency(cycles: pd.DataFrame, by: Sequence[str] = ("cycle",), metric: str = "accuracy",
                           *, min_cycle: int = 1, tol: float = 0.0) -> pd.DataFrame:
    """How often each query strategy is the best one (the paper's Figures 5 and 7).

    A competition is one (setting, ips, cycle): the strategy with the highest seed-mean
    ``metric`` is top (ties share the win). Frequencies are reported per ``by``: ``("cycle",)``
    for Figure 5, ``("embedder",)`` or ``("dataset",)`` for Figure 7.

    Parameters
    ----------
    cycles : DataFrame
        Cycle table.
    by : sequence of str
        Columns of :data:`SETTING`, ``ips`` or ``cycle``.
    metric : {"accuracy", "macro_f1"}
    min_cycle : int
        First cycle counted (row 0, the shared initial pool, ties by construction).
    tol : float
        Tolerance for a tie at the top.

    Returns
    -------
    DataFrame
        ``by``, ``strategy``, ``wins``, ``groups``, ``frequency``.
    """
    check_choice("metric", metric, METRICS)
    group = [*SETTING, "ips", "cycle"]
    for col in by:
        check_choice("by", col, group)
    sub = cycles[cycles["cycle"] >= min_cycle]
    means = sub.groupby([*group, "strategy"], dropna=False)[metric].mean().reset_index()
    return top_frequency(means, "strategy", metric, group, by, tol=tol)


def _ips_runs(cycles: pd.DataFrame) -> pd.DataFrame:
    """Rows of IPS-only runs (``cycles == 0``): the accuracy of a probe on the initial pool."""
    sub = cycles[(cycles["cycles"] == 0) & (cycles["cycle"] == 0)]
    if sub.empty:
        raise ConfigError("no IPS-only runs (cycles=0) in the cycle table")
    return sub


def ips_accuracy(cycles: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """The IPS study: ``metric`` of the probe trained on the initial pool alone, per IPS and k0.

    Only IPS-only runs (``cycles == 0``, budget = k0) are used: row 0 of an AL run repeats them and
    would weigh each initial pool once per query strategy.

    Returns
    -------
    DataFrame
        ``dataset``, ``embedder``, ``pool_size``, ``ips``, ``k0``, ``mean``, ``std``, ``n_seeds``.
    """
    check_choice("metric", metric, METRICS)
    return summarise_seeds(_ips_runs(cycles), metric, ["dataset", "embedder", "pool_size", "ips", "k0"])


def ips_win_frequency(cycles: pd.DataFrame, metric: str = "accuracy", *, tol: float = 0.0) -> pd.DataFrame:
    """How often each IPS gives the best initial pool, per k0 (the paper's Figure 1).

    A competition is one (dataset, embedder, pool_size, k0); the IPS with the highest seed-mean
    ``metric`` wins it (ties share).

    Returns
    -------
    DataFrame
        ``k0``, ``ips``, ``wins``, ``groups``, ``frequency``.
    """
    means = ips_accuracy(cycles, metric)
    return top_frequency(means, "ips", "mean", ["dataset", "embedder", "pool_size", "k0"], ["k0"], tol=tol)
