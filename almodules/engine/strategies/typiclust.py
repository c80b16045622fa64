"""TypiClust (Hacohen, Dekel and Weinshall 2022): the most typical point of the largest cluster
that holds the fewest labeled points.

Faithful to the authors' code (``avihu111/TypiClust``, ``pycls/al/typiclust.py``):

- k-means on L2-normalised embeddings with ``#labeled + b`` clusters, capped at 500; KMeans up to
  50 clusters, MiniBatchKMeans beyond;
- clusters of at most ``min_cluster_size`` (5) points are skipped;
- clusters are sorted once per query by (labeled count ascending, size descending, then cluster
  id) and visited round-robin, one pick per visit, as the authors' code does. Below the cap this
  is "the largest cluster with the fewest labeled points" for every pick (``#labeled + b`` clusters
  leave at least ``b`` of them without a label); at the 500-cluster cap a batch larger than the
  clusters without a label wraps around to the next counts in the order of the one sort (an
  earlier version re-sorted after every pick, and its cluster order overlapped the authors' only
  70-77% on real pools). A cluster whose points are all labeled or picked is passed over;
- typicality is ``1 / mean distance to the k nearest neighbours``, computed among the cluster's
  still unlabeled points (labeled and already picked points are removed, as in the authors' code),
  with ``k = min(knn, n // 2)`` for a cluster of ``n`` such points, from float64 distances (in
  float32, near-duplicate points produce near-ties, relative gaps down to 1e-4, that rounding
  reorders). The paper's Euclidean distance is used; the authors' faiss code averages squared
  distances, which can reorder near ties.

Scaling. Distances inside a cluster are computed blockwise (never an N x N matrix). k-means is
fitted on at most ``fit_rows`` rows (all of them up to that size, as the reference does) and every
point is then assigned to its nearest centre in chunks, so the full normalised pool is never
copied. When the cluster count is capped it no
longer changes between cycles: the clustering of the first capped query (its seed drawn from that
query's generator) is kept in ``state.cache`` and reused, together with each cluster's neighbour
lists, which are then updated only for the points that lost a neighbour. Below the cap the count
grows every cycle and k-means is refitted, as in the reference.

Giant clusters. Exact typicality costs ``n**2 * d`` in a cluster of ``n`` points; k-means on weak,
nearly isotropic embeddings can put most of the pool into a handful of clusters (on a 560k x 4096
pool of Gaussian noise one cluster took hundreds of thousands of points, and a single query ran
for over half an hour). A cluster with more than ``max_cluster_points`` unlabeled points is
therefore represented by a uniform sample of that many of them, drawn once per clustering (seeded
by it): typicality is the same k-NN density estimate, computed among the sample, and the pick is
the sample's most typical point. Labeled points leave the sample without replacement; a new sample
is drawn only when all of it is labeled. Clusters up to the limit (every cluster of a pool of up
to ``max_cluster_points`` points) are exact.
"""

from __future__ import annotations

import numpy as np

from almodules.engine.strategies.base import PoolState
from almodules.engine.strategies.clustering import fit_kmeans, nearest_centre
from almodules.engine.strategies.distances import chunk_rows, sq_dists, sq_norms
from almodules.engine.strategies.sampling import draw_seed, uniform_subset

__all__ = ["typiclust", "typicality", "nearest_neighbours", "cluster_pool"]


