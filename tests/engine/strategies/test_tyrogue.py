"""TYROGUE: random pre-filter, k-means representatives, top entropy."""

from __future__ import annotations

import numpy as np
import pytest
from pools import SEED_BOUND, blobs, noisy_pool, pool

from almodules.engine.strategies import PoolState, select_batch
from almodules.engine.strategies.clustering import lloyd_kmeans, nearest_distinct
from almodules.engine.strategies.tyrogue import tyrogue


def replay_diverse(state, b, seed, r, n_random):
    rng = np.random.default_rng(seed)
    unlabeled = state.unlabeled_indices()
    sample = np.sort(rng.choice(unlabeled, size=min(n_random, len(unlabeled)), replace=False))
    centres = lloyd_kmeans(state.normalized()[sample], r * b, int(rng.integers(SEED_BOUND)))
    return sample, sample[nearest_distinct(state.normalized()[sample], centres)]


def test_tyrogue_r1_is_the_cold_start_diversity_pick_and_ignores_the_probe():
    state = noisy_pool()
    sample, diverse = replay_diverse(state, 12, 3, 1, 150)
    picks = tyrogue(state, 12, np.random.default_rng(3), r=1, n_random=150)
    np.testing.assert_array_equal(picks, diverse)
    blind = PoolState(state.X, state.labeled, state.y, state.n_classes)
    np.testing.assert_array_equal(tyrogue(blind, 12, np.random.default_rng(3), r=1, n_random=150), picks)
    assert set(picks) <= set(sample)


def test_tyrogue_picks_the_top_entropy_points_of_the_diverse_candidates():
    state = noisy_pool(seed=1)
    sample, diverse = replay_diverse(state, 8, 5, 3, 200)
    assert len(diverse) == 24 and set(diverse) <= set(sample)
    p = state.proba[diverse]
    entropy = -(p * np.log(p)).sum(axis=1)
    expected = diverse[np.argsort(-entropy)[:8]]
    picks = tyrogue(state, 8, np.random.default_rng(5), r=3, n_random=200)
    assert set(picks) == set(expected)


def test_tyrogue_cold_start_through_the_registry_needs_no_probe():
    X, y = blobs(5, 30)
    state = pool(X, y, fit_probe=False)
    picks = select_batch("tyrogue", state, 5, np.random.default_rng(0), role="ips")
    assert set(y[picks]) == set(range(5))


def test_tyrogue_without_a_probe_needs_r1():
    state = pool(*blobs(3, 20), fit_probe=False)
    with pytest.raises(ValueError, match="r=3"):
        tyrogue(state, 4, np.random.default_rng(0))


def test_tyrogue_refuses_a_pre_filter_smaller_than_the_batch():
    with pytest.raises(ValueError, match="n_random"):
        select_batch("tyrogue", noisy_pool(), 4, np.random.default_rng(0), n_random=3)
