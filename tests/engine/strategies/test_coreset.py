"""CoreSet: greedy k-centre picks equal scikit-activeml."""

from __future__ import annotations

import numpy as np
import pytest
from pools import random_pool, skactiveml_y
from skactiveml.pool import CoreSet

from almodules.engine.strategies import PoolState, select_batch


@pytest.mark.parametrize("seed", range(8))
def test_coreset_picks_equal_skactiveml(seed):
    rng = np.random.default_rng(seed)
    state, _ = random_pool(int(rng.integers(40, 300)), int(rng.integers(2, 24)), int(rng.integers(1, 12)), seed)
    b = int(rng.integers(1, 25))
    ours = select_batch("coreset", state, b, np.random.default_rng(seed))
    ref = CoreSet(random_state=seed).query(state.X.astype(np.float64), skactiveml_y(state), batch_size=b)
    np.testing.assert_array_equal(ours, ref)
    # A second call reuses the run's cached bounds and must not change a pick.
    np.testing.assert_array_equal(select_batch("coreset", state, b, np.random.default_rng(1)), ours)


def test_coreset_bounds_follow_newly_labeled_points():
    state, y = random_pool(200, 8, 5, seed=3)
    first = select_batch("coreset", state, 10, np.random.default_rng(0))
    state.labeled[first] = True
    state.y[first] = y[first]
    ours = select_batch("coreset", state, 10, np.random.default_rng(0))
    ref = CoreSet().query(state.X.astype(np.float64), skactiveml_y(state), batch_size=10)
    np.testing.assert_array_equal(ours, ref)


def test_coreset_with_nothing_labeled_continues_like_skactiveml_from_its_random_first_pick():
    state, _ = random_pool(150, 5, 0, seed=4)
    ours = select_batch("coreset", state, 12, np.random.default_rng(7), role="ips")
    seeded = state.labeled.copy()
    seeded[ours[0]] = True
    ref = CoreSet().query(state.X.astype(np.float64), np.where(seeded, 0.0, np.nan), batch_size=11)
    np.testing.assert_array_equal(ours[1:], ref)


def test_coreset_ties_go_to_the_lowest_index():
    X = np.array([[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1]], dtype=np.float32)
    labeled = np.array([True, False, False, False, False])
    state = PoolState(X, labeled, np.where(labeled, 0, -1), 2)
    assert select_batch("coreset", state, 1, np.random.default_rng(0))[0] == 1