def typiclust(state: PoolState, b: int, rng: np.random.Generator, *, max_clusters: int = 500,
              knn: int = 20, min_cluster_size: int = 5, minibatch_above: int = 50,
              fit_rows: int = 100_000, max_cluster_points: int | None = 10_000) -> np.ndarray:
    """Select ``b`` typical points from the largest clusters with the fewest labeled points.

    Parameters
    ----------
    state : PoolState
    b : int
    rng : numpy.random.Generator
        Seeds k-means (one draw per call, used or not) and the k-means row sample.
    max_clusters : int, default=500
        Cap on the number of clusters (the reference's ``MAX_NUM_CLUSTERS``).
    knn : int, default=20
        Neighbours that define typicality (the reference's ``K_NN``).
    min_cluster_size : int, default=5
        Clusters with at most this many points are skipped while larger ones remain.
    minibatch_above : int, default=50
        MiniBatchKMeans above this many clusters, KMeans up to it.
    fit_rows : int, default=100_000
        k-means is fitted on a uniform sample of this many rows when the pool is larger, then
        every point is assigned to its nearest centre.
    max_cluster_points : int or None, default=10_000
        Typicality inside a cluster with more unlabeled points than this is computed on a uniform
        sample of this many of them (see "Giant clusters" above); ``None``: always exact.

    Returns
    -------
    ndarray of int64, shape (b,)
    """
    n_clusters = min(int(state.labeled.sum()) + b, max_clusters, state.n_pool)
    seed = draw_seed(rng)
    key = ("typiclust", n_clusters, minibatch_above, fit_rows)
    clustering = state.cache.get(key)
    if clustering is None:
        labels = cluster_pool(state, n_clusters, seed, minibatch_above=minibatch_above, fit_rows=fit_rows)
        clustering = {"labels": labels, "neighbours": {}, "seed": seed, "samples": {}}
        if n_clusters == max_clusters:  # only a capped count recurs in later cycles
            state.cache[key] = clustering
    return _pick(state, b, clustering, n_clusters, knn, min_cluster_size, max_cluster_points)


def cluster_pool(state: PoolState, n_clusters: int, seed: int, *, minibatch_above: int = 50,
                 fit_rows: int = 100_000) -> np.ndarray:
    """Cluster label of every pool point: k-means on L2-normalised rows.

    Fitted on all rows up to ``fit_rows`` (then the labels are k-means' own), else on a uniform
    sample of ``fit_rows`` rows followed by a chunked nearest-centre assignment of every row.
    ProbCover's pseudo-labels are built from the same pieces but differ on purpose (fixed seed,
    its own normalisation, always reassigned): see ``probcover._pseudo_labels``.
    """
    n = state.n_pool
    if n <= fit_rows:
        labels, _ = fit_kmeans(state.normalized_rows(slice(None)), n_clusters, seed,
                               minibatch_above=minibatch_above)
        return labels
    sample = uniform_subset(n, fit_rows, np.random.default_rng(seed))
    _, centres = fit_kmeans(state.normalized_rows(sample), n_clusters, seed, minibatch_above=minibatch_above)
    return nearest_centre(state.normalized_rows, n, centres, chunk_rows(n, state.X.shape[1] + len(centres)))


