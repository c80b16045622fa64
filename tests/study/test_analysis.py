"""almodules.study.analysis on small hand-computed cycle tables."""

import numpy as np
import pandas as pd
import pytest
from synthetic_cycles import random_grid, run_rows, table

from almodules.study import analysis, rankings


def test_learning_curves_mean_and_sample_std_over_seeds():
    cycles = table([run_rows([0.5, 0.7], seed=0), run_rows([0.7, 0.9], seed=1)])
    curves = analysis.learning_curves(cycles)
    assert list(curves["cycle"]) == [0, 1]
    assert list(curves["n_labeled"]) == [10, 20]
    np.testing.assert_allclose(curves["mean"], [0.6, 0.8])
    np.testing.assert_allclose(curves["std"], [np.sqrt(0.02), np.sqrt(0.02)])
    assert list(curves["n_seeds"]) == [2, 2]


def test_learning_curves_single_seed_has_zero_std_and_keeps_full_pool_runs():
    cycles = table([run_rows([0.5, 0.7]), run_rows([0.4, 0.6], pool_size=100)])
    curves = analysis.learning_curves(cycles)
    assert len(curves) == 4  # pool_size None and 100 are two settings
    assert (curves["std"] == 0).all() and (curves["n_seeds"] == 1).all()


def test_learning_curves_rejects_unknown_metric():
    with pytest.raises(ValueError, match="metric"):
        analysis.learning_curves(table([run_rows([0.5])]), metric="auc")


def test_area_under_curve_is_trapezoid_over_labels_divided_by_range():
    cycles = table([run_rows([0.5, 0.7, 0.9]), run_rows([0.3], strategy="margin")])
    auc = analysis.area_under_curve(cycles).set_index("strategy")["auc"]
    assert auc["random"] == pytest.approx((0.6 * 10 + 0.8 * 10) / 20)
    assert auc["margin"] == pytest.approx(0.3)  # a single point is its own AUC


def test_ips_difference_curves_pair_per_seed_and_cycle():
    cycles = table([
        run_rows([0.6, 0.8], ips="typiclust", seed=0), run_rows([0.5, 0.6], ips="random", seed=0),
        run_rows([0.7, 0.7], ips="typiclust", seed=1), run_rows([0.5, 0.8], ips="random", seed=1),
        run_rows([0.9, 0.9], ips="typiclust", seed=2),  # unpaired: dropped
    ])
    diff = analysis.ips_difference_curves(cycles)
    np.testing.assert_allclose(diff["mean"], [0.15, 0.05])
    np.testing.assert_allclose(diff["std"], [np.std([0.1, 0.2], ddof=1), np.std([0.2, -0.1], ddof=1)])
    assert list(diff["n_seeds"]) == [2, 2]


def test_ips_difference_curves_names_missing_ips():
    with pytest.raises(ValueError, match="typiclust"):
        analysis.ips_difference_curves(table([run_rows([0.5, 0.6])]))


def test_labels_to_target_first_and_interpolated():
    cycles = table([run_rows([0.5, 0.7, 0.9])])
    ref = pd.DataFrame({"dataset": ["d"], "embedder": ["e"], "accuracy": [1.0]})
    first = analysis.labels_to_target(cycles, ref, fractions=(0.5, 0.85, 0.95)).set_index("fraction")
    assert first.loc[0.5, "labels"] == 10 and first.loc[0.85, "labels"] == 30
    assert first.loc[0.85, "target"] == pytest.approx(0.85)
    assert not first.loc[0.95, "reached"] and np.isnan(first.loc[0.95, "labels"])
    interp = analysis.labels_to_target(cycles, ref, fractions=(0.5, 0.85), method="interpolate")
    np.testing.assert_allclose(interp["labels"], [10, 27.5])


def test_labels_to_target_matches_reference_by_seed_when_given():
    cycles = table([run_rows([0.5, 0.9], seed=0), run_rows([0.5, 0.9], seed=1)])
    ref = pd.DataFrame({"dataset": ["d", "d"], "embedder": ["e", "e"], "seed": [0, 1], "accuracy": [1.0, 0.5]})
    out = analysis.labels_to_target(cycles, ref, fractions=(0.9,)).set_index("seed")
    assert out.loc[0, "labels"] == 20 and out.loc[1, "labels"] == 10


def test_labels_to_target_names_missing_reference():
    ref = pd.DataFrame({"dataset": ["other"], "embedder": ["e"], "accuracy": [1.0]})
    with pytest.raises(ValueError, match="fully supervised"):
        analysis.labels_to_target(table([run_rows([0.5])]), ref)


