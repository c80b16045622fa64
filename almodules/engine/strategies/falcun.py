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
``N``-sized array is allocated once and updated in place, and the L1 distances are summed over the
classes on a class-major copy of the probabilities in numpy's own pairwise order
(:func:`class_sums`): the same bits as ``sum(axis=1)``, which on a few classes spends most of a pick
on per-row overhead.
"""

from __future__ import annotations

import numpy as np

from almodules.engine.strategies.base import PoolState
from almodules.engine.strategies.sampling import draw_seed

__all__ = ["falcun", "class_sums"]


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
    by_class = np.ascontiguousarray(P.T)
    gap = np.empty_like(by_class)
    relevance = np.empty(len(P))
    cdf = np.empty(len(P))
    picks: list[int] = []
    for i in range(b):
        if i > 0:
            np.subtract(by_class, by_class[:, picks[-1], None], out=gap)
            np.abs(gap, out=gap)
            np.minimum(class_sums(gap), diversity, out=diversity)
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


def class_sums(rows: np.ndarray) -> np.ndarray:
    """Column sums of a ``(C, N)`` array, bit for bit ``rows.T.sum(axis=1)``, computed in ``rows``.

    numpy sums a contiguous run of ``C`` numbers pairwise: fewer than 8 in order; up to 128 in
    eight interleaved partial sums combined as ``((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))``, then the
    remainder in order; more, split in two at a multiple of 8 and each half summed so. Here each
    "number" is a row of ``N`` values, so every step is one vector operation. ``rows`` is
    overwritten (its first row holds the result, which is returned); its entries must not be
    ``-0.0`` (numpy starts from ``+0.0``), as distances are not. Tested against numpy for every
    ``C`` up to 300.
    """
    n = rows.shape[0]
    if n > 128:
        half = n // 2 - (n // 2) % 8
        left = class_sums(rows[:half])
        left += class_sums(rows[half:])
        return left
    if n < 8:
        for i in range(1, n):
            rows[0] += rows[i]
        return rows[0]
    whole = n - n % 8
    for i in range(8, whole, 8):
        rows[:8] += rows[i:i + 8]
    rows[0] += rows[1]
    rows[2] += rows[3]
    rows[0] += rows[2]
    rows[4] += rows[5]
    rows[6] += rows[7]
    rows[4] += rows[6]
    rows[0] += rows[4]
    for i in range(whole, n):
        rows[0] += rows[i]
    return rows[0]


def _skactiveml_stream(seed: int, n_unlabeled: int) -> np.random.RandomState:
    """The ``RandomState`` scikit-activeml's query derives from ``random_state=seed``."""
    first = np.random.RandomState(seed).randint(1, 2**31)
    return np.random.RandomState((int(first) * (n_unlabeled + 1)) % 2**31)
