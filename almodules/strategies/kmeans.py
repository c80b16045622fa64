"""k-means initial pool: the unlabeled point nearest each of ``b`` k-means centres.

Clustering runs on the L2-normalised embeddings of the unlabeled points (the whole pool when
nothing is labeled, the usual case for an initial pool) with a seed drawn from ``rng``; each
centre takes its nearest point, and a centre whose nearest point is taken gets its next nearest
(:func:`~almodules.strategies.clustering.nearest_distinct`).
"""

from __future__ import annotations

import numpy as np

from .base import PoolState
from .clustering import fit_kmeans, nearest_distinct

__all__ = ["kmeans"]


def kmeans(state: PoolState, b: int, rng: np.random.Generator) -> np.ndarray:
    """``b`` unlabeled points, one nearest each centre of a k-means with ``b`` clusters.

    Parameters
    ----------
    state : PoolState
    b : int
        Batch size, ``1 <= b < #unlabeled``.
    rng : numpy.random.Generator
        Seeds the clustering.

    Returns
    -------
    ndarray of int64
        Pool indices, ordered by how close each is to its centre.
    """
    Xn = state.normalized()
    candidates = state.unlabeled_indices()
    # Indexing copies the pool; skip it when every point is a candidate (a 560k x 4096 pool is 9 GB).
    Xu = Xn if len(candidates) == state.n_pool else Xn[candidates]
    _, centres = fit_kmeans(Xu, b, seed=int(rng.integers(2**31 - 1)))
    return nearest_distinct(Xn, centres, candidates)
