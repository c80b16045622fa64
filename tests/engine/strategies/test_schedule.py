"""The schedule strategy: the phase's strategy at each cycle, with the run's random stream unchanged."""

from __future__ import annotations

import numpy as np
import pytest
from engine_fakes import config, run
from pools import blobs, pool

from almodules.core.validation import ConfigError
from almodules.engine.strategies import select_batch

pytestmark = pytest.mark.usefixtures("blob_registry")


@pytest.mark.parametrize("cycle, expected", [(1, "random"), (2, "random"), (3, "margin"), (5, "margin"),
                                             (6, "coreset"), (40, "coreset")])
def test_each_cycle_queries_with_its_phases_strategy(cycle, expected):
    X, y = blobs(4, 30)
    state = pool(X, y, labeled_idx=range(0, 120, 10))
    state.cycle = cycle
    picked = select_batch("schedule", state, 5, np.random.default_rng(7), first="random", second="margin",
                          third="coreset", first_cycles=2, second_cycles=3)
    assert picked.tolist() == select_batch(expected, state, 5, np.random.default_rng(7)).tolist()


def test_a_schedule_of_one_phase_is_that_strategy_bit_for_bit():
    cycles = 4
    plain = run(config(strategy="margin", seed=3, cycles=cycles))
    scheduled = run(config(strategy="schedule", seed=3, cycles=cycles,
                           strategy_params={"first": "margin", "first_cycles": cycles}))
    assert [r["selected"] for r in scheduled.cycles] == [r["selected"] for r in plain.cycles]
    switched = run(config(strategy="schedule", seed=3, cycles=cycles,
                          strategy_params={"first": "margin", "first_cycles": 2, "second": "random",
                                           "second_cycles": 0, "third": "random"}))
    assert [r["selected"] for r in switched.cycles[:3]] == [r["selected"] for r in plain.cycles[:3]]
    assert switched.cycles[3]["selected"] != plain.cycles[3]["selected"]


@pytest.mark.parametrize("params, message", [({"first": "schedule"}, "first"), ({"third": "falcun"}, "third"),
                                             ({"first_cycles": -1}, "first_cycles")])
def test_bad_phases_are_refused_before_the_run(params, message):
    with pytest.raises(ConfigError, match=message):
        config(strategy="schedule", strategy_params=params)
