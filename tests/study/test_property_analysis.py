"""Which embedding properties predict AL outcomes: outcomes, correlations, leave-one-dataset-out."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from synthetic_cycles import run_rows, table

from almodules.core.validation import ConfigError
from almodules.study import property_analysis as pa


def cells_table(n_datasets=6, n_embedders=4, seed=0):
    """Cells where a label-free 'tightness' decides whether badge or margin wins."""
    rng = np.random.default_rng(seed)
    rows = []
    for d, e in itertools.product(range(n_datasets), range(n_embedders)):
        tight = rng.uniform()
        rows.append({"dataset": f"d{d}", "embedder": f"e{e}", "tightness": tight, "noise": rng.uniform(),
                     "auc_random": 0.6, "auc_margin": 0.6 + 0.05 * (tight < 0.5), "auc_badge": 0.6 + 0.05 * (tight >= 0.5),
                     "gain_margin": 0.05 * (tight < 0.5), "gain_badge": 0.05 * (tight >= 0.5)})
    return pd.DataFrame(rows)


def test_cell_outcomes_pair_per_seed_and_name_the_top_strategy():
    runs = [run_rows([0.5, 0.6 + 0.1 * (s == "badge") + 0.01 * seed], dataset="d", embedder="e", strategy=s, seed=seed)
            for s in ("random", "margin", "badge") for seed in (0, 1)]
    out = pa.cell_outcomes(table(runs), ["random", "margin", "badge"]).iloc[0]
    assert out["top"] == "badge" and out["gain_badge"] == pytest.approx(0.05) and out["gain_margin"] == 0.0
    # cycle 1, two seeds: badge beats both others; margin and random tie with each other (half a win)
    assert out["win_badge"] == 1.0 and out["win_margin"] == 0.25 and out["win_random"] == 0.25
    with pytest.raises(ConfigError, match="random query strategy"):
        pa.cell_outcomes(table(runs[2:]).query("strategy != 'random'"), ["margin", "badge"])


def test_correlations_find_the_deciding_measure_with_an_interval_over_datasets():
    t = cells_table()
    out = pa.measure_correlations(t, ["tightness", "noise"], ["gain_badge"], n_boot=200).set_index("measure")
    assert out.loc["tightness", "spearman"] > 0.7 and out.loc["tightness", "low"] > 0.4
    assert out.loc["noise", "low"] < 0 < out.loc["noise", "high"]
    assert out.loc["tightness", "n_datasets"] == 6 and out.loc["tightness", "n_cells"] == 24


def test_within_and_between_dataset_effects_are_kept_apart():
    # Within each dataset the outcome rises with the measure; between datasets it falls.
    rows = [{"dataset": f"d{d}", "m": 10 * d + e, "o": -10 * d + e} for d in range(5) for e in range(4)]
    out = pa.within_between(pd.DataFrame(rows), "m", "o")
    assert out["within"] == pytest.approx(1.0) and out["between"] == pytest.approx(-1.0)
    assert out["n_within"] == 5 and out["n_between"] == 5


def test_leave_one_dataset_out_beats_fixed_choices_when_a_measure_decides():
    out = pa.leave_one_dataset_out(cells_table(), ["tightness"], ["random", "margin", "badge"]).set_index("policy")
    assert out.loc["advisor", "hit_rate"] > 0.8 > out.loc["margin", "hit_rate"]
    assert out.loc["advisor", "mean_regret"] < out.loc["badge", "mean_regret"]
    assert out.loc["random", "hit_rate"] == 0.0 and out.loc["advisor", "n_cells"] == 24


def test_nearest_cells_standardise_each_measure():
    ref = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [0.0, 1000.0, 2000.0]})
    near = pa.nearest_cells(ref, pd.Series({"a": 1.9, "b": 100.0}), ["a", "b"], k=1)
    assert near.index[0] == 1  # b's scale does not swamp a


def _looped_correlations(table, measures, outcomes, n_boot, seed):
    """The bootstrap as it was written first (one pandas Spearman per resample), kept in the benchmark."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "correlations.py"
    spec = importlib.util.spec_from_file_location("correlations_benchmark", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.looped(table, measures, outcomes, n_boot, seed)
    return pd.DataFrame([(m, o, *r) for (m, o), r in zip(itertools.product(measures, outcomes), rows)],
                        columns=["measure", "outcome", "low", "high"])


def test_vectorised_bootstrap_equals_one_spearman_per_resample_with_ties_and_gaps():
    rng = np.random.default_rng(3)
    n = 40
    table = pd.DataFrame({"dataset": rng.choice(list("abcdefg"), n),
                          "tied": rng.integers(0, 4, n).astype(float),      # many ties
                          "smooth": rng.normal(size=n),
                          "gappy": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
                          "out": rng.integers(0, 6, n).astype(float)})
    table.loc[table["dataset"] == "g", "out"] = 1.0  # a constant stretch: some resamples cannot vary
    fast = pa.measure_correlations(table, ["tied", "smooth", "gappy"], ["out", "smooth"], n_boot=300, seed=5)
    slow = _looped_correlations(table, ["tied", "smooth", "gappy"], ["out", "smooth"], 300, 5)
    np.testing.assert_allclose(fast[["low", "high"]].to_numpy(), slow[["low", "high"]].to_numpy(), rtol=0, atol=1e-12)
    for m in ("tied", "smooth", "gappy"):
        ok = table[m].notna()
        expected = spearmanr(table.loc[ok, m], table.loc[ok, "out"]).statistic
        got = fast.set_index(["measure", "outcome"]).loc[(m, "out"), "spearman"]
        assert got == pytest.approx(expected, abs=1e-12)


def test_each_resample_is_ranked_on_its_own():
    # Ranks of the whole table reused for a resample would differ from the resample's own ranks.
    a, b = np.array([1.0, 2.0, 3.0, 4.0, 10.0]), np.array([2.0, 1.0, 4.0, 3.0, 5.0])
    rows = np.array([[0, 0, 1, 4, 4, -1], [2, 3, 3, 1, -1, -1]])
    got = pa._bootstrap_spearman(a, b, rows)
    for row, value in zip(rows, got):
        idx = row[row >= 0]
        assert value == pytest.approx(spearmanr(a[idx], b[idx]).statistic, abs=1e-12)


def test_holm_adjusts_for_picking_the_strongest_of_many_correlations():
    assert np.allclose(pa.holm(np.array([0.01, 0.04, 0.03, 0.005])), [0.03, 0.06, 0.06, 0.02])
    assert np.isnan(pa.holm(np.array([np.nan, 0.2]))[0]) and pa.holm(np.array([np.nan, 0.2]))[1] == 0.2
    # Twenty pure-noise measures: the strongest one's raw p may look significant, its Holm p must not.
    rng = np.random.default_rng(3)
    t = cells_table(n_datasets=8)
    noise = [f"noise{i}" for i in range(20)]
    for name in noise:
        t[name] = rng.uniform(size=len(t))
    out = pa.measure_correlations(t, ["tightness", *noise], ["gain_badge"], n_boot=1000).set_index("measure")
    assert out.loc["tightness", "p_holm"] < 0.05
    assert (out.loc[noise, "p_holm"] > 0.05).all() and (out["p_holm"] >= out["p"]).all()