def nearest_neighbours(X: np.ndarray, k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest other rows of ``X`` for each of ``rows`` (all rows by default).

    Computed blockwise (rows x n distances at a time), in the dtype of ``X``.

    Returns
    -------
    positions : ndarray of int64, shape (len(rows), k)
        Row numbers in ``X`` of the neighbours, in no particular order.
    sq_distances : ndarray of X's dtype, shape (len(rows), k)
    """
    n = X.shape[0]
    rows = np.arange(n) if rows is None else rows
    norms = sq_norms(X)
    positions = np.empty((len(rows), k), dtype=np.int64)
    sq_distances = np.empty((len(rows), k), dtype=X.dtype)
    step = chunk_rows(len(rows), n)
    for start in range(0, len(rows), step):
        block = rows[start:start + step]
        d = sq_dists(X[block], X, norms[block], norms)
        d[np.arange(len(block)), block] = np.inf  # a point is not its own neighbour
        part = np.argpartition(d, k - 1, axis=1)[:, :k]
        positions[start:start + len(block)] = part
        sq_distances[start:start + len(block)] = np.take_along_axis(d, part, axis=1)
    return positions, sq_distances


def typicality(X: np.ndarray, k: int) -> np.ndarray:
    """``1 / mean Euclidean distance to the k nearest other rows`` for every row of ``X``.

    Exact duplicates are at distance zero up to rounding; a floor of ``1e-12`` on the mean keeps
    their typicality finite.

    Parameters
    ----------
    X : ndarray of shape (n, d), n >= 2
    k : int, 1 <= k <= n - 1
    """
    return _typicality(nearest_neighbours(X, k)[1])


def _typicality(sq_distances: np.ndarray) -> np.ndarray:
    return 1.0 / np.maximum(np.sqrt(sq_distances, dtype=np.float64).mean(axis=1), 1e-12)


def _pick(state: PoolState, b: int, clustering: dict, n_clusters: int, knn: int,
          min_cluster_size: int, max_cluster_points: int | None) -> np.ndarray:
    labels = clustering["labels"]
    sizes = np.bincount(labels, minlength=n_clusters)
    counts = np.bincount(labels[state.labeled], minlength=n_clusters)
    available = ~state.labeled
    n_free = np.bincount(labels[available], minlength=n_clusters)
    order = np.argsort(labels, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes)])
    ranked = _visiting_order(sizes, counts, n_free, min_cluster_size)
    picks = []
    visit = 0
    while len(picks) < b:
        if not (n_free[ranked] > 0).any():  # every sorted cluster is used up: the small ones too
            ranked = _visiting_order(sizes, counts, n_free, None)
            visit = 0
        c = ranked[visit % len(ranked)]
        visit += 1
        if n_free[c] == 0:
            continue
        members = order[starts[c]:starts[c + 1]]
        members = members[available[members]]
        if max_cluster_points is not None and len(members) > max_cluster_points:
            members = _cluster_sample(clustering, c, members, max_cluster_points)
        picked = _most_typical(state, members, clustering["neighbours"], c, knn)
        picks.append(picked)
        available[picked] = False
        n_free[c] -= 1
    return np.asarray(picks, dtype=np.int64)


def _visiting_order(sizes: np.ndarray, counts: np.ndarray, n_free: np.ndarray,
                    min_cluster_size: int | None) -> np.ndarray:
    """Clusters with unlabeled points by (labeled count, -size, id); those of at most
    ``min_cluster_size`` points left out while larger ones exist (``None``: none left out)."""
    open_ = n_free > 0
    big = open_ & (sizes > min_cluster_size) if min_cluster_size is not None else open_
    eligible = np.flatnonzero(big if big.any() else open_)
    return eligible[np.lexsort((eligible, -sizes[eligible], counts[eligible]))]


def _cluster_sample(clustering: dict, cluster: int, members: np.ndarray, size: int) -> np.ndarray:
    """The still unlabeled part of the cluster's typicality sample (a new one once it is used up)."""
    sample = clustering["samples"].get(cluster)
    if sample is not None:
        sample = sample[np.isin(sample, members, assume_unique=True)]
    if sample is None or len(sample) == 0:
        rng = np.random.default_rng([clustering["seed"], cluster, len(members)])
        sample = uniform_subset(members, size, rng)
    clustering["samples"][cluster] = sample
    return sample


def _most_typical(state: PoolState, members: np.ndarray, memo: dict, cluster: int, knn: int) -> int:
    """The most typical of ``members`` (ascending pool indices; ties: the lowest index).

    The neighbour lists of each cluster are kept in ``memo``. When points have left the cluster
    since (they were labeled), only the points that had one of them among their neighbours are
    recomputed: everyone else's nearest neighbours are all still there, and no nearer ones can
    have appeared.
    """
    n = len(members)
    if n == 1:
        return int(members[0])
    k = min(knn, n // 2)
    hit = memo.get(cluster)
    if hit is not None and hit[3] == k and np.isin(members, hit[0], assume_unique=True).all():
        old, positions, sq_distances = hit[:3]
        if len(old) > n:
            kept = np.searchsorted(old, members)
            renumber = np.full(len(old), -1)
            renumber[kept] = np.arange(n)
            positions, sq_distances = renumber[positions[kept]], sq_distances[kept]
            stale = np.flatnonzero((positions < 0).any(axis=1))
            if len(stale):
                positions[stale], sq_distances[stale] = nearest_neighbours(_float64_rows(state, members), k, stale)
    else:
        positions, sq_distances = nearest_neighbours(_float64_rows(state, members), k)
    memo[cluster] = (members, positions, sq_distances, k)
    return int(members[np.argmax(_typicality(sq_distances))])


def _float64_rows(state: PoolState, members: np.ndarray) -> np.ndarray:
    return state.normalized_rows(members).astype(np.float64)
