"""Percentile bootstrap intervals over independent units: rows, clusters of rows, and clusters with
replicates inside their units (datasets, then seeds within each dataset's cells).

The claims (:mod:`almodules.study.verdicts`) resample **datasets**: the cells of a dataset share its
texts and test split, so they are drawn together. Where a measure gives one value per seed of a
cell, the seeds are a second level: a resample draws the datasets, then, inside every cell of a
drawn dataset, that cell's seeds with replacement, so seed noise widens the interval as it should
(a cell measured with three seeds is less certain than one measured with fifty).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from almodules.core.validation import check_int, require_columns

__all__ = ["bootstrap_interval", "cluster_bootstrap_interval", "nested_bootstrap_interval", "replicate_means"]

Statistic = Callable[[pd.DataFrame], float]
"""``statistic(resample) -> float``; ``None``: the mean of the ``value`` column, computed for every resample
at once (the same numbers as ``lambda f: f["value"].mean()`` up to rounding, without a frame per resample)."""


def _percentiles(stats, level: float) -> tuple[float, float]:
    """The central ``level`` interval of the finite bootstrap statistics, or ``(nan, nan)`` without any."""
    stats = np.asarray(stats, dtype=float)
    stats = stats[np.isfinite(stats)]
    if len(stats) == 0:
        return np.nan, np.nan
    tail = (1 - level) / 2
    return float(np.quantile(stats, tail)), float(np.quantile(stats, 1 - tail))


def bootstrap_interval(frame: pd.DataFrame, statistic: Statistic, *, n_boot: int = 2000, level: float = 0.95,
                       seed: int = 0) -> tuple[float, float]:
    """Percentile interval of ``statistic`` over resamples of ``frame``'s rows (the units).

    Returns ``(nan, nan)`` for fewer than two rows.
    """
    check_int("n_boot", n_boot, minimum=1)
    if len(frame) < 2:
        return np.nan, np.nan
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(frame), size=(n_boot, len(frame)))
    return _percentiles([statistic(frame.iloc[rows]) for rows in draws], level)


def cluster_bootstrap_interval(frame: pd.DataFrame, statistic: Statistic | None, *, cluster: str = "dataset",
                               n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile interval of ``statistic`` over resamples of whole clusters (all rows of a drawn cluster).

    Rows that share a ``cluster`` value (the cells of one dataset) are not independent; drawing the
    clusters with replacement keeps them together. In a resample the ``cluster`` column numbers the
    draws (a cluster drawn twice is two clusters to ``statistic``). ``(nan, nan)`` for fewer than two
    clusters.
    """
    check_int("n_boot", n_boot, minimum=1)
    if len(frame) == 0 or frame[cluster].nunique() < 2:
        return np.nan, np.nan
    members = [np.flatnonzero(frame[cluster].to_numpy() == c) for c in frame[cluster].unique()]
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(members), size=(n_boot, len(members)))
    if statistic is None:
        return _percentiles(_mean_of_draws(frame["value"].to_numpy(float)[None, :], members, draws), level)
    stats = []
    for row in draws:
        drawn = frame.iloc[np.concatenate([members[j] for j in row])].copy()
        drawn[cluster] = _draw_labels(members, row)
        stats.append(statistic(drawn))
    return _percentiles(stats, level)


