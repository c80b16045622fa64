"""Which properties of an embedding make active learning work: outcomes per cell, correlations, a
leave-one-dataset-out check of predicting the best strategy from label-free measures.

Outcomes of a cell (dataset × embedder), from its AL runs (random IPS, paired per seed):
``gain_<strategy>`` (AUC minus random's AUC), ``win_<strategy>`` (its share of pairwise wins against
the other strategies at every cycle >= 1, paired per seed, ties counted half), ``top`` (the
strategy with the highest mean AUC) and its AUC per strategy (``auc_<strategy>``), from which a
prediction's regret is computed.

Correlations are Spearman's over cells, with a 95 % interval from a bootstrap over *datasets*
(a dataset's cells are resampled together: they share texts and difficulty). Within-dataset
effects (the same texts at several embedding qualities, the controlled ladder included) are the
mean over datasets of the correlation among that dataset's cells, kept apart from the between-
dataset correlation of dataset means, so dataset difficulty is not mistaken for embedding quality.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from almodules.core.validation import ConfigError, check_int, require_columns
from almodules.study.analysis import SETTING, area_under_curve, paired
from almodules.study.rankings import win_rates

__all__ = ["holm", "cell_outcomes", "measure_correlations", "within_between", "nearest_cells", "leave_one_dataset_out"]

_CELL = ["dataset", "embedder"]


def cell_outcomes(al_cycles: pd.DataFrame, strategies: Sequence[str], *, ips: str = "random") -> pd.DataFrame:
    """One row per cell: ``auc_<s>`` (mean over seeds), ``gain_<s>`` (paired AUC gain over random),
    ``win_<s>`` (share of pairwise wins over the other strategies), ``top``."""
    runs = al_cycles[(al_cycles["ips"] == ips) & al_cycles["strategy"].isin(strategies)]
    auc = area_under_curve(runs)
    wide = paired(auc, "strategy", "auc", [*SETTING, "ips", "seed"])
    if "random" not in wide.columns:
        raise ConfigError("cell_outcomes needs runs of the random query strategy (the baseline of every gain)")
    runs_of = dict(list(runs.groupby(_CELL)))
    rows = []
    for cell, grp in wide.groupby(level=["dataset", "embedder"]):
        means = grp.mean()
        row = dict(zip(_CELL, cell))
        row.update({f"auc_{s}": means[s] for s in grp.columns})
        row.update({f"gain_{s}": (grp[s] - grp["random"]).mean() for s in grp.columns if s != "random"})
        rates = win_rates(runs_of[cell])
        totals = rates.groupby("strategy")[["wins", "ties", "comparisons"]].sum()
        row.update({f"win_{s}": (t.wins + 0.5 * t.ties) / t.comparisons for s, t in totals.iterrows()})
        row["top"] = means.idxmax()
        rows.append(row)
    return pd.DataFrame(rows)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.unique(a[ok]).size < 2 or np.unique(b[ok]).size < 2:
        return float("nan")
    return float(pd.Series(a[ok]).corr(pd.Series(b[ok]), method="spearman"))


def _ranked(values: np.ndarray) -> np.ndarray:
    """Average ranks along each row of ``values`` (NaN entries stay NaN and are not ranked)."""
    return rankdata(values, axis=1, nan_policy="omit")


def _row_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row pair over the entries where both are finite; NaN where a row has
    fewer than 3 such entries or either side does not vary."""
    ok = np.isfinite(x) & np.isfinite(y)
    n = ok.sum(axis=1)
    x, y = np.where(ok, x, 0.0), np.where(ok, y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        dx = np.where(ok, x - x.sum(axis=1, keepdims=True) / n[:, None], 0.0)
        dy = np.where(ok, y - y.sum(axis=1, keepdims=True) / n[:, None], 0.0)
        sxx, syy = (dx * dx).sum(axis=1), (dy * dy).sum(axis=1)
        r = (dx * dy).sum(axis=1) / np.sqrt(sxx * syy)
    return np.where((n >= 3) & (sxx > 0) & (syy > 0), np.clip(r, -1.0, 1.0), np.nan)


def _bootstrap_spearman(a: np.ndarray, b: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Spearman's correlation of ``a`` and ``b`` on every resample (a row of ``rows``: cell indices,
    -1 as padding), ranks taken within each resample over the cells where both are finite."""
    pad = rows < 0
    x, y = a[rows], b[rows]
    drop = pad | ~np.isfinite(x) | ~np.isfinite(y)
    x[drop], y[drop] = np.nan, np.nan
    return _row_pearson(_ranked(x), _ranked(y))


def measure_correlations(table: pd.DataFrame, measures: Sequence[str], outcomes: Sequence[str], *,
                         n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Spearman correlation of every measure with every outcome over the cells of ``table``, with a
    95 % interval from a bootstrap over datasets.

    Each resample draws the datasets with replacement and takes all cells of each; its correlation is
    computed for every measure and outcome at once (ranks within the resample, vectorised over
    resamples), equal to ranking each resample on its own.

    Returns
    -------
    DataFrame
        ``measure``, ``outcome``, ``spearman``, ``low``, ``high``, ``p`` (two-sided bootstrap p-value
        against 0), ``p_holm`` (adjusted by Holm over every measure × outcome pair: picking the
        strongest of many correlations needs it), ``n_cells``, ``n_datasets``.
    """
    require_columns(table, ["dataset", *measures, *outcomes], "measure_correlations")
    check_int("n_boot", n_boot, minimum=1)
    table = table.reset_index(drop=True)
    datasets = table["dataset"].unique()
    rng = np.random.default_rng(seed)
    cells_of = {d: np.flatnonzero((table["dataset"] == d).to_numpy()) for d in datasets}
    draws = [np.concatenate([cells_of[d] for d in rng.choice(datasets, len(datasets))]) for _ in range(n_boot)] \
        if len(datasets) > 1 else []
    rows = np.full((len(draws), max((len(d) for d in draws), default=0)), -1, dtype=np.int64)
    for i, draw in enumerate(draws):
        rows[i, :len(draw)] = draw
    out = []
    for m in measures:
        a = table[m].to_numpy(float)
        for o in outcomes:
            b = table[o].to_numpy(float)
            rho = _spearman(a, b)
            boot = _bootstrap_spearman(a, b, rows) if len(draws) else np.empty(0)
            boot = boot[np.isfinite(boot)]
            low, high = (np.quantile(boot, [0.025, 0.975]) if len(boot) else (np.nan, np.nan))
            out.append((m, o, rho, float(low), float(high), _bootstrap_p(boot), len(table), len(datasets)))
    frame = pd.DataFrame(out, columns=["measure", "outcome", "spearman", "low", "high", "p", "n_cells", "n_datasets"])
    frame["p_holm"] = holm(frame["p"].to_numpy())
    return frame


def _bootstrap_p(boot: np.ndarray) -> float:
    """Two-sided bootstrap p-value of a correlation against 0: twice the smaller share of resamples on
    either side of 0 (at least one resample's worth), NaN without resamples."""
    if len(boot) == 0:
        return float("nan")
    return float(min(1.0, max(2 * min((boot <= 0).mean(), (boot >= 0).mean()), 1 / len(boot))))


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment of ``p`` (family-wise error over all finite p-values; NaN stays NaN)."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    adjusted = np.maximum.accumulate((len(order) - np.arange(len(order))) * p[order])
    out[order] = np.minimum(adjusted, 1.0)
    return out


def within_between(table: pd.DataFrame, measure: str, outcome: str) -> dict[str, float]:
    """The mean within-dataset Spearman correlation (datasets with >= 3 cells) and the between-dataset
    one (of dataset means)."""
    require_columns(table, ["dataset", measure, outcome], "within_between")
    within = [_spearman(g[measure].to_numpy(float), g[outcome].to_numpy(float)) for _, g in table.groupby("dataset")
              if len(g) >= 3]
    within = [w for w in within if np.isfinite(w)]
    means = table.groupby("dataset")[[measure, outcome]].mean()
    return {"within": float(np.mean(within)) if within else float("nan"), "n_within": len(within),
            "between": _spearman(means[measure].to_numpy(float), means[outcome].to_numpy(float)),
            "n_between": len(means)}


def nearest_cells(reference: pd.DataFrame, query: pd.Series, measures: Sequence[str], k: int = 3) -> pd.DataFrame:
    """The ``k`` cells of ``reference`` nearest to ``query`` in the measures, each standardised by the
    reference's mean and spread (Euclidean)."""
    check_int("k", k, minimum=1)
    values = reference[list(measures)].to_numpy(float)
    centre, spread = np.nanmean(values, axis=0), np.nanstd(values, axis=0)
    spread[~(spread > 0)] = 1.0
    z = (values - centre) / spread
    q = (query[list(measures)].to_numpy(float) - centre) / spread
    distance = np.sqrt(np.nansum((z - q) ** 2, axis=1))
    order = np.argsort(distance, kind="stable")[:k]
    return reference.iloc[order].assign(distance=distance[order])


def _recommend(neighbours: pd.DataFrame, strategies: Sequence[str]) -> str:
    gains = {s: (neighbours[f"gain_{s}"].mean() if s != "random" else 0.0) for s in strategies}
    return max(gains, key=lambda s: (gains[s], s == "random"))


def leave_one_dataset_out(table: pd.DataFrame, measures: Sequence[str], strategies: Sequence[str], *,
                          k: int = 3, tolerance: float = 0.005,
                          baselines: Sequence[str] = ("margin", "badge", "random")) -> pd.DataFrame:
    """Predict each cell's best strategy from the label-free ``measures`` of the cells of *other*
    datasets (the ``k`` nearest, their mean gains), and score it against fixed choices.

    A prediction *hits* when its AUC is within ``tolerance`` of the cell's best; its *regret* is the
    best AUC minus its AUC.

    Returns
    -------
    DataFrame
        One row per policy (``advisor`` and each baseline): ``policy``, ``hit_rate``, ``mean_regret``,
        ``n_cells``.
    """
    require_columns(table, ["dataset", *measures, *(f"auc_{s}" for s in strategies)], "leave_one_dataset_out")
    picks: dict[str, list[str]] = {"advisor": [], **{b: [] for b in baselines}}
    cells = []
    for dataset, held in table.groupby("dataset", sort=True):
        others = table[table["dataset"] != dataset]
        if others.empty:
            continue
        for _, cell in held.iterrows():
            picks["advisor"].append(_recommend(nearest_cells(others, cell, measures, k), strategies))
            for b in baselines:
                picks[b].append(b)
            cells.append(cell)
    rows = []
    for policy, chosen in picks.items():
        regrets, hits = [], []
        for cell, s in zip(cells, chosen):
            best = max(cell[f"auc_{t}"] for t in strategies)
            regret = best - cell[f"auc_{s}"]
            regrets.append(regret)
            hits.append(regret <= tolerance)
        rows.append((policy, float(np.mean(hits)) if hits else np.nan, float(np.mean(regrets)) if regrets else np.nan,
                     len(cells)))
    return pd.DataFrame(rows, columns=["policy", "hit_rate", "mean_regret", "n_cells"])
