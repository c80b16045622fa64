"""Analysis of cycle tables: learning curves, AUC, IPS deltas, win rates, label cost, latency.

Every function takes the result store's tidy cycle table (one row per run and cycle, columns as in
:class:`almodules.store.ResultStore`) and returns a tidy :class:`pandas.DataFrame`; nothing here
plots, reads files or trains models.

Vocabulary
----------
setting
    What makes two runs comparable: :data:`SETTING` = dataset, embedder, k0, budget, cycles and
    pool_size. Runs are only ever compared within one setting.
method
    The initial-pool selection (``ips``) and the query ``strategy`` of a run.
paired
    Two runs are paired when they share the setting and the seed (and, for per-cycle comparisons,
    the cycle). Pairs share the same pool, and with the same IPS the same initial pool, so
    differences between them are due to the compared factor alone.

Seeds are summarised as mean and sample standard deviation (``ddof=1``; 0 with a single seed, the
``n_seeds`` column says how many there were).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .validation import check_choice

__all__ = [
    "SETTING", "METHOD", "summarise_seeds", "learning_curves", "area_under_curve",
    "ips_difference_curves", "win_rates", "win_rate_matrix", "top_frequency",
    "top_strategy_frequency", "ips_accuracy", "ips_win_frequency", "labels_to_target",
    "acquisition_latency", "al_gain", "gain_quality_correlation",
]

SETTING: tuple[str, ...] = ("dataset", "embedder", "k0", "budget", "cycles", "pool_size")
"""Columns that define a comparable experimental setting."""

METHOD: tuple[str, ...] = ("ips", "strategy")
"""Columns that define what is being compared."""

METRICS = ("accuracy", "macro_f1")


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs columns {missing}; got {list(frame.columns)}")


def summarise_seeds(frame: pd.DataFrame, value: str, by: Sequence[str]) -> pd.DataFrame:
    """Mean, sample std and count of ``value`` over the rows of each ``by`` group.

    Parameters
    ----------
    frame : DataFrame
        One row per seed (and group).
    value : str
        Numeric column to summarise; NaN values are skipped (counted in ``n_seeds`` only when set).
    by : sequence of str
        Group columns; missing values (``pool_size`` of a full-pool run) form their own group.

    Returns
    -------
    DataFrame
        ``by`` columns, then ``mean``, ``std`` (``ddof=1``, 0 for one value) and ``n_seeds``.
    """
    _require(frame, [*by, value], "summarise_seeds")
    grouped = frame.groupby(list(by), dropna=False, sort=True)[value]
    out = grouped.agg(mean="mean", std="std", n_seeds="count").reset_index()
    out["std"] = out["std"].fillna(0.0)
    return out


def learning_curves(cycles: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """Learning curves: ``metric`` per cycle, mean and std over seeds, per setting and method.

    Parameters
    ----------
    cycles : DataFrame
        Cycle table.
    metric : {"accuracy", "macro_f1"}

    Returns
    -------
    DataFrame
        :data:`SETTING`, :data:`METHOD`, ``cycle``, ``n_labeled``, ``mean``, ``std``, ``n_seeds``;
        one row per curve point, sorted.
    """
    check_choice("metric", metric, METRICS)
    keys = [*SETTING, *METHOD, "cycle", "n_labeled"]
    return summarise_seeds(cycles, metric, keys)


def area_under_curve(cycles: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """Normalised area under each run's learning curve.

    The curve ``metric(n_labeled)`` is integrated with the trapezoid rule over the number of
    labels and divided by the labelled range ``n_labeled[-1] - n_labeled[0]``: the mean metric over
    the budget, on the metric's own scale (so 0.8 reads as "80 % accuracy on average"). A run with
    a single row (an IPS-only run) has the metric of that row as its AUC.

    Parameters
    ----------
    cycles : DataFrame
        Cycle table.
    metric : {"accuracy", "macro_f1"}

    Returns
    -------
    DataFrame
        One row per run: :data:`SETTING`, :data:`METHOD`, ``seed``, ``auc``. Summarise over seeds
        with :func:`summarise_seeds`.
    """
    check_choice("metric", metric, METRICS)
    keys = [*SETTING, *METHOD, "seed"]
    _require(cycles, [*keys, "cycle", "n_labeled", metric], "area_under_curve")

    def one_run(run: pd.DataFrame) -> float:
        run = run.sort_values("cycle")
        x = run["n_labeled"].to_numpy(dtype=float)
        y = run[metric].to_numpy(dtype=float)
        if len(x) == 1 or x[-1] == x[0]:
            return float(y.mean())
        return float(np.trapezoid(y, x) / (x[-1] - x[0]))

    rows = [(*key, one_run(run)) for key, run in cycles.groupby(keys, dropna=False, sort=True)]
    return pd.DataFrame(rows, columns=[*keys, "auc"])


def _paired(cycles: pd.DataFrame, factor: str, value: str, index: Sequence[str]) -> pd.DataFrame:
    """Wide table: one row per ``index`` key, one column per level of ``factor``."""
    _require(cycles, [*index, factor, value], "pairing")
    wide = cycles.set_index([*index, factor])[value]
    if not wide.index.is_unique:
        dup = wide.index[wide.index.duplicated()][0]
        raise ValueError(f"duplicate rows for {dict(zip([*index, factor], dup))}: "
                         "one row per run and cycle expected")
    return wide.unstack(factor)


def ips_difference_curves(cycles: pd.DataFrame, treatment: str = "typiclust", control: str = "random",
                          metric: str = "accuracy") -> pd.DataFrame:
    """IPS difference curves (the paper's Figure 3): ``treatment`` IPS minus ``control`` IPS.

    For every setting, query strategy, seed and cycle, the run that started from the
    ``treatment`` initial pool is paired with the run that started from the ``control`` pool; the
    difference of ``metric`` is then summarised over seeds. Pairs with one side missing are dropped.

    Parameters
    ----------
    cycles : DataFrame
        Cycle table.
    treatment, control : str
        IPS names (values of the ``ips`` column).
    metric : {"accuracy", "macro_f1"}

    Returns
    -------
    DataFrame
        :data:`SETTING`, ``strategy``, ``cycle``, ``n_labeled``, ``mean``, ``std``, ``n_seeds`` of
        ``metric[treatment] - metric[control]``.
    """
    check_choice("metric", metric, METRICS)
    index = [*SETTING, "strategy", "seed", "cycle", "n_labeled"]
    sub = cycles[cycles["ips"].isin([treatment, control])]
    wide = _paired(sub, "ips", metric, index)
    for name in (treatment, control):
        if name not in wide.columns:
            raise ValueError(f"no runs with ips={name!r}; ips values present: "
                             f"{sorted(cycles['ips'].unique())}")
    diff = (wide[treatment] - wide[control]).dropna().rename("difference").reset_index()
    return summarise_seeds(diff, "difference", [*SETTING, "strategy", "cycle", "n_labeled"])


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
        raise ValueError(f"tie must be within [0, 1], got {tie}")
    sub = cycles[cycles["cycle"] >= min_cycle]
    wide = _paired(sub, "strategy", metric, [*SETTING, "ips", "seed", "cycle"])
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
        raise ValueError(f"by {by} must be a subset of group {group}")
    _require(means, [*group, contender, value], "top_frequency")
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
        raise ValueError("no IPS-only runs (cycles=0) in the cycle table")
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


def labels_to_target(cycles: pd.DataFrame, reference: pd.DataFrame,
                     fractions: Sequence[float] = (0.85, 0.90, 0.95), *, score: str = "accuracy",
                     metric: str = "accuracy", method: str = "first") -> pd.DataFrame:
    """Labels needed to reach a fraction of the fully supervised score (TYROGUE's metric).

    For each run and fraction ``f`` the target is ``f * reference[score]`` of the matching
    fully supervised probe (trained on the whole pool). ``method="first"`` reports the
    ``n_labeled`` of the first cycle whose ``metric`` reaches the target: the labels an annotator
    actually pays for, since labels come in batches. ``method="interpolate"`` interpolates
    linearly between that cycle and the one before it. A run that never reaches the target gets
    NaN and ``reached=False``.

    Parameters
    ----------
    cycles : DataFrame
        Cycle table.
    reference : DataFrame
        Fully supervised scores: ``dataset``, ``embedder``, ``score`` and optionally ``pool_size``
        and ``seed``; every one of those key columns present is used to match runs.
    fractions : sequence of float
        Fractions in (0, 1].
    score : str
        Column of ``reference`` holding the fully supervised score.
    metric : {"accuracy", "macro_f1"}
        Column of ``cycles`` compared with the target.
    method : {"first", "interpolate"}

    Returns
    -------
    DataFrame
        One row per run and fraction: :data:`SETTING`, :data:`METHOD`, ``seed``, ``fraction``,
        ``target``, ``labels``, ``reached``.
    """
    check_choice("metric", metric, METRICS)
    check_choice("method", method, ["first", "interpolate"])
    for f in fractions:
        if not 0.0 < f <= 1.0:
            raise ValueError(f"fractions must lie in (0, 1], got {f}")
    join = [c for c in ("dataset", "embedder", "pool_size", "seed") if c in reference.columns]
    _require(reference, [*join, score], "labels_to_target reference")
    ref = reference[[*join, score]].rename(columns={score: "_full"})
    if ref.duplicated(join).any():
        raise ValueError(f"reference holds several scores for one {join} key")
    data = cycles
    if "pool_size" in join:
        # None, NaN and <NA> all mean "the whole train split": one float dtype makes them match.
        ref = ref.assign(pool_size=pd.to_numeric(ref["pool_size"]).astype(float))
        data = data.assign(pool_size=pd.to_numeric(data["pool_size"]).astype(float))
    data = data.merge(ref, on=join, how="left")
    if data["_full"].isna().any():
        missing = data.loc[data["_full"].isna(), join].drop_duplicates().to_dict("records")
        raise ValueError(f"no fully supervised score for {missing}")
    keys = [*SETTING, *METHOD, "seed"]
    rows = []
    for key, run in data.groupby(keys, dropna=False, sort=True):
        run = run.sort_values("cycle")
        x = run["n_labeled"].to_numpy(dtype=float)
        y = run[metric].to_numpy(dtype=float)
        full = float(run["_full"].iloc[0])
        for f in fractions:
            target = f * full
            hit = np.flatnonzero(y >= target)
            if len(hit) == 0:
                rows.append((*key, f, target, np.nan, False))
                continue
            k = hit[0]
            labels = x[k]
            if method == "interpolate" and k > 0:
                labels = x[k - 1] + (target - y[k - 1]) / (y[k] - y[k - 1]) * (x[k] - x[k - 1])
            rows.append((*key, f, target, float(labels), True))
    return pd.DataFrame(rows, columns=[*keys, "fraction", "target", "labels", "reached"])


def acquisition_latency(cycles: pd.DataFrame, by: Sequence[str] = (*SETTING, *METHOD)) -> pd.DataFrame:
    """Seconds a strategy needs to select one batch (TYROGUE's latency metric).

    Only query cycles (``cycle >= 1``) count; row 0's ``select_s`` is the initial-pool selection.

    Parameters
    ----------
    cycles : DataFrame
        Cycle table.
    by : sequence of str
        Group columns (default: one row per setting and method; use e.g.
        ``("pool_size", "strategy")`` for latency against the pool size).

    Returns
    -------
    DataFrame
        ``by``, ``median_s``, ``mean_s``, ``std_s``, ``max_s``, ``n_queries``.
    """
    _require(cycles, [*by, "cycle", "select_s"], "acquisition_latency")
    sub = cycles[cycles["cycle"] >= 1]
    out = sub.groupby(list(by), dropna=False, sort=True)["select_s"].agg(
        median_s="median", mean_s="mean", std_s="std", max_s="max", n_queries="count").reset_index()
    out["std_s"] = out["std_s"].fillna(0.0)
    return out


def al_gain(cycles: pd.DataFrame, baseline: str = "random", metric: str = "accuracy") -> pd.DataFrame:
    """AL gain: AUC of each query strategy minus the AUC of ``baseline``, paired per seed.

    Pairs share setting, IPS and seed. Summarised over seeds; the baseline itself is left out.

    Returns
    -------
    DataFrame
        :data:`SETTING`, :data:`METHOD`, ``mean``, ``std``, ``n_seeds`` of the AUC difference.
    """
    auc = area_under_curve(cycles[cycles["cycles"] > 0], metric)
    wide = _paired(auc, "strategy", "auc", [*SETTING, "ips", "seed"])
    if baseline not in wide.columns:
        raise ValueError(f"no runs of the baseline strategy {baseline!r}; present: {list(wide.columns)}")
    gain = wide.drop(columns=baseline).sub(wide[baseline], axis=0)
    tidy = gain.stack().rename("gain").reset_index()
    return summarise_seeds(tidy, "gain", [*SETTING, *METHOD])


def gain_quality_correlation(gains: pd.DataFrame, quality: pd.DataFrame, measure: str,
                             by: Sequence[str] = METHOD) -> pd.DataFrame:
    """Spearman rank correlation between AL gain and an embedding-quality measure.

    Parameters
    ----------
    gains : DataFrame
        Output of :func:`al_gain` (column ``mean`` is the gain).
    quality : DataFrame
        One row per ``dataset`` and ``embedder`` with the column ``measure`` (e.g. the full-pool
        probe accuracy or the k-NN accuracy of :mod:`almodules.diagnostics`).
    measure : str
        Column of ``quality``.
    by : sequence of str
        One correlation per group (default: per IPS and strategy).

    Returns
    -------
    DataFrame
        ``by``, ``spearman``, ``n_points`` (dataset-embedder pairs). ``spearman`` is NaN with
        fewer than three points or a constant column.
    """
    _require(quality, ["dataset", "embedder", measure], "gain_quality_correlation quality")
    data = gains.merge(quality[["dataset", "embedder", measure]], on=["dataset", "embedder"], how="inner")
    rows = []
    for key, grp in data.groupby(list(by), dropna=False, sort=True):
        n = len(grp)
        ok = n >= 3 and grp["mean"].nunique() > 1 and grp[measure].nunique() > 1
        rho = float(grp["mean"].corr(grp[measure], method="spearman")) if ok else np.nan
        rows.append((*key, rho, n))
    return pd.DataFrame(rows, columns=[*by, "spearman", "n_points"])