def _mean_of_draws(values: np.ndarray, members: list[np.ndarray], draws: np.ndarray) -> np.ndarray:
    """Every resample's mean of the finite ``values`` of its drawn clusters' rows, without a frame per resample.

    ``values`` is ``(1, rows)`` (the same values in every resample) or ``(n_boot, rows)`` (resampled
    replicate means); ``draws`` ``(n_boot, drawn clusters)``. NaN where a resample holds no finite value,
    as ``DataFrame.mean`` gives.
    """
    finite = np.isfinite(values)
    sums = np.stack([np.where(finite, values, 0.0)[:, rows].sum(axis=1) for rows in members], axis=1)
    counts = np.stack([finite[:, rows].sum(axis=1) for rows in members], axis=1)
    if len(sums) == 1:
        sums, counts = sums[0][draws], counts[0][draws]
    else:
        sums, counts = np.take_along_axis(sums, draws, axis=1), np.take_along_axis(counts, draws, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums.sum(axis=1) / counts.sum(axis=1)


def _draw_labels(members: list[np.ndarray], row: np.ndarray) -> np.ndarray:
    """The cluster column of a resample: the k-th draw is cluster ``k``, so a cluster drawn twice counts
    as two (a statistic that groups by cluster would merge the copies otherwise)."""
    return np.repeat(np.arange(len(row)), [len(members[j]) for j in row])


def _value_columns(frame: pd.DataFrame, keys: Sequence[str]) -> list[str]:
    return [c for c in frame.columns if c not in keys and pd.api.types.is_numeric_dtype(frame[c])]


def replicate_means(frame: pd.DataFrame, unit: Sequence[str], replicate: str = "seed") -> pd.DataFrame:
    """One row per ``unit``: the mean of its replicates' numeric columns (``replicate`` dropped)."""
    require_columns(frame, [*unit, replicate], "replicate_means")
    values = _value_columns(frame, [*unit, replicate])
    return frame.groupby(list(unit), sort=True, observed=True)[values].mean().reset_index()


def nested_bootstrap_interval(frame: pd.DataFrame, statistic: Statistic | None, *, unit: Sequence[str] = ("dataset", "embedder"),
                              cluster: str = "dataset", replicate: str = "seed", n_boot: int = 2000,
                              level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile interval of ``statistic`` under a two-level bootstrap: clusters, then replicates in units.

    Each resample draws the ``cluster`` values with replacement (its ``cluster`` column then numbers
    the draws, so a cluster drawn twice counts twice); inside every ``unit`` of a drawn cluster it
    draws that unit's ``replicate`` rows with replacement and averages their numeric columns. ``statistic`` sees one row per drawn unit, as it sees :func:`replicate_means` of
    ``frame`` for the point estimate.

    Parameters
    ----------
    frame : DataFrame
        ``unit`` columns (``cluster`` among them), ``replicate`` and numeric value columns, one row per
        replicate of a unit.
    statistic : callable or None
        ``statistic(units) -> float``; ``None``: the mean of ``value`` (:data:`Statistic`).
    unit, cluster, replicate : str
        The unit (a cell), the independent cluster (a dataset) and the replicate (a seed).
    n_boot, level, seed : int, float, int

    Returns
    -------
    tuple of float
        ``(low, high)``; ``(nan, nan)`` for fewer than two clusters.
    """
    check_int("n_boot", n_boot, minimum=1)
    require_columns(frame, [*unit, cluster, replicate], "nested_bootstrap_interval")
    if len(frame) == 0 or frame[cluster].nunique() < 2:
        return np.nan, np.nan
    values = _value_columns(frame, [*unit, replicate])
    groups = frame.groupby(list(unit), sort=True, observed=True)
    template = groups.size().reset_index()[list(unit)]
    rng = np.random.default_rng(seed)
    # Every unit's n_boot resampled means, drawn once up front: (n_boot, units, values).
    means = np.stack([g[values].to_numpy(float)[rng.integers(0, len(g), size=(n_boot, len(g)))].mean(axis=1)
                      for _, g in groups], axis=1)
    clusters = template[cluster].to_numpy()
    members = [np.flatnonzero(clusters == c) for c in pd.unique(clusters)]
    draws = rng.integers(0, len(members), size=(n_boot, len(members)))
    if statistic is None:
        return _percentiles(_mean_of_draws(means[:, :, values.index("value")], members, draws), level)
    keys = {u: template[u].to_numpy() for u in unit}
    stats = []
    for b, row in enumerate(draws):
        rows = np.concatenate([members[j] for j in row])
        # One constructor call per resample: assembling the frame column by column costs more than the statistic.
        drawn = pd.DataFrame({**{u: keys[u][rows] for u in unit}, **dict(zip(values, means[b, rows].T))})
        drawn[cluster] = _draw_labels(members, row)
        stats.append(statistic(drawn))
    return _percentiles(stats, level)
