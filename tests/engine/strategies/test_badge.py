"""BADGE: factorised gradient distances equal explicit ones; k-means++ seeding."""

from __future__ import annotations

import numpy as np
import pytest
from pools import random_pool
from scipy.spatial.distance import cdist

from almodules.engine.probe import LinearProbe
from almodules.engine.strategies import PoolState, select_batch
from almodules.engine.strategies.badge import badge, gradient_sq_dists


def explicit_gradient_embeddings(proba: np.ndarray, X: np.ndarray) -> np.ndarray:
    A = proba.astype(np.float64).copy()
    A[np.arange(len(A)), A.argmax(axis=1)] -= 1.0
    return (A[:, :, None] * X.astype(np.float64)[:, None, :]).reshape(len(A), -1)


@pytest.mark.parametrize("seed", range(5))
def test_badge_factorised_distances_equal_explicit_gradient_distances(seed):
    rng = np.random.default_rng(seed)
    n, dim, n_classes = 60, int(rng.integers(2, 30)), int(rng.integers(2, 8))
    X = rng.standard_normal((n, dim)).astype(np.float32)
    proba = rng.dirichlet(np.ones(n_classes), size=n)
    X[5], proba[5] = X[4], proba[4]  # identical gradients must be exactly 0 apart
    A = proba.copy()
    A[np.arange(n), proba.argmax(axis=1)] -= 1.0
    G = explicit_gradient_embeddings(proba, X)
    explicit = cdist(G, G, "sqeuclidean")
    rows = rng.permutation(n)[:40]
    centres = rng.choice(n, size=7, replace=False)
    factorised = gradient_sq_dists(X, A, centres, rows)
    np.testing.assert_allclose(factorised, explicit[np.ix_(rows, centres)], rtol=1e-6,
                               atol=1e-6 * explicit.max())
    np.testing.assert_allclose(gradient_sq_dists(X, A, centres), explicit[:, centres], rtol=1e-6,
                               atol=1e-6 * explicit.max())
    assert gradient_sq_dists(X, A, np.array([4]), np.array([5]))[0, 0] == 0.0


def test_badge_first_centre_has_the_largest_gradient_norm_and_picks_are_distinct():
    state, y = random_pool(300, 6, 20, seed=1)
    probe = LinearProbe(3).fit(state.X[state.labeled], y[state.labeled])
    state.probe, state.proba = probe, probe.predict_proba(state.X)
    picks = select_batch("badge", state, 40, np.random.default_rng(0))
    norms = np.linalg.norm(explicit_gradient_embeddings(state.proba, state.X), axis=1)
    norms[state.labeled] = -1
    assert picks[0] == np.argmax(norms)
    assert len(set(picks.tolist())) == 40 and not state.labeled[picks].any()


def test_badge_has_no_centre_at_the_origin():
    """Zero gradients (certain points) are far from an uncertain centre, not covered by the origin.

    scikit-activeml 1.0.1 keeps ``||g||^2`` (the distance to the origin) in its running minimum,
    so there a certain point is never drawn while any other point has ``D^2 > 0``.
    """
    rng = np.random.default_rng(0)
    dim, n_certain, n_near = 4, 40, 10
    x0 = np.ones(dim, dtype=np.float32)
    X = np.vstack([x0[None, :], x0 + 0.01 * rng.standard_normal((n_near, dim)),
                   rng.standard_normal((n_certain, dim))]).astype(np.float32)
    proba = np.vstack([[[0.5, 0.5]], np.tile([[0.52, 0.48]], (n_near, 1)),
                       np.tile([[1.0, 0.0]], (n_certain, 1))])
    state = PoolState(X, np.zeros(len(X), dtype=bool), np.full(len(X), -1), 2, proba=proba)
    certain = set(range(1 + n_near, len(X)))
    for seed in range(10):
        picks = badge(state, 2, np.random.default_rng(seed))
        assert picks[0] == 0
        assert int(picks[1]) in certain


def test_badge_draws_proportionally_to_squared_distance():
    """Lazy rejection sampling must reproduce plain k-means++ draws: compare second-pick frequencies."""
    X = np.array([[1, 0], [0, 1], [1, 1], [2, 0], [0, 3]], dtype=np.float32)
    proba = np.array([[0.4, 0.6], [0.7, 0.3], [0.5, 0.5], [0.8, 0.2], [0.9, 0.1]])
    state = PoolState(X, np.zeros(5, dtype=bool), np.full(5, -1), 2, proba=proba)
    G = explicit_gradient_embeddings(proba, X)
    first = int(np.argmax((G ** 2).sum(axis=1)))
    d2 = ((G - G[first]) ** 2).sum(axis=1)
    expected = d2 / d2.sum()
    rng = np.random.default_rng(0)
    draws = np.array([badge(state, 2, rng)[1] for _ in range(4000)])
    assert (draws != first).all()
    observed = np.bincount(draws, minlength=5) / len(draws)
    np.testing.assert_allclose(observed, expected, atol=0.025)
