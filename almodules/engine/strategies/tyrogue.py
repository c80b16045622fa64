"""TYROGUE (Maekawa et al., low-resource interactive active labeling): a random pre-filter, then
diversity by k-means, then uncertainty by entropy.

1. draw ``n_random`` unlabeled points uniformly (|D_rand|, 10,000 in the paper; all when fewer);
2. k-means with ``r * b`` clusters on their L2-normalised embeddings (k-means++ seeding and
   Lloyd steps, :func:`~.clustering.lloyd_kmeans`) and the point nearest each centre, refilled
   without replacement when two centres share a nearest point;
3. the ``b`` of those ``r * b`` diverse points with the highest predictive entropy.

``r = 1`` skips step 3: pure diversity, needing no probe; that is the cold start (initial pool)
of the paper, and the registry uses it for initial pool selection. The pre-filter bounds the
cost by ``n_random``, whatever the pool size: only the sampled rows are normalised.
"""

from __future__ import annotations

import numpy as np

from almodules.core.validation import ConfigError, check_int
from almodules.engine.strategies.base import PoolState
from almodules.engine.strategies.clustering import kmeans_representatives
from almodules.engine.strategies.sampling import draw_seed
from almodules.engine.strategies.uncertainty import top_b, uncertainty_scores

__all__ = ["tyrogue"]


def tyrogue(state: PoolState, b: int, rng: np.random.Generator, *, r: int = 3,
            n_random: int = 10_000) -> np.ndarray:
    """Select ``b`` points: random pre-filter, ``r * b`` k-means representatives, top-``b`` entropy.

    Parameters
    ----------
    state : PoolState
        ``proba`` is needed when ``r > 1``.
    b : int
    rng : numpy.random.Generator
        Draws the pre-filter, then the k-means seed.
    r : int, default=3
        Diverse candidates per selected point; ``r = 1`` is pure diversity (cold start).
    n_random : int, default=10_000
        Size of the random pre-filter |D_rand|, at least ``b``.

    Returns
    -------
    ndarray of int64, shape (b,)
    """
    n_random = check_int("n_random", n_random, minimum=b)
    if r > 1 and state.proba is None:
        raise ConfigError(f"tyrogue with r={r} ranks candidates by entropy and needs a fitted probe "
                          "(state.proba); use r=1 (pure diversity) when there is none")
    unlabeled = state.unlabeled_indices()
    # Drawn even when it keeps every point, unlike sampling.uniform_subset: the k-means seed is the
    # next draw, so skipping this one would change the picks of every small-pool run.
    sample = np.sort(rng.choice(unlabeled, size=min(n_random, len(unlabeled)), replace=False))
    diverse = kmeans_representatives(state, sample, r * b, draw_seed(rng), representative="distinct", max_iter=10)
    if r == 1:
        return diverse
    return top_b(uncertainty_scores(state.proba[diverse], "entropy"), diverse, b)
