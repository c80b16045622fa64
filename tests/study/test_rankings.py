"""Win rates, top frequencies and the IPS study winners (almodules.study.rankings)."""

import numpy as np
import pytest
from synthetic_cycles import run_rows, table

from almodules.study import rankings


def _three_strategies():
    # cycle 0 differs on purpose: it must not count
    return table([run_rows([0.1, 0.6, 0.8], strategy="a"), run_rows([0.9, 0.5, 0.8], strategy="b"),
                  run_rows([0.0, 0.7, 0.9], strategy="c")])



def test_win_rates_count_wins_and_half_ties_over_paired_cycles():
    rates = rankings.win_rates(_three_strategies()).set_index(["strategy", "opponent"])
    assert rates.loc[("a", "b"), "win_rate"] == pytest.approx(0.75)  # win at cycle 1, tie at cycle 2
    assert rates.loc[("b", "a"), "win_rate"] == pytest.approx(0.25)
    assert rates.loc[("c", "a"), "win_rate"] == 1.0
    assert rates.loc[("a", "b"), "comparisons"] == 2 and rates.loc[("a", "b"), "ties"] == 1
    assert len(rates) == 6


def test_win_rates_tie_credit_and_matrix_order():
    rates = rankings.win_rates(_three_strategies(), tie=0.0)
    matrix = rankings.win_rate_matrix(rates)
    assert list(matrix.index) == ["c", "a", "b"] and list(matrix.columns) == ["c", "a", "b"]
    assert matrix.loc["a", "b"] == pytest.approx(0.5)
    assert np.isnan(matrix.loc["a", "a"])


def test_win_rates_only_compare_same_seed_and_setting():
    cycles = table([run_rows([0.1, 0.9], strategy="a", seed=0), run_rows([0.1, 0.5], strategy="b", seed=1)])
    assert rankings.win_rates(cycles).empty


def test_win_rates_reject_duplicate_rows():
    rows = run_rows([0.1, 0.9], strategy="a")
    with pytest.raises(ValueError, match="duplicate"):
        rankings.win_rates(table([rows, rows]))


def test_top_strategy_frequency_uses_seed_means_and_splits_ties():
    cycles = table([
        run_rows([0.0, 0.9, 0.5], strategy="a", seed=0), run_rows([0.0, 0.1, 0.5], strategy="a", seed=1),
        run_rows([0.0, 0.6, 0.5], strategy="b", seed=0), run_rows([0.0, 0.6, 0.5], strategy="b", seed=1),
    ])
    # cycle 1: means a 0.5, b 0.6 -> b, though a won seed 0; cycle 2: tie -> 0.5 each
    per_cycle = rankings.top_strategy_frequency(cycles).set_index(["cycle", "strategy"])
    assert per_cycle.loc[(1, "b"), "frequency"] == 1.0 and per_cycle.loc[(1, "a"), "frequency"] == 0.0
    assert per_cycle.loc[(2, "a"), "frequency"] == 0.5
    overall = rankings.top_strategy_frequency(cycles, by=("embedder",)).set_index("strategy")
    assert overall.loc["b", "frequency"] == pytest.approx(0.75) and overall.loc["b", "groups"] == 2


def test_top_strategy_frequency_rejects_unknown_by():
    with pytest.raises(ValueError, match="by"):
        rankings.top_strategy_frequency(_three_strategies(), by=("colour",))


def test_ips_accuracy_and_win_frequency_use_ips_only_runs():
    runs = [run_rows([acc], ips=ips, k0=k0, dataset=d, seed=s)
            for d, ips, k0, s, acc in [
                ("d1", "random", 10, 0, 0.4), ("d1", "random", 10, 1, 0.6), ("d1", "typiclust", 10, 0, 0.7),
                ("d2", "random", 10, 0, 0.5), ("d2", "typiclust", 10, 0, 0.5),
                ("d1", "random", 20, 0, 0.8), ("d1", "typiclust", 20, 0, 0.7)]]
    runs.append(run_rows([0.99, 0.99], ips="random", k0=10, dataset="d1"))  # an AL run: ignored
    cycles = table(runs)
    acc = rankings.ips_accuracy(cycles).set_index(["dataset", "ips", "k0"])
    assert acc.loc[("d1", "random", 10), "mean"] == pytest.approx(0.5)
    assert acc.loc[("d1", "random", 10), "n_seeds"] == 2
    wins = rankings.ips_win_frequency(cycles).set_index(["k0", "ips"])
    assert wins.loc[(10, "typiclust"), "frequency"] == pytest.approx(0.75)  # d1 win + d2 tie, of 2
    assert wins.loc[(10, "random"), "frequency"] == pytest.approx(0.25)
    assert wins.loc[(20, "random"), "frequency"] == 1.0 and wins.loc[(20, "random"), "groups"] == 1


def test_ips_accuracy_needs_ips_only_runs():
    with pytest.raises(ValueError, match="cycles=0"):
        rankings.ips_accuracy(table([run_rows([0.5, 0.6])]))
