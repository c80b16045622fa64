"""Schedules of query strategies: the phases chosen from per-cycle regret, never on the held-out dataset."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from synthetic_cycles import run_rows, table

from almodules.core.validation import ConfigError
from almodules.study import schedules


def phased_runs(leaders, datasets=("bbc_news", "trec6", "reuters_r8"), cycles=12, seeds=(0, 1)):
    """Runs where ``leaders(dataset, cycle)`` is ahead by 0.05 at that cycle, the others level."""
    runs = []
    for d, s, seed in itertools.product(datasets, ("typiclust", "dropquery", "margin", "random"), seeds):
        curve = [0.5 + 0.01 * t + 0.05 * (leaders(d, t) == s and t > 0) for t in range(cycles + 1)]
        runs.append(run_rows(curve, dataset=d, embedder="tfidf-svd", strategy=s, seed=seed, k0=10, batch_size=10))
    return table(runs)


def test_the_phases_follow_the_leaders_cycle_by_cycle():
    runs = phased_runs(lambda d, t: "typiclust" if t <= 3 else "dropquery" if t <= 8 else "margin")
    params = schedules.choose_schedule(runs)
    assert params == {"first": "typiclust", "second": "dropquery", "third": "margin", "first_cycles": 3,
                      "second_cycles": 5}
    assert schedules.describe_schedule(params) == "typiclust (cycles 1-3), dropquery (cycles 4-8), margin (cycles 9-)"
    regret = schedules.cycle_regrets(runs)
    assert regret.loc[1, "typiclust"] == 0 and regret.loc[1, "margin"] == pytest.approx(0.05)


def test_one_leader_throughout_is_one_phase():
    params = schedules.choose_schedule(phased_runs(lambda d, t: "margin"))
    assert {params["first"], params["second"], params["third"]} == {"margin"}
    assert schedules.describe_schedule(params) == "margin (cycles 1-)"


def test_a_held_out_dataset_never_informs_its_own_schedule():
    # bbc_news alone is led by TypiClust throughout, the others by Margin: its schedule must not see its own runs.
    runs = phased_runs(lambda d, t: "typiclust" if d == "bbc_news" else "margin")
    chosen = schedules.held_out_schedules(runs)
    assert {chosen["bbc_news"][k] for k in ("first", "second", "third")} == {"margin"}
    configs = schedules.held_out_schedule_configs(runs, seeds=[0, 1, 2])
    assert len(configs) == 3 * 3 and {c.strategy for c in configs} == {"schedule"}
    bbc = next(c for c in configs if c.dataset == "bbc_news")
    assert dict(bbc.strategy_params) == chosen["bbc_news"] and (bbc.k0, bbc.budget, bbc.cycles) == (10, 130, 12)


def test_too_little_to_choose_from_is_refused():
    runs = phased_runs(lambda d, t: "margin", datasets=("bbc_news",))
    with pytest.raises(ConfigError, match="at least 2 datasets"):
        schedules.held_out_schedules(runs)
    with pytest.raises(ConfigError, match="no AL runs"):
        schedules.cycle_regrets(runs.assign(ips="typiclust"))
