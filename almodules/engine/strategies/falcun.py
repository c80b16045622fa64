"""FALCUN (Gilhuber, Hvingelby, Fok and Seidl 2024): uncertainty plus diversity in the space of
class probabilities, each pick drawn in proportion to its relevance.

The algorithm (the paper's Eqs. 1-6), on the probe's class probabilities ``p(x)`` of the unlabeled
points:

1. uncertainty ``u(x) = 1 - (p_1(x) - p_2(x))``, the margin of the two most probable classes;
2. diversity ``d(x)``: before the first pick ``d = u``; after each pick ``q``,
   ``d(x) = min(d(x), |p(x) - p(q)|_1)``, then min-max normalised over the candidates;
3. relevance ``r(x) = (u(x) + d(x)) ** gamma`` (0 for points already picked), and the next pick is
   drawn with probability ``r(x) / sum r``.

This is the same computation as scikit-activeml 1.0.1's ``Falcun``, step for step and in the same
floating-point order, and it draws from the same ``RandomState`` stream that scikit-activeml
derives from its seed, so for the same seed the picks are identical
(``tests/engine/strategies/test_falcun.py``). The difference is cost: scikit-activeml re-validates its inputs,
allocates a ``b x N`` utility matrix and several ``N``-sized temporaries per pick; here every
``N``-sized array is allocated once and updated in place.
"""

from __future__ import annotations

import numpy as np

from almodules.engine.strategies.base import PoolState
from almodules.engine.strategies.sampling import draw_seed

__all__ = ["falcun"]


def falcun(state: PoolState, b: int, rng: np.random.Generator, *, gamma: float = 10.0) -> np.ndarray:
    """Select ``b`` points by relevance-proportional sampling on uncertainty plus diversity.

    Parameters
    ----------
    state : PoolState
        Needs ``proba``.
    b : int
    rng : numpy.random.Generator
        One draw seeds the sampling (as scikit-activeml's ``random_state``).
    gamma : float, default=10
        Sharpness of the relevance-proportional sampling (0 = uniform).

    Returns
    -------
    ndarray of int64, shape (b,)
        In the order drawn.
    """
    seed = draw_seed(rng)
    unlabeled = state.unlabeled_indices()
    P = np.asarray(state.proba[unlabeled], dtype=np.float64)
    sampler = _skactiveml_stream(seed, len(unlabeled))
    top2 = -(np.partition(-P, 1, axis=1)[:, :2])
    uncertainty = 1 - np.abs(top2[:, 0] - top2[:, 1])
    diversity = uncertainty.copy()
    gap = np.empty_like(P)
    distance = np.empty(len(P))
    relevance = np.empty(len(P))
    cdf = np.empty(len(P))
    picks: list[int] = []
    for i in range(b):
        if i > 0:
            np.subtract(P, P[picks[-1]], out=gap)
            np.abs(gap, out=gap)
            gap.sum(axis=1, out=distance)
            np.minimum(distance, diversity, out=diversity)
            low = diversity.min()
            spread = diversity.max() - low
            diversity -= low
            if spread > 0:
                diversity /= spread
        np.add(uncertainty, diversity, out=relevance)
        np.power(relevance, gamma, out=relevance)
        relevance[picks] = 0
        if np.sum(relevance) == 0:
            relevance.fill(1.0)
            relevance[picks] = 0
        relevance /= np.sum(relevance)
        # RandomState.choice(n, p=relevance) with the same draw: cdf, normalise, search.
        np.cumsum(relevance, out=cdf)
        cdf /= cdf[-1]
        picks.append(int(cdf.searchsorted(sampler.random_sample((1,)), side="right")[0]))
    return unlabeled[np.asarray(picks, dtype=np.int64)]


def _skactiveml_stream(seed: int, n_unlabeled: int) -> np.random.RandomState:
    """The ``RandomState`` scikit-activeml's query derives from ``random_state=seed``."""
    first = np.random.RandomState(seed).randint(1, 2**31)
    return np.random.RandomState((int(first) * (n_unlabeled + 1)) % 2**31)
