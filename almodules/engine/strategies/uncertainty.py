"""Uncertainty sampling on the probe's class probabilities: margin, entropy, least confident.

Scores are computed for the unlabeled points only and the top ``b`` are taken with
``argpartition`` (O(N)), then ordered by score. Ties are broken by pool index so a seed is not
even needed; the rankings equal scikit-activeml's ``UncertaintySampling`` wherever it has no ties.
"""

from __future__ import annotations

import numpy as np

from almodules.engine.strategies.base import PoolState

__all__ = ["margin", "entropy", "least_confident", "uncertainty_scores", "top_b"]


def uncertainty_scores(proba: np.ndarray, method: str) -> np.ndarray:
    """Higher means more uncertain. ``method`` is ``"margin"``, ``"entropy"`` or ``"least-confident"``."""
    if method == "margin":
        top2 = np.partition(proba, proba.shape[1] - 2, axis=1)[:, -2:]
        return -(top2[:, 1] - top2[:, 0])
    if method == "entropy":
        with np.errstate(divide="ignore", invalid="ignore"):
            plogp = np.where(proba > 0, proba * np.log(proba), 0.0)
        return -plogp.sum(axis=1)
    if method == "least-confident":
        return 1.0 - proba.max(axis=1)
    raise ValueError(f"unknown uncertainty method {method!r}; allowed values: entropy, least-confident, margin")


def top_b(scores: np.ndarray, candidates: np.ndarray, b: int) -> np.ndarray:
    """The ``b`` candidates with the highest scores, best first, ties broken by lower index."""
    if b < len(candidates):
        # Keep every candidate tied with the b-th score so the tie-break below sees all of them.
        kth = np.partition(scores, len(scores) - b)[len(scores) - b]
        keep = np.flatnonzero(scores >= kth)
        scores, candidates = scores[keep], candidates[keep]
    order = np.lexsort((candidates, -scores))
    return candidates[order[:b]]


def _select(state: PoolState, b: int, method: str) -> np.ndarray:
    candidates = state.unlabeled_indices()
    return top_b(uncertainty_scores(state.proba[candidates], method), candidates, b)


def margin(state: PoolState, b: int, rng: np.random.Generator) -> np.ndarray:
    """Smallest gap between the two most probable classes (Scheffer et al. 2001)."""
    return _select(state, b, "margin")


def entropy(state: PoolState, b: int, rng: np.random.Generator) -> np.ndarray:
    """Highest predictive entropy (Shannon 1948; Settles 2009)."""
    return _select(state, b, "entropy")


def least_confident(state: PoolState, b: int, rng: np.random.Generator) -> np.ndarray:
    """Lowest probability of the predicted class (Lewis and Gale 1994)."""
    return _select(state, b, "least-confident")
