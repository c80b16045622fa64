"""CoreSet: greedy k-centre cover of the pool (Sener and Savarese 2018).

Each pick is the unlabeled point farthest from its nearest centre, where the centres are the
labeled points and the points picked so far in the batch; ties go to the lowest pool index.
Distances are Euclidean on the raw embeddings, as in scikit-activeml's ``CoreSet``.

Two things make it scale without changing a single pick:

* **Per-run bounds.** Each point's squared distance to the labeled points is kept in
  ``state.cache`` and only the points labeled since the last call are applied to it.
* **Lazy greedy.** A minimum over *some* of the centres is an upper bound on the minimum over all
  of them. Candidates are visited from the largest bound down; only the visited ones are brought
  up to date, and the first one whose up-to-date distance still beats every other bound is the
  exact farthest point. A new centre changes the distance of few points near the top, so a pick
  costs a handful of distance evaluations instead of a pass over the pool.

With nothing labeled the first pick is drawn uniformly from the pool with ``rng``: scikit-activeml
scores every candidate 0 then and breaks the tie at random; the greedy picks follow from it.
"""

from __future__ import annotations

import heapq

import numpy as np

from almodules.engine.strategies.base import PoolState
from almodules.engine.strategies.distances import chunk_rows, min_sq_dists

__all__ = ["coreset"]

_VISIT_BLOCK = 16
"""Candidates brought up to date together when the walk reaches the unvisited part of the order."""


class _Bounds:
    """Upper bounds on each point's squared distance to a growing list of centres.

    ``bound[i]`` is the minimum over ``centres[:version[i]]``; :meth:`refresh` applies the rest.
    """

    def __init__(self, n: int):
        self.bound = np.full(n, np.inf)
        self.version = np.zeros(n, dtype=np.int64)
        self.centres: list[int] = []

    def refresh(self, X: np.ndarray, x_norms: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Bring ``rows`` up to date; return their exact distances to the nearest centre."""
        start = int(self.version[rows].min()) if len(rows) else len(self.centres)
        if start < len(self.centres):
            # Re-applying a centre a row already saw is harmless: the minimum does not change.
            C = X[self.centres[start:]]
            # Gather rows a chunk at a time: a copy of all rows of a 560k x 4096 pool is 9 GB.
            step = chunk_rows(len(rows), X.shape[1], budget_bytes=64 << 20)
            for s in range(0, len(rows), step):
                part = rows[s:s + step]
                out = self.bound[part]
                min_sq_dists(X[part], C, x_norms[part], out=out)
                self.bound[part] = out
            self.version[rows] = len(self.centres)
        return self.bound[rows]


def _labeled_bounds(state: PoolState, x_norms: np.ndarray) -> _Bounds:
    """The per-run bounds to the labeled points, with the newly labeled points appended as centres."""
    bounds = state.cache.get("coreset/labeled_bounds")
    labeled = state.labeled_indices()
    if bounds is None or not set(bounds.centres) <= set(labeled.tolist()):
        bounds = state.cache["coreset/labeled_bounds"] = _Bounds(state.n_pool)
    known = set(bounds.centres)
    bounds.centres.extend(int(i) for i in labeled if int(i) not in known)
    # Points never measured have an infinite bound and would all be visited anyway: do it in one pass.
    unseen = np.flatnonzero((bounds.version == 0) & ~state.labeled)
    if bounds.centres and len(unseen):
        bounds.refresh(state.X, x_norms, unseen)
    return bounds


def coreset(state: PoolState, b: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy k-centre: ``b`` unlabeled points, each the farthest from every centre so far.

    Parameters
    ----------
    state : PoolState
    b : int
        Batch size, ``1 <= b < #unlabeled``.
    rng : numpy.random.Generator
        Used only when nothing is labeled, for the first pick.

    Returns
    -------
    ndarray of int64
        Pool indices in the order they were picked.
    """
    X = state.X
    x_norms = state.squared_norms()
    labeled = _labeled_bounds(state, x_norms)
    candidates = state.unlabeled_indices()

    picks = _Bounds(state.n_pool)
    if not labeled.centres:
        first = int(rng.choice(candidates))
        picks.centres.append(first)
        candidates = candidates[candidates != first]
        picks.refresh(X, x_norms, candidates)

    def exact(rows: np.ndarray) -> np.ndarray:
        return np.minimum(labeled.refresh(X, x_norms, rows), picks.refresh(X, x_norms, rows))

    # Unvisited candidates in order of their bound (largest first, then lowest index) ...
    bound = np.minimum(labeled.bound[candidates], picks.bound[candidates])
    order = np.lexsort((candidates, -bound))
    unvisited, unvisited_bound = candidates[order], bound[order]
    # ... and visited ones in a heap of (-distance, index, number of picks applied).
    heap: list[tuple[float, int, int]] = []
    pos = 0
    while len(picks.centres) < b:
        top_unvisited = (-unvisited_bound[pos], unvisited[pos]) if pos < len(unvisited) else None
        if heap and (top_unvisited is None or heap[0][:2] < top_unvisited):
            neg_d, i, seen = heapq.heappop(heap)
            if seen == len(picks.centres):
                picks.centres.append(i)  # its distance is exact and no bound beats it
            else:
                d = exact(np.array([i]))[0]
                heapq.heappush(heap, (-d, i, len(picks.centres)))
        else:
            rows = unvisited[pos:pos + _VISIT_BLOCK]
            pos += len(rows)
            n_seen = len(picks.centres)
            for i, d in zip(rows.tolist(), exact(rows).tolist()):
                heapq.heappush(heap, (-d, i, n_seen))
    return np.asarray(picks.centres, dtype=np.int64)
