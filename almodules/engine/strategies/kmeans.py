"""k-means initial pool: the unlabeled point nearest each of ``b`` k-means centres.

Clustering runs on the L2-normalised embeddings of the unlabeled points with a seed drawn from
``rng`` (k-means++ seeding, at most 100 Lloyd steps); each cluster is represented by its member
nearest the centre (``representative="member"``, the rule of the reference implementations,
:func:`~almodules.engine.strategies.clustering.nearest_members`); ``"distinct"`` takes each centre's
nearest point not yet taken, whatever its cluster
(:func:`~almodules.engine.strategies.clustering.nearest_distinct`). With more than
``max(max_points, 10 * b)`` unlabeled points, both steps use a uniform random sample of that many
(drawn with ``rng``): ``b`` centres are well estimated from it, and only the sample is normalised
and copied (the whole of a 560k x 4096 pool would be another 9.2 GB; at 100k x 768 normalising
every row took half of the query).
"""

from __future__ import annotations

import numpy as np

from almodules.engine.strategies.base import PoolState
from almodules.engine.strategies.clustering import kmeans_representatives
from almodules.engine.strategies.sampling import draw_seed, uniform_subset

__all__ = ["kmeans"]


def kmeans(state: PoolState, b: int, rng: np.random.Generator, *, representative: str = "member",
           max_points: int | None = 20_000) -> np.ndarray:
    """``b`` unlabeled points, one nearest each centre of a k-means with ``b`` clusters.

    Parameters
    ----------
    state : PoolState
    b : int
        Batch size, ``1 <= b < #unlabeled``.
    rng : numpy.random.Generator
        Draws the sample (large pools) and seeds the clustering.
    representative : {"member", "distinct"}, default="member"
        The point taken for each centre (:data:`~.clustering.REPRESENTATIVE_RULES`).
    max_points : int or None
        Cluster a uniform sample of ``max(max_points, 10 * b)`` unlabeled points when there are
        more; ``None``: all of them.

    Returns
    -------
    ndarray of int64
        Pool indices, ordered by how close each is to its centre.
    """
    candidates = state.unlabeled_indices()
    if max_points is not None:
        candidates = uniform_subset(candidates, max(max_points, 10 * b), rng)
    return kmeans_representatives(state, candidates, b, draw_seed(rng), representative=representative)
