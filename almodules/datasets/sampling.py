"""Seeded, stratified row samples of a labeled split: the pool a run draws, the validation rows."""

from __future__ import annotations

import numpy as np

from almodules.core.validation import ConfigError, check_int

__all__ = ["derived_seed", "subsample_indices"]


def subsample_indices(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Stratified random subsample: ``n`` sorted, distinct row indices of ``labels``.

    Each class gets its proportional share (largest remainders), and at least one row when
    ``n >= #classes``, so every class is kept when possible. Rows within a class are drawn with
    ``numpy.random.default_rng(seed)``; the same labels, ``n`` and seed give the same indices.

    Parameters
    ----------
    labels : array of int, shape (N,)
    n : int
        Sample size, ``0 <= n <= N``.
    seed : int
        Non-negative seed.

    Returns
    -------
    numpy.ndarray of int64, shape (n,), ascending.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ConfigError(f"labels must be 1-D, got shape {labels.shape}")
    n = check_int("n", n, minimum=0, maximum=len(labels))
    seed = check_int("seed", seed, minimum=0)
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    quota = n * counts / max(len(labels), 1)
    alloc = np.floor(quota).astype(np.int64)
    if n >= len(classes):
        alloc = np.maximum(alloc, 1)
    # Settle the rounding one row at a time: add where the quota is most under-served, take where
    # it is most over-served (never below one row); ties go to the lower class index.
    while alloc.sum() < n:
        room = np.where(alloc < counts, quota - alloc, -np.inf)
        alloc[np.argmax(room)] += 1
    while alloc.sum() > n:
        excess = np.where(alloc > 1, alloc - quota, -np.inf)
        alloc[np.argmax(excess)] -= 1
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    order = order[np.argsort(inverse[order], kind="stable")]  # by class, random within a class
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    picked = [order[s:s + a] for s, a in zip(starts, alloc)]
    return np.sort(np.concatenate(picked)).astype(np.int64) if picked else np.zeros(0, np.int64)


def derived_seed(seed: int, stream: int) -> int:
    """A seed of its own for stream ``stream`` of ``seed`` (so two draws of one seed do not coincide)."""
    return int(np.random.SeedSequence([seed, stream]).generate_state(1)[0])
