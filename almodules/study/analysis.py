"""Analysis of cycle tables: learning curves, AUC, IPS deltas, AL gain, label cost, latency.

Who beats whom (win rates, top frequencies, the IPS study's winners) is in
:mod:`almodules.study.rankings`.

Every function takes the result store's tidy cycle table (one row per run and cycle, columns as in
:class:`almodules.results.store.ResultStore`) and returns a tidy :class:`pandas.DataFrame`; nothing here
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

from almodules.core.validation import ConfigError, check_choice, require_columns

__all__ = [
    "SETTING", "METHOD", "METRICS", "summarise_seeds", "learning_curves", "area_under_curve",
    "paired", "ips_difference_curves", "labels_to_target", "acquisition_latency", "auc_gains", "al_gain",
    "gain_quality_correlation",
]

SETTING: tuple[str, ...] = ("dataset", "embedder", "k0", "budget", "cycles", "pool_size")
"""Columns that define a comparable experimental setting."""

METHOD: tuple[str, ...] = ("ips", "strategy")
"""Columns that define what is being compared."""

METRICS: tuple[str, ...] = ("accuracy", "macro_f1")
"""Per-cycle metrics of the cycle table."""


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
    require_columns(frame, [*by, value], "summarise_seeds")
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
    require_columns(cycles, [*keys, "cycle", "n_labeled", metric], "area_under_curve")

    # Runs as slices of one array sorted by run and cycle: a frame per run costs more than its integral.
    run = cycles.groupby(keys, dropna=False, sort=True).ngroup().to_numpy()
    order = np.lexsort((cycles["cycle"].to_numpy(), run))
    x = cycles["n_labeled"].to_numpy(dtype=float)[order]
    y = cycles[metric].to_numpy(dtype=float)[order]
    starts = np.flatnonzero(np.r_[True, run[order][1:] != run[order][:-1]]) if len(order) else np.zeros(0, int)
    auc = [float(ys.mean()) if len(xs) == 1 or xs[-1] == xs[0] else float(np.trapezoid(ys, xs) / (xs[-1] - xs[0]))
           for xs, ys in ((x[a:b], y[a:b]) for a, b in zip(starts, [*starts[1:], len(order)]))]
    first = cycles.iloc[order[starts]]
    return pd.DataFrame(list(zip(*(first[k].tolist() for k in keys), auc)), columns=[*keys, "auc"])


def paired(cycles: pd.DataFrame, factor: str, value: str, index: Sequence[str]) -> pd.DataFrame:
    """Wide table: one row per ``index`` key, one column per level of ``factor``."""
    require_columns(cycles, [*index, factor, value], "pairing")
    wide = cycles.set_index([*index, factor])[value]
    if not wide.index.is_unique:
        dup = wide.index[wide.index.duplicated()][0]
        raise ConfigError(f"duplicate rows for {dict(zip([*index, factor], dup))}: "
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
    wide = paired(sub, "ips", metric, index)
    for name in (treatment, control):
        if name not in wide.columns:
            raise ConfigError(f"no runs with ips={name!r}; ips values present: "
                              f"{sorted(cycles['ips'].unique())}")
    diff = (wide[treatment] - wide[control]).dropna().rename("difference").reset_index()
    return summarise_seeds(diff, "difference", [*SETTING, "strategy", "cycle", "n_labeled"])
















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
            raise ConfigError(f"fractions must lie in (0, 1], got {f}")
    join = [c for c in ("dataset", "embedder", "pool_size", "seed") if c in reference.columns]
    require_columns(reference, [*join, score], "labels_to_target reference")
    ref = reference[[*join, score]].rename(columns={score: "_full"})
    if ref.duplicated(join).any():
        raise ConfigError(f"reference holds several scores for one {join} key")
    data = cycles
    if "pool_size" in join:
        # None, NaN and <NA> all mean "the whole train split": one float dtype makes them match.
        ref = ref.assign(pool_size=pd.to_numeric(ref["pool_size"]).astype(float))
        data = data.assign(pool_size=pd.to_numeric(data["pool_size"]).astype(float))
    data = data.merge(ref, on=join, how="left")
    if data["_full"].isna().any():
        missing = data.loc[data["_full"].isna(), join].drop_duplicates().to_dict("records")
        raise ConfigError(f"no fully supervised score for {missing}")
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
    require_columns(cycles, [*by, "cycle", "select_s"], "acquisition_latency")
    sub = cycles[cycles["cycle"] >= 1]
    out = sub.groupby(list(by), dropna=False, sort=True)["select_s"].agg(
        median_s="median", mean_s="mean", std_s="std", max_s="max", n_queries="count").reset_index()
    out["std_s"] = out["std_s"].fillna(0.0)
    return out


def auc_gains(cycles: pd.DataFrame, baseline: str = "random", metric: str = "accuracy") -> pd.DataFrame:
    """AUC of each query strategy minus the AUC of ``baseline``, paired per setting, IPS and seed.

    Returns
    -------
    DataFrame
        :data:`SETTING`, ``ips``, ``seed``, ``strategy``, ``gain``: one row per run of a
        strategy other than the baseline whose baseline run exists.
    """
    auc = area_under_curve(cycles[cycles["cycles"] > 0], metric)
    wide = paired(auc, "strategy", "auc", [*SETTING, "ips", "seed"])
    if baseline not in wide.columns:
        raise ConfigError(f"no runs of the baseline strategy {baseline!r}; present: {list(wide.columns)}")
    gain = wide.drop(columns=baseline).sub(wide[baseline], axis=0)
    return gain.stack().rename("gain").reset_index()


def al_gain(cycles: pd.DataFrame, baseline: str = "random", metric: str = "accuracy") -> pd.DataFrame:
    """AL gain: :func:`auc_gains` summarised over seeds (the baseline itself left out).

    Returns
    -------
    DataFrame
        :data:`SETTING`, :data:`METHOD`, ``mean``, ``std``, ``n_seeds`` of the AUC difference.
    """
    return summarise_seeds(auc_gains(cycles, baseline, metric), "gain", [*SETTING, *METHOD])


def gain_quality_correlation(gains: pd.DataFrame, quality: pd.DataFrame, measure: str,
                              by: Sequence[str] = METHOD) -> pd.DataFrame:
    """Spearman rank correlation between AL gain and an embedding-quality measure.

    Parameters
    ----------
    gains : DataFrame
        Output of :func:`al_gain` (column ``mean`` is the gain).
    quality : DataFrame
        One row per ``dataset`` and ``embedder`` with the column ``measure`` (e.g. the full-pool
        probe accuracy or the k-NN accuracy of :mod:`almodules.study.diagnostics`).
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
    require_columns(quality, ["dataset", "embedder", measure], "gain_quality_correlation quality")
    data = gains.merge(quality[["dataset", "embedder", measure]], on=["dataset", "embedder"], how="inner")
    rows = []
    for key, grp in data.groupby(list(by), dropna=False, sort=True):
        n = len(grp)
        ok = n >= 3 and grp["mean"].nunique() > 1 and grp[measure].nunique() > 1
        rho = float(grp["mean"].corr(grp[measure], method="spearman")) if ok else np.nan
        rows.append((*key, rho, n))
    return pd.DataFrame(rows, columns=[*by, "spearman", "n_points"])