def test_acquisition_latency_skips_initial_pool_selection():
    cycles = table([run_rows([0.5, 0.6, 0.7], select_s=2.0, strategy="tyrogue"),
                    run_rows([0.5, 0.6, 0.7], select_s=1.0, strategy="random")])
    lat = analysis.acquisition_latency(cycles, by=("strategy",)).set_index("strategy")
    assert lat.loc["tyrogue", "median_s"] == pytest.approx(2.001)
    assert lat.loc["tyrogue", "n_queries"] == 2 and lat.loc["random", "mean_s"] == pytest.approx(1.001)


def test_al_gain_is_paired_auc_difference_to_baseline():
    cycles = table([run_rows([0.5, 0.7], seed=0), run_rows([0.5, 0.9], strategy="badge", seed=0),
                    run_rows([0.5, 0.5], seed=1), run_rows([0.5, 0.6], strategy="badge", seed=1)])
    gain = analysis.al_gain(cycles)
    assert list(gain["strategy"]) == ["badge"]
    assert gain["mean"].iloc[0] == pytest.approx((0.1 + 0.05) / 2)
    assert gain["n_seeds"].iloc[0] == 2


def test_gain_quality_correlation_is_spearman_per_strategy():
    gains = pd.DataFrame({"dataset": ["a", "b", "c", "a"], "embedder": ["e"] * 4, "ips": ["random"] * 4,
                          "strategy": ["badge"] * 3 + ["margin"], "mean": [0.01, 0.02, 0.05, 0.1]})
    quality = pd.DataFrame({"dataset": ["a", "b", "c"], "embedder": ["e"] * 3, "probe": [0.5, 0.7, 0.9]})
    corr = analysis.gain_quality_correlation(gains, quality, "probe").set_index("strategy")
    assert corr.loc["badge", "spearman"] == pytest.approx(1.0)
    assert np.isnan(corr.loc["margin", "spearman"]) and corr.loc["margin", "n_points"] == 1


def test_grid_round_trip_shapes():
    cycles = random_grid()
    curves = analysis.learning_curves(cycles)
    assert len(curves) == 2 * 2 * 2 * 3 * 6 and (curves["n_seeds"] == 3).all()
    rates = rankings.win_rates(cycles)
    pair_sum = rates.set_index(["strategy", "opponent"])["win_rate"]
    for (a, b), rate in pair_sum.items():
        assert rate + pair_sum[(b, a)] == pytest.approx(1.0)
    assert len(analysis.ips_difference_curves(cycles)) == 2 * 2 * 3 * 6


def test_labels_to_target_matches_missing_pool_size_across_dtypes():
    cycles = table([run_rows([0.5, 0.9]), run_rows([0.5, 0.6, 0.9], pool_size=100)])
    ref = pd.DataFrame({"dataset": ["d", "d"], "embedder": ["e", "e"],
                        "pool_size": pd.array([None, 100], dtype="Int64"), "accuracy": [1.0, 0.7]})
    out = analysis.labels_to_target(cycles, ref, fractions=(0.8,))
    assert sorted(out["labels"]) == [20, 20]  # full pool: 0.9 >= 0.8 at 20; pool 100: 0.6 >= 0.56 at 20


def test_censored_label_cost_counts_unreached_runs_above_the_budget():
    from almodules.study.label_cost import censored_label_cost

    labels = pd.DataFrame({"dataset": "d", "embedder": "e", "strategy": ["a"] * 4 + ["b"] * 3, "fraction": 0.9,
                           "budget": 100, "labels": [20, 40, np.nan, np.nan, 30, 50, np.nan],
                           "reached": [True, True, False, False, True, True, False]})
    out = censored_label_cost(labels).set_index("strategy")
    assert out.loc["a", "share_reached"] == 0.5 and out.loc["a", "median_text"] == "> 100"  # half failed
    assert np.isnan(out.loc["a", "median_labels"])
    assert out.loc["b", "median_labels"] == 50 and out.loc["b", "median_text"] == "50"
    assert out.loc["b", "n_runs"] == 3 and out.loc["b", "share_reached"] == pytest.approx(2 / 3)


def test_al_gain_summarises_auc_gains_per_seed():
    grid = random_grid()
    per_seed = analysis.auc_gains(grid)
    summary = analysis.al_gain(grid)
    assert "random" not in set(per_seed["strategy"])
    means = per_seed.groupby([*analysis.SETTING, *analysis.METHOD])["gain"].mean()
    np.testing.assert_allclose(summary.set_index([*analysis.SETTING, *analysis.METHOD])["mean"].loc[means.index], means)
