"""BADGE: k-means++ seeding on gradient embeddings (Ash et al. 2020).

For an unlabeled point with probe probabilities ``p`` and pseudo-label ``yhat = argmax p``, the
gradient of the cross-entropy loss with respect to the probe's weights is ``g = (p - e_yhat) ⊗ x``.
Like the authors' code, which embeds the output layer's weights and not its bias, ``x`` is the
embedding itself (no appended 1).

The ``C·D``-dimensional ``g`` is never formed. With ``a = p - e_yhat``,

    ||g_i - g_j||^2 = ||a_i||^2 ||x_i||^2 + ||a_j||^2 ||x_j||^2 - 2 <a_i, a_j> <x_i, x_j>,

evaluated in float64 on row chunks (:func:`gradient_sq_dists`).

Seeding follows the reference implementation: the first centre is the point with the largest
gradient norm (lowest index on ties); each next centre is drawn with probability proportional to
its squared distance ``D^2`` to the nearest centre chosen so far. Only chosen points are centres
(scikit-activeml 1.0.1 also keeps the origin as one). A chosen point has ``D^2 = 0`` and is never
drawn again; when every remaining ``D^2`` is zero (all points coincide with centres, or a probe
with one labeled class makes every gradient zero), the next centre is drawn uniformly from the
remaining points.

Sampling is exact but lazy: ``D^2`` against the centres seen so far is an upper bound ``u`` on the
true ``D^2``, so a point drawn proportionally to ``u`` and accepted with probability ``D^2 / u`` is
a draw proportional to ``D^2`` (rejection sampling). Only drawn points are brought up to date, so a
pick costs a few distance evaluations instead of a pass over the pool; if a pick keeps being
rejected, every bound is brought up to date at once.
"""

from __future__ import annotations

import numpy as np

from almodules.engine.strategies.base import PoolState
from almodules.engine.strategies.distances import chunk_rows, sq_norms

__all__ = ["badge", "gradient_sq_dists"]

_DRAWS = 16
"""Proposals drawn per rejection-sampling round."""

_MAX_ROUNDS = 8
"""Rounds without an accepted proposal before every bound is brought up to date."""

_ZERO = 1e-12
"""Relative size below which a squared distance is float64 rounding of identical gradients."""


def gradient_sq_dists(X: np.ndarray, A: np.ndarray, centres: np.ndarray,
                      rows: np.ndarray | None = None) -> np.ndarray:
    """Squared distances between gradient embeddings ``(p - e_yhat) ⊗ x``, without forming them.

    Parameters
    ----------
    X : ndarray of shape (N, D)
        The pool's embeddings.
    A : ndarray of shape (N, C)
        ``p - e_yhat`` of each pool point.
    centres : ndarray of int, shape (k,)
        Pool indices of the centres.
    rows : ndarray of int, optional
        Pool indices of the points to measure; all of them (read in slices, no copy) when omitted.

    Returns
    -------
    ndarray of shape (len(rows), k), float64
        ``||g_i - g_c||^2``; zero where it is float64 rounding of identical gradients.
    """
    Xc = X[centres].astype(np.float64)
    Ac = A[centres]
    gc = sq_norms(Ac) * sq_norms(Xc)
    n = X.shape[0] if rows is None else len(rows)
    out = np.empty((n, len(centres)))
    # Small float64 blocks: they stay in cache, so the upcast costs little next to the product.
    step = min(256, chunk_rows(n, X.shape[1] + len(centres)))
    for s in range(0, n, step):
        part = slice(s, s + step) if rows is None else rows[s:s + step]
        Xs = X[part].astype(np.float64)
        As = A[part]
        scale = (sq_norms(As) * sq_norms(Xs))[:, None] + gc[None, :]
        d = scale - 2.0 * (As @ Ac.T) * (Xs @ Xc.T)
        d[d <= _ZERO * scale] = 0.0
        out[s:s + step] = d
    return out


class _Seeding:
    """k-means++ state over the pool: centres so far and lazy bounds on ``D^2``.

    Labeled points take part as if already chosen: their bound is 0, so they are never drawn.
    """

    def __init__(self, X: np.ndarray, A: np.ndarray, labeled: np.ndarray, first: int):
        self.X, self.A = X, A
        self.centres = [first]
        self.chosen = labeled.copy()
        self.chosen[first] = True
        self.bound = gradient_sq_dists(X, A, np.array([first]))[:, 0]  # min of D^2 over centres[:version]
        self.bound[self.chosen] = 0.0
        self.version = np.ones(len(self.bound), dtype=np.int64)

    def refresh(self, points: np.ndarray | None = None) -> None:
        """Bring the bounds of ``points`` (all when omitted) up to date with every centre."""
        start = int(self.version.min() if points is None else self.version[points].min())
        if start == len(self.centres):
            return
        # Re-applying a centre a point already saw is harmless: the minimum does not change.
        d = gradient_sq_dists(self.X, self.A, np.asarray(self.centres[start:]), points).min(axis=1)
        where = slice(None) if points is None else points
        self.bound[where] = np.minimum(self.bound[where], d)
        self.bound[self.chosen] = 0.0
        self.version[where] = len(self.centres)

    def add(self, point: int) -> None:
        self.centres.append(point)
        self.chosen[point] = True
        self.bound[point] = 0.0

    def draw(self, rng: np.random.Generator) -> int:
        """One point drawn with probability proportional to its up-to-date ``D^2``."""
        for _ in range(_MAX_ROUNDS):
            cdf = np.cumsum(self.bound)
            if cdf[-1] <= 0.0:
                break
            proposals = np.searchsorted(cdf, rng.random(_DRAWS) * cdf[-1], side="right")
            proposals = np.minimum(proposals, len(cdf) - 1)
            proposed_bound = self.bound[proposals]
            accept = rng.random(_DRAWS)
            self.refresh(np.unique(proposals))
            hits = np.flatnonzero(accept * proposed_bound < self.bound[proposals])
            if len(hits):
                return int(proposals[hits[0]])
        self.refresh()
        total = self.bound.sum()
        if total <= 0.0:
            return int(rng.choice(np.flatnonzero(~self.chosen)))
        return int(rng.choice(len(self.bound), p=self.bound / total))


def badge(state: PoolState, b: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding on the probe's gradient embeddings of the unlabeled points.

    Parameters
    ----------
    state : PoolState
        Needs ``state.proba``.
    b : int
        Batch size, ``1 <= b < #unlabeled``.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of int64
        Pool indices in the order they were chosen as centres.
    """
    A = state.proba.astype(np.float64)
    A[np.arange(len(A)), A.argmax(axis=1)] -= 1.0
    x_norms = state.squared_norms()
    g_norms = np.where(state.labeled, -1.0, sq_norms(A) * x_norms)
    seeding = _Seeding(state.X, A, state.labeled, first=int(np.argmax(g_norms)))
    while len(seeding.centres) < b:
        seeding.add(seeding.draw(rng))
    return np.asarray(seeding.centres, dtype=np.int64)
