"""PoolState: normalised rows."""

from __future__ import annotations

import numpy as np
from pools import pool


def test_normalized_rows_equal_the_cached_normalised_pool_bit_for_bit():
    X = np.random.default_rng(0).standard_normal((50, 7)).astype(np.float32)
    X[8] = 0.0  # a zero row stays zero
    state = pool(X, np.zeros(50, dtype=int), fit_probe=False, n_classes=2)
    rows = np.array([3, 0, 41, 17])
    fresh = state.normalized_rows(rows)
    assert "X_l2" not in state.cache  # computed without normalising the whole pool
    whole = state.normalized()
    np.testing.assert_array_equal(
        whole, (X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), np.finfo(np.float32).tiny)))
    assert whole.dtype == np.float32 and not whole[8].any()
    np.testing.assert_array_equal(fresh, whole[rows])
    np.testing.assert_array_equal(state.normalized_rows(rows), fresh)  # now sliced from the cache
    fresh_state = pool(X, np.zeros(50, dtype=int), fit_probe=False, n_classes=2)
    np.testing.assert_array_equal(fresh_state.normalized_rows(slice(5, 9)), whole[5:9])
    np.testing.assert_array_equal(fresh_state.X, X)  # the pool itself is never normalised in place
