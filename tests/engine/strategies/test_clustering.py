"""Bounded Lloyd k-means against scikit-learn."""

from __future__ import annotations

import numpy as np

from almodules.engine.strategies.clustering import lloyd_kmeans


def test_lloyd_kmeans_converges_to_a_fixed_point_as_good_as_scikit_learn():
    from sklearn.cluster import KMeans
    from sklearn.datasets import make_blobs
    X, _ = make_blobs(n_samples=1500, centers=12, n_features=16, cluster_std=1.0, random_state=0)
    X = X.astype(np.float32)
    centres = lloyd_kmeans(X, 12, seed=5, max_iter=100)
    labels = ((X[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1)
    # a converged Lloyd solution: every centre is the mean of the points nearest to it
    for c in range(12):
        np.testing.assert_allclose(centres[c], X[labels == c].mean(0), rtol=0, atol=1e-4)
    inertia = ((X - centres[labels]) ** 2).sum()
    reference = KMeans(n_clusters=12, n_init=10, random_state=0).fit(X).inertia_
    assert inertia <= 1.01 * reference
    np.testing.assert_array_equal(lloyd_kmeans(X, 12, seed=5, max_iter=100), centres)  # same seed


def test_lloyd_kmeans_fits_a_sample_of_large_inputs_and_caps_k():
    X = np.random.default_rng(0).standard_normal((400, 4)).astype(np.float32)
    assert lloyd_kmeans(X, 1000, seed=0).shape == (400, 4)
    small = lloyd_kmeans(X, 3, seed=0, fit_rows=10, seed_rows=10, max_iter=3)
    assert small.shape == (3, 4) and np.isfinite(small).all()
