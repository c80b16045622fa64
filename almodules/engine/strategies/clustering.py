"""k-means helpers shared by the clustering-based strategies (TypiClust, DropQuery, TYROGUE,
k-means IPS, ProbCover's pseudo-labels)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import KMeans, MiniBatchKMeans

from almodules.engine.strategies.base import PoolState
from almodules.engine.strategies.distances import chunk_rows, sq_dists, sq_norms
from almodules.engine.strategies.sampling import uniform_subset

__all__ = ["REPRESENTATIVE_RULES", "fit_kmeans", "kmeans_plusplus", "lloyd_kmeans", "nearest_distinct",
           "nearest_members", "nearest_centre", "kmeans_representatives"]

REPRESENTATIVE_RULES: tuple[str, ...] = ("member", "distinct")
"""How a k-means centre is turned into a point to label: ``"member"``, the point of its own cluster
nearest to it (the DropQuery authors' ``cluster_features``); ``"distinct"``, the nearest point of
any cluster not already taken by a centre served before it (:func:`nearest_distinct`)."""


SEEDINGS: tuple[str, ...] = ("greedy", "plain")
"""k-means++ variants: ``"greedy"`` (scikit-learn's, the best of ``2 + ln k`` draws per centre) and
``"plain"`` (Arthur and Vassilvitskii's, one draw per centre)."""


def kmeans_plusplus(X: np.ndarray, k: int, rng: np.random.Generator, *, seeding: str = "greedy") -> np.ndarray:
    """k-means++ seeding in float32: greedy (scikit-learn's algorithm, ``2 + ln k`` trials per centre)
    or plain (one trial per centre: each centre drawn with probability proportional to D²).

    scikit-learn computes the same seeding through ``euclidean_distances``, which upcasts float32
    rows to float64 block by block; on 768-d embeddings that is most of a k-means fit.
    """
    n = X.shape[0]
    trials = 2 + int(np.log(k)) if seeding == "greedy" else 1
    norms = sq_norms(X)
    chosen = [int(rng.integers(n))]
    closest = sq_dists(X[chosen], X, norms[chosen], norms)[0].astype(np.float64)
    potential = closest.sum()
    for _ in range(1, k):
        draws = rng.uniform(size=trials) * potential
        candidates = np.minimum(np.searchsorted(np.cumsum(closest), draws), n - 1)
        d = sq_dists(X[candidates], X, norms[candidates], norms)
        np.minimum(d, closest, out=d)
        potentials = d.sum(axis=1, dtype=np.float64)
        best = int(np.argmin(potentials))
        closest, potential = d[best].astype(np.float64), potentials[best]
        chosen.append(int(candidates[best]))
    return X[chosen]


def fit_kmeans(X: np.ndarray, k: int, seed: int, *, minibatch_above: int = 50,
               batch_size: int = 4096, max_steps: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Cluster ``X`` into ``k`` groups; MiniBatchKMeans above ``minibatch_above`` clusters.

    Seeded by :func:`kmeans_plusplus` (as scikit-learn would, on ``3 * batch_size`` random rows
    for MiniBatchKMeans), then refined by scikit-learn. MiniBatchKMeans keeps scikit-learn's
    100 epochs and early stop, except that its epochs are cut so that it makes at most about
    ``max_steps`` mini-batch steps: on 10k rows that bound is never reached (244 steps at most),
    on a 100k x 4096 sample with 500 clusters the uncut fit ran for over 20 minutes.

    Returns
    -------
    labels : ndarray of shape (n,), int
    centres : ndarray of shape (k, d), float32
    """
    k = int(min(k, X.shape[0]))
    rng = np.random.default_rng(seed)
    if k > minibatch_above:
        batch_size = max(batch_size, 3 * k)
        rows = uniform_subset(X.shape[0], 3 * batch_size, rng)
        init = kmeans_plusplus(X[rows], k, rng)
        epochs = min(100, -(-max_steps * batch_size // X.shape[0]))
        model = MiniBatchKMeans(n_clusters=k, init=init, random_state=seed, batch_size=batch_size, n_init=1,
                                max_iter=epochs)
    else:
        init = kmeans_plusplus(X, k, rng)
        model = KMeans(n_clusters=k, init=init, random_state=seed, n_init=1)
    labels = model.fit_predict(X)
    return labels.astype(np.int64), model.cluster_centers_.astype(np.float32)


def lloyd_kmeans(X: np.ndarray, k: int, seed: int, *, fit_rows: int = 10_000, seed_rows: int = 3072,
                 max_iter: int = 10, seeding: str = "greedy") -> np.ndarray:
    """Centres of a k-means with ``k`` clusters: k-means++ seeding, then full-batch Lloyd steps.

    The clustering behind the strategies that only need one representative per centre (TYROGUE,
    DropQuery, the k-means initial pool). It is fitted on a uniform sample of
    ``max(fit_rows, 50 * k)`` rows (all rows when there are fewer), seeded by greedy k-means++ on
    ``max(seed_rows, 3 * k)`` of those (scikit-learn's ``init_size`` rule for MiniBatchKMeans with
    its default batch of 1,024; ``seeding="plain"``: one draw per centre), then refined by at most
    ``max_iter`` Lloyd iterations, stopping
    as soon as no assignment changes. An empty cluster keeps its previous centre.

    On 768-d embeddings this reaches the objective of scikit-learn's MiniBatchKMeans (batch 4,096,
    run to its own early stop) or a lower one, about 10x sooner: that MiniBatchKMeans spends
    hundreds of 4,096-row steps, and its seeding sample no longer fits in cache
    (``benchmarks/strategies.py``).

    Returns
    -------
    ndarray of shape (min(k, n), d), float32
    """
    k = int(min(k, X.shape[0]))
    rng = np.random.default_rng(seed)
    fit = uniform_subset(X.shape[0], max(fit_rows, 50 * k), rng)
    Xf = np.asarray(X[fit], dtype=np.float32)
    centres = kmeans_plusplus(Xf[uniform_subset(len(Xf), max(seed_rows, 3 * k), rng)], k, rng, seeding=seeding)
    centres = np.array(centres, dtype=np.float32)
    labels = None
    for _ in range(max_iter):
        new = _nearest_rows(Xf, centres)
        if labels is not None and np.array_equal(new, labels):
            break
        labels = new
        counts = np.bincount(labels, minlength=k)
        members = sp.csr_matrix((np.ones(len(Xf), dtype=np.float32), (labels, np.arange(len(Xf)))),
                                shape=(k, len(Xf)))
        filled = counts > 0
        centres[filled] = np.asarray(members @ Xf)[filled] / counts[filled, None].astype(np.float32)
    return centres


def _nearest_rows(X: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest centre for each row (``|c|^2 - 2 x.c``; ``|x|^2`` does not change it)."""
    c_norms = sq_norms(centres).astype(np.float32)
    labels = np.empty(X.shape[0], dtype=np.int64)
    step = chunk_rows(X.shape[0], len(centres), 64 << 20)
    for start in range(0, X.shape[0], step):
        d = X[start:start + step] @ centres.T
        d *= -2.0
        d += c_norms
        labels[start:start + step] = d.argmin(axis=1)
    return labels


def nearest_distinct(X: np.ndarray, centres: np.ndarray, candidates: np.ndarray | None = None) -> np.ndarray:
    """For each centre, the index of its nearest row of ``X`` not already taken by another centre.

    Centres are served in order of how close their nearest point is; a centre whose nearest point
    was taken gets its next nearest one (refill without replacement), so the result has
    ``min(len(centres), len(candidates))`` distinct indices.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    centres : ndarray of shape (k, d)
    candidates : ndarray of int, optional
        Row indices of ``X`` allowed to be picked (all rows when omitted).
    """
    if candidates is None:
        candidates, Xc = np.arange(X.shape[0]), X
    else:
        candidates = np.asarray(candidates)
        Xc = X[candidates]
    k = min(len(centres), len(candidates))
    # Rank a few nearest candidates per centre once; collisions rarely go deeper than that.
    depth = min(len(candidates), 16)
    order = np.empty((len(centres), depth), dtype=np.int64)
    dist = np.empty((len(centres), depth))
    xn = sq_norms(Xc)
    cn = sq_norms(centres)
    step = chunk_rows(len(centres), len(candidates))
    for s in range(0, len(centres), step):
        d = sq_dists(centres[s:s + step], Xc, cn[s:s + step], xn)
        part = np.argpartition(d, depth - 1, axis=1)[:, :depth] if depth < d.shape[1] else \
            np.tile(np.arange(d.shape[1]), (d.shape[0], 1))
        pd = np.take_along_axis(d, part, axis=1)
        o = np.argsort(pd, axis=1, kind="stable")
        order[s:s + step] = np.take_along_axis(part, o, axis=1)
        dist[s:s + step] = np.take_along_axis(pd, o, axis=1)
    taken = np.zeros(len(candidates), dtype=bool)
    picks: list[int] = []
    pointer = np.zeros(len(centres), dtype=np.int64)
    for c in np.argsort(dist[:, 0], kind="stable"):
        if len(picks) == k:
            break
        while pointer[c] < depth and taken[order[c, pointer[c]]]:
            pointer[c] += 1
        if pointer[c] < depth:
            j = order[c, pointer[c]]
        else:  # every ranked alternative is taken: fall back to the nearest free candidate
            free = np.flatnonzero(~taken)
            j = free[np.argmin(sq_dists(centres[c:c + 1], Xc[free], cn[c:c + 1], xn[free])[0])]
        taken[j] = True
        picks.append(int(j))
    return candidates[np.asarray(picks, dtype=np.int64)]


def nearest_centre(rows_of: Callable[[slice], np.ndarray], n: int, centres: np.ndarray,
                   step: int) -> np.ndarray:
    """Index of the nearest of ``centres`` for each of ``n`` rows, ``step`` rows at a time.

    Parameters
    ----------
    rows_of : callable
        ``rows_of(slice)`` returns those rows (normalised on the fly, say), so that all ``n`` never
        exist at once.
    n : int
        Number of rows.
    centres : ndarray of shape (k, d)
    step : int
        Rows per block. The block height is part of the result: a matrix product's last bits
        depend on it, so a caller keeps its own to keep its picks.

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    labels = np.empty(n, dtype=np.int64)
    c_norms = sq_norms(centres)
    for start in range(0, n, step):
        labels[start:start + step] = sq_dists(rows_of(slice(start, start + step)), centres,
                                              None, c_norms).argmin(axis=1)
    return labels


def nearest_members(X: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """For each centre, the index of the nearest row of ``X`` among the rows assigned to it.

    Every row is assigned to its nearest centre; each cluster is represented by its member closest
    to the centre (the DropQuery authors' rule), so the picks are distinct by construction. A centre
    left without members (possible when the centres were fitted on a sample) takes the nearest row
    not yet taken.

    Returns
    -------
    ndarray of int64
        ``min(len(centres), n)`` distinct row indices, ordered by how close each is to its centre
        (ties: the lower centre index).
    """
    k = len(centres)
    labels = _nearest_rows(X, centres)
    c_norms = sq_norms(centres)
    x_norms = sq_norms(X)
    dist = x_norms - 2.0 * np.einsum("ij,ij->i", X, centres[labels], dtype=np.float64) + c_norms[labels]
    order = np.lexsort((np.arange(len(X)), dist, labels))  # by cluster, then distance, then row
    first = np.ones(len(order), dtype=bool)
    first[1:] = labels[order[1:]] != labels[order[:-1]]
    rows = order[first]
    owners = labels[rows]
    picks = np.full(k, -1, dtype=np.int64)
    picks[owners] = rows
    best = np.full(k, np.inf)
    best[owners] = dist[rows]
    taken = np.zeros(len(X), dtype=bool)
    taken[rows] = True
    for c in np.flatnonzero(picks < 0):  # rare: a loop is clearer than batching
        free = np.flatnonzero(~taken)
        if len(free) == 0:
            break
        d = ((X[free].astype(np.float64) - centres[c]) ** 2).sum(axis=1)
        j = free[np.argmin(d)]
        picks[c], best[c], taken[j] = j, d.min(), True
    served = np.flatnonzero(picks >= 0)
    return picks[served[np.lexsort((served, best[served]))]]


def kmeans_representatives(state: PoolState, rows: np.ndarray, k: int, seed: int, *,
                           representative: str = "member", max_iter: int = 100, seeding: str = "greedy") -> np.ndarray:
    """k-means with ``k`` clusters (:func:`lloyd_kmeans`, at most ``max_iter`` Lloyd steps, k-means++
    ``seeding`` of :data:`SEEDINGS`) on the
    L2-normalised pool rows ``rows``, and one row per centre by ``representative`` (one of
    :data:`REPRESENTATIVE_RULES`).

    Returns
    -------
    ndarray of int64
        ``min(k, len(rows))`` distinct pool indices taken from ``rows``, ordered by how close each
        is to its centre.
    """
    Xr = state.normalized_rows(rows)
    centres = lloyd_kmeans(Xr, k, seed, max_iter=max_iter, seeding=seeding)
    pick = nearest_members if representative == "member" else nearest_distinct
    return rows[pick(Xr, centres)]
