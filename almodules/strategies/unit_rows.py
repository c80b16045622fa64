"""L2-normalised rows of the pool without normalising the whole pool.

:meth:`PoolState.normalized` keeps a normalised copy of the full pool in the run's cache; at
560k x 4096 that copy is another 9.2 GB. Strategies that only need some rows (a random
pre-filter, a candidate set, one cluster, a chunk) take them from that cache when another strategy
already built it, and otherwise normalise just those rows, with the same formula, in the one
copy that gathering them makes.
"""

from __future__ import annotations

import numpy as np

from .base import PoolState

__all__ = ["unit_rows"]


def unit_rows(state: PoolState, rows: np.ndarray | slice) -> np.ndarray:
    """Rows ``rows`` of ``state.normalized()``, computed without building the full normalised pool.

    Parameters
    ----------
    state : PoolState
    rows : ndarray of int or slice
        Pool rows to return.

    Returns
    -------
    ndarray of shape (len(rows), D), float32
        Equal, bit for bit, to ``state.normalized()[rows]``.
    """
    cached = state.cache.get("X_l2")
    if cached is not None:
        return cached[rows]
    X = state.X[rows]
    if np.may_share_memory(X, state.X):  # a slice is a view: never normalise the pool in place
        X = X.copy()
    X /= np.maximum(np.linalg.norm(X, axis=1, keepdims=True), np.finfo(np.float32).tiny)
    return X.astype(np.float32, copy=False)
