"""k-means initial pool selection."""

from __future__ import annotations

import numpy as np
import pytest

from almodules.engine.strategies import PoolState, select_batch


@pytest.mark.parametrize("max_points", [None, 60])
def test_kmeans_initial_pool_takes_one_point_from_each_separated_blob(max_points):
    rng = np.random.default_rng(0)
    n_blobs, per_blob = 5, 40
    X = np.concatenate([10 * np.eye(8)[i] + 0.3 * rng.standard_normal((per_blob, 8))
                        for i in range(n_blobs)]).astype(np.float32)
    state = PoolState(X, np.zeros(len(X), dtype=bool), np.full(len(X), -1), n_blobs)
    picks = select_batch("kmeans", state, n_blobs, np.random.default_rng(1), role="ips", max_points=max_points)
    assert sorted(picks // per_blob) == list(range(n_blobs))


@pytest.mark.parametrize("representative", ["member", "distinct"])
def test_kmeans_representatives_follow_the_named_rule(representative):
    from almodules.engine.strategies.clustering import lloyd_kmeans, nearest_distinct, nearest_members
    from almodules.engine.strategies.sampling import draw_seed
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 6)).astype(np.float32)
    state = PoolState(X, np.zeros(len(X), dtype=bool), np.full(len(X), -1), 3)
    picks = select_batch("kmeans", state, 12, np.random.default_rng(5), role="ips", representative=representative)
    replay = np.random.default_rng(5)
    Xn = state.normalized_rows(np.arange(300))
    centres = lloyd_kmeans(Xn, 12, draw_seed(replay), max_iter=100)
    rule = nearest_members if representative == "member" else nearest_distinct
    np.testing.assert_array_equal(picks, rule(Xn, centres))


def test_nearest_members_equal_brute_force_and_cover_empty_clusters():
    from almodules.engine.strategies.clustering import nearest_members
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5)).astype(np.float32)
    centres = np.concatenate([X[:8] + 0.01, np.full((2, 5), 50.0, dtype=np.float32)])  # two without members
    picks = nearest_members(X, centres)
    assign = ((X[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1)
    members = {int(np.flatnonzero(assign == c)[((X[assign == c] - centres[c]) ** 2).sum(1).argmin()])
               for c in range(8)}
    assert members <= set(picks.tolist()) and len(set(picks.tolist())) == 10
