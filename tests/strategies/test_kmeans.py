"""k-means initial pool selection."""

from __future__ import annotations

import numpy as np
import pytest

from almodules.strategies import PoolState, select_batch



@pytest.mark.parametrize("max_points", [None, 60])
def test_kmeans_initial_pool_takes_one_point_from_each_separated_blob(max_points):
    rng = np.random.default_rng(0)
    n_blobs, per_blob = 5, 40
    X = np.concatenate([10 * np.eye(8)[i] + 0.3 * rng.standard_normal((per_blob, 8))
                        for i in range(n_blobs)]).astype(np.float32)
    state = PoolState(X, np.zeros(len(X), dtype=bool), np.full(len(X), -1), n_blobs)
    picks = select_batch("kmeans", state, n_blobs, np.random.default_rng(1), role="ips", max_points=max_points)
    assert sorted(picks // per_blob) == list(range(n_blobs))
