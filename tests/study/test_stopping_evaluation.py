"""Replaying stopping criteria on stored runs: the stop, its cost and regret by hand; datasets weigh
the same; the quality effect can come out either way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from almodules.core.validation import ConfigError
from almodules.engine.stop_signals import SIGNALS
from almodules.study.stopping_evaluation import quality_effect, run_stops, stop_summary


def run_rows(key, dataset="d", embedder="e", *, kappas, accuracy, strategy="margin", seed=0, step=10):
    n = len(accuracy)
    rows = []
    for t in range(n):
        signals = {s: 0.5 for s in SIGNALS} | {"stop_kappa": np.nan if t == 0 else kappas[t - 1],
                                               "stop_delta_f": np.nan, "pool_changed": 5.0}
        rows.append({"run_key": key, "dataset": dataset, "embedder": embedder, "ips": "random", "strategy": strategy,
                     "seed": seed, "cycle": t, "n_labeled": step * (t + 1), "accuracy": accuracy[t], **signals})
    return rows


def frame(*runs):
    return pd.DataFrame([row for run in runs for row in run])


def test_stop_cost_and_regret_by_hand():
    accuracy = [0.5, 0.7, 0.8, 0.85, 0.86, 0.86]
    cycles = frame(run_rows("a", kappas=[0.5, 0.995, 0.995, 0.995, 0.995], accuracy=accuracy))
    stops = run_stops(cycles, {"a": 100}, {"d": 3}, criteria={"kappa-average": {"window": 3}}, lambdas=[1.0])
    row = stops.iloc[0]
    # kappas from cycle 1: 0.5, .995, .995, .995 -> the mean of the last three reaches 0.99 at cycle 4
    assert row["stop_cycle"] == 4 and row["fired"] and row["labels_used"] == 50
    assert row["labels_share"] == pytest.approx(50 / 60) and row["accuracy_lost"] == pytest.approx(0.0)
    cost = [10 * (t + 1) + (1 - a) * (100 - 10 * (t + 1)) for t, a in enumerate(accuracy)]
    assert row["regret_1"] == pytest.approx((cost[4] - min(cost)) / 60)


def test_a_criterion_that_never_fires_stops_at_the_last_cycle():
    cycles = frame(run_rows("a", kappas=[0.1] * 4, accuracy=[0.5, 0.6, 0.7, 0.8, 0.9]))
    row = run_stops(cycles, {"a": 100}, {"d": 3}, criteria=["kappa-average"]).iloc[0]
    assert row["stop_cycle"] == 4 and not row["fired"] and row["labels_share"] == 1.0


def test_runs_without_signals_are_refused_and_bad_lambdas_too():
    cycles = frame(run_rows("a", kappas=[0.1] * 4, accuracy=[0.5] * 5)).drop(columns=["stop_kappa"])
    with pytest.raises(ConfigError, match="stored before runs recorded stopping signals; recompute"):
        run_stops(cycles, {"a": 100}, {"d": 3})
    ok = frame(run_rows("a", kappas=[0.1] * 4, accuracy=[0.5] * 5))
    with pytest.raises(ConfigError, match=r"lambdas must be positive"):
        run_stops(ok, {"a": 100}, {"d": 3}, lambdas=[0])
    with pytest.raises(ConfigError, match=r"unknown stopping criterion 'kapa'"):
        run_stops(ok, {"a": 100}, {"d": 3}, criteria=["kapa"])


def test_every_dataset_weighs_the_same():
    fast = [run_rows(f"x{i}", "x", kappas=[0.995] * 5, accuracy=[0.9] * 6, seed=i) for i in range(9)]
    slow = [run_rows("y0", "y", kappas=[0.1] * 5, accuracy=[0.9] * 6)]
    stops = run_stops(frame(*fast, *slow), {**{f"x{i}": 100 for i in range(9)}, "y0": 100}, {"x": 3, "y": 3},
                      criteria=["kappa-average"])
    summary = stop_summary(stops, n_boot=200)
    # x stops at cycle 3 (share 4/6), y never (share 1): the mean of the two, not of the ten runs
    assert summary["labels_share"].iloc[0] == pytest.approx((4 / 6 + 1) / 2)
    assert summary["n_datasets"].iloc[0] == 2 and summary["labels_share_low"].iloc[0] >= 4 / 6 - 1e-12


@pytest.mark.parametrize("better_stops_earlier", [True, False])
def test_quality_effect_comes_out_either_way(better_stops_earlier):
    runs, pools, quality = [], {}, []
    for d in ("p", "q", "r"):
        for rank, e in enumerate(("weak", "mid", "strong")):
            # the stable stretch starts earlier (or later) with the embedder's quality
            start = 3 - rank if better_stops_earlier else 1 + rank
            kappas = [0.1] * start + [0.995] * (8 - start)
            key = f"{d}-{e}"
            runs.append(run_rows(key, d, e, kappas=kappas, accuracy=[0.5] * 9))
            pools[key] = 100
            quality.append({"dataset": d, "embedder": e, "quality": 0.5 + 0.1 * rank})
    stops = run_stops(frame(*runs), pools, {"p": 3, "q": 3, "r": 3}, criteria=["kappa-average"])
    effect = quality_effect(stops, pd.DataFrame(quality), n_boot=100)
    assert effect["spearman"].iloc[0] == pytest.approx(-1.0 if better_stops_earlier else 1.0)


def test_stop_advice_picks_the_least_regret_among_criteria_that_lose_little():
    from almodules.study.stopping_evaluation import stop_advice
    runs = [run_rows(f"{d}{i}", d, kappas=[0.5, 0.995, 0.995, 0.995, 0.995], accuracy=[0.5, 0.7, 0.8, 0.85, 0.86, 0.86],
                     seed=i) for d in ("x", "y") for i in range(2)]
    stops = run_stops(frame(*runs), {f"{d}{i}": 100 for d in ("x", "y") for i in range(2)}, {"x": 3, "y": 3},
                      criteria=["kappa-average", "max-iterations"])
    advice = stop_advice(stops, n_boot=100)
    assert advice["criterion"] in ("kappa-average", "max-iterations") and advice["accuracy_lost"] <= 0.01
    assert advice["n_datasets"] == 2 and 0 <= advice["labels_saved"] < 1
    assert stop_advice(stops, max_accuracy_lost=-1) is None and stop_advice(stops.iloc[:0]) is None
