"""Random draws the strategies share: seeds for the libraries they call, and uniform row samples.

Both read a ``numpy.random.Generator`` handed in by the caller, never a global one, so the same
seed gives the same picks.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SEED_BOUND", "draw_seed", "uniform_subset"]

SEED_BOUND = 2**31 - 1
"""Exclusive upper bound of :func:`draw_seed`: scikit-learn accepts ``random_state`` below 2**32."""


def draw_seed(rng: np.random.Generator) -> int:
    """One draw from ``rng`` to seed k-means or a scikit-activeml strategy."""
    return int(rng.integers(SEED_BOUND))


def uniform_subset(population: int | np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` elements of ``population`` drawn uniformly without replacement, ascending.

    Parameters
    ----------
    population : int or ndarray
        ``n`` for ``range(n)``, or the array to draw from.
    size : int
        How many to draw; when the population has at most ``size`` elements it is returned
        whole (``np.arange(n)`` for an int) and ``rng`` is not drawn from.
    rng : numpy.random.Generator
    """
    n = population if isinstance(population, (int, np.integer)) else len(population)
    if n <= size:
        return np.arange(n) if isinstance(population, (int, np.integer)) else population
    return np.sort(rng.choice(population, size=size, replace=False))
