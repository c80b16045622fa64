"""Embedding-space measures, each checked on constructed data with a known answer."""

from __future__ import annotations

import numpy as np
import pytest

from almodules.core.validation import ConfigError
from almodules.study import embedding_measures as em


def gaussian(n=2000, d=16, seed=0):
    return np.random.default_rng(seed).standard_normal((n, d))


def blobs(n_per=200, k=4, d=20, spread=0.3, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, d)) * 5
    X = np.concatenate([c + spread * rng.standard_normal((n_per, d)) for c in centres])
    return X, np.repeat(np.arange(k), n_per)


def test_effective_rank_counts_the_directions_used():
    assert em.effective_rank(gaussian(d=16)) == pytest.approx(16, rel=0.05)
    low = gaussian(d=4) @ np.random.default_rng(1).standard_normal((4, 64))  # rank 4 in 64 dimensions
    assert em.effective_rank(low) == pytest.approx(4, rel=0.15)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_spectral_decay_recovers_a_power_law_exponent(alpha):
    d = 64
    scales = np.arange(1, d + 1) ** (-alpha / 2)  # eigenvalue k is scale_k squared
    X = gaussian(n=20000, d=d, seed=2) * scales
    assert em.spectral_decay(X) == pytest.approx(alpha, abs=0.1)


def test_anisotropy_is_one_for_one_direction_and_near_zero_for_isotropic_data():
    same = np.tile([[1.0, 2.0, 3.0]], (50, 1)) * np.arange(1, 51)[:, None]
    assert em.anisotropy(same) == pytest.approx(1.0)
    assert abs(em.anisotropy(gaussian(d=32))) < 0.01
    U = em._unit(gaussian(n=40, d=5))
    brute = np.mean([U[i] @ U[j] for i in range(40) for j in range(40) if i != j])
    assert em.anisotropy(gaussian(n=40, d=5)) == pytest.approx(brute)


@pytest.mark.parametrize("d", [2, 5])
def test_intrinsic_dimension_of_a_flat_subspace_in_many_dimensions(d):
    rng = np.random.default_rng(3)
    X = rng.uniform(size=(3000, d)) @ np.linalg.qr(rng.standard_normal((50, d)))[0].T
    assert em.intrinsic_dimension(X) == pytest.approx(d, rel=0.15)


def test_intrinsic_dimension_ignores_near_duplicates():
    X = gaussian(n=2000, d=8, seed=4)
    with_copies = np.concatenate([X, X[:400] + 1e-7 * gaussian(n=400, d=8, seed=5)])
    assert em.intrinsic_dimension(with_copies) == pytest.approx(em.intrinsic_dimension(X), rel=0.25)  # not ~0


def test_hubness_grows_with_the_dimension():
    assert em.hubness(gaussian(n=2000, d=100)) > em.hubness(gaussian(n=2000, d=2)) + 0.3


def test_label_free_cluster_silhouette_and_the_label_based_measures_see_separated_classes():
    X, y = blobs()
    noise = gaussian(n=len(X), d=20, seed=5)
    assert em.cluster_silhouette(X, 4) > 0.8 > 0.2 > em.cluster_silhouette(noise, 4)
    assert em.label_silhouette(X, y) > 0.8 and abs(em.label_silhouette(noise, y)) < 0.05
    assert em.fisher_ratio(X, y) > 50 and em.fisher_ratio(noise, y) < 0.05
    assert em.kmeans_nmi(X, y) == pytest.approx(1.0) and em.kmeans_nmi(noise, y) < 0.05
    assert em.logme(X, y) > em.logme(noise, y)


def test_fisher_ratio_equals_its_definition():
    X, y = blobs(n_per=30, k=3, d=4, spread=1.0, seed=7)
    mean = X.mean(0)
    between = sum((y == c).sum() * ((X[y == c].mean(0) - mean) ** 2).sum() for c in range(3))
    within = sum(((X[y == c] - X[y == c].mean(0)) ** 2).sum() for c in range(3))
    assert em.fisher_ratio(X, y) == pytest.approx(between / within)


def test_few_shot_accuracy_is_high_on_separated_classes_and_chance_on_noise():
    X, y = blobs()
    Xt, yt = blobs(n_per=50, seed=0)
    assert em.few_shot_accuracy(X, y, Xt, yt, shots=4, draws=3) > 0.95
    noise, noise_test = gaussian(n=len(X), d=20, seed=8), gaussian(n=len(Xt), d=20, seed=9)
    assert em.few_shot_accuracy(noise, y, noise_test, yt, shots=4, draws=3) < 0.45


def test_sample_knn_accuracy_reads_class_structure_from_a_few_labels():
    X, y = blobs()
    assert em.sample_knn_accuracy(X, y, n_labels=30, draws=3) == 1.0
    noise = gaussian(n=len(X), d=20, seed=8)
    assert em.sample_knn_accuracy(noise, y, n_labels=30, draws=20) < 0.5
    # a draw is a random subset: one label per point at most, the same draws for the same seed
    assert em.sample_knn_accuracy(noise, y, n_labels=30, seed=3) == em.sample_knn_accuracy(noise, y, n_labels=30, seed=3)
    with pytest.raises(ConfigError, match="n_labels must be at most"):
        em.sample_knn_accuracy(X, y, n_labels=len(X) + 1)


def test_measures_refuse_bad_input_by_name():
    with pytest.raises(ConfigError, match="at least 3 rows"):
        em.effective_rank(np.ones((2, 4)))
    with pytest.raises(ConfigError, match="NaN or infinite"):
        em.anisotropy(np.full((5, 2), np.nan))
    with pytest.raises(ConfigError, match="one entry per row"):
        em.fisher_ratio(gaussian(n=10), np.zeros(9))
    with pytest.raises(ConfigError, match="at least two classes"):
        em.kmeans_nmi(gaussian(n=10), np.zeros(10))
    with pytest.raises(ConfigError, match="n_clusters must be >= 2"):
        em.cluster_silhouette(gaussian(n=10), 1)


def test_embedding_properties_of_a_cell_are_computed_once_and_cached(blob_registry, tmp_path, monkeypatch):
    from engine_fakes import load_blobs

    from almodules.study import properties as ep

    monkeypatch.setenv("ALM_RESULTS_DIR", str(tmp_path))
    monkeypatch.setattr(ep, "registered_fingerprints", lambda d, e: ("data-fp", "emb-fp", 0))
    monkeypatch.setattr(ep, "load_inputs", load_blobs)
    first = ep.embedding_properties("blobs", "gauss", max_points=200)
    measures = list(ep.LABEL_FREE + ep.LABEL_BASED)
    assert set(measures) <= set(first.columns) and len(first) == 1
    assert np.isfinite(first[measures].to_numpy(dtype=float)).all()
    calls = []
    monkeypatch.setattr(ep, "load_inputs", lambda *a, **k: calls.append(a))
    again = ep.embedding_properties("blobs", "gauss", max_points=200)
    assert not calls and again[measures].equals(first[measures])
