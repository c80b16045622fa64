"""TypiClust: typicality, cluster order, capped clusterings."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from pools import blobs, pool

from almodules.engine.strategies import select_batch
from almodules.engine.strategies.clustering import fit_kmeans
from almodules.engine.strategies.typiclust import typicality, typiclust

typiclust_module = importlib.import_module("almodules.engine.strategies.typiclust")


def brute_typicality(X: np.ndarray, k: int) -> np.ndarray:
    X = X.astype(np.float64)
    D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(D, np.inf)
    return 1.0 / np.sort(D, axis=1)[:, :k].mean(axis=1)


@pytest.mark.parametrize("k", [1, 3, 7])
def test_typicality_equals_brute_force(k):
    X = np.random.default_rng(k).standard_normal((30, 5)).astype(np.float32)
    np.testing.assert_allclose(typicality(X, k), brute_typicality(X, k), rtol=1e-5)


def test_typicality_of_exact_duplicates_is_finite_and_highest():
    X = np.random.default_rng(1).standard_normal((10, 4)).astype(np.float32)
    X[4] = X[7]
    t = typicality(X, 1)
    assert np.isfinite(t).all() and set(np.flatnonzero(t == t.max())) == {4, 7}


def test_typiclust_cold_start_hits_every_blob_before_any_repeats():
    X, y = blobs(6, 30)
    state = pool(X, y, fit_probe=False)
    picks = typiclust(state, 13, np.random.default_rng(0), max_clusters=6)
    assert len(set(picks)) == 13
    assert set(y[picks[:6]]) == set(range(6)) and set(y[picks[6:12]]) == set(range(6))


def test_typiclust_skips_clusters_that_hold_labels():
    X, y = blobs(6, 30)
    state = pool(X, y, labeled_idx=[0, 31], fit_probe=False)  # blobs 0 and 1 are covered
    picks = typiclust(state, 4, np.random.default_rng(0))  # 2 labeled + 4 = 6 clusters
    assert sorted(y[picks]) == [2, 3, 4, 5]


def test_typiclust_visits_the_largest_uncovered_cluster_first():
    X, y = blobs(4, 0, sizes=[20, 60, 40, 30])
    picks = typiclust(pool(X, y, fit_probe=False), 4, np.random.default_rng(0))
    assert list(y[picks]) == [1, 2, 3, 0]


def test_typiclust_skips_tiny_clusters_while_larger_ones_remain():
    X, y = blobs(4, 0, sizes=[40, 40, 40, 4])
    picks = typiclust(pool(X, y, fit_probe=False), 4, np.random.default_rng(0), max_clusters=4)
    assert 3 not in y[picks]
    tiny = blobs(3, 3)  # every cluster is tiny: they are used rather than failing
    picks = typiclust(pool(*tiny, fit_probe=False), 5, np.random.default_rng(0), max_clusters=3)
    assert len(set(picks)) == 5


def test_typiclust_picks_the_most_typical_unlabeled_point_by_brute_force():
    X = np.random.default_rng(3).standard_normal((60, 6)).astype(np.float32)
    y = np.zeros(60, dtype=int)
    labeled = [2, 9, 33]
    state = pool(X, y, labeled, n_classes=2, fit_probe=False)
    # One cluster: every pick is the most typical of the remaining unlabeled points, with
    # neighbours among those points only and k = min(knn, n // 2).
    picks = typiclust(state, 3, np.random.default_rng(0), max_clusters=1, knn=20)
    Xn = state.normalized()
    remaining = [i for i in range(60) if i not in labeled]
    for pick in picks:
        scores = brute_typicality(Xn[remaining], min(20, len(remaining) // 2))
        assert pick == remaining[int(np.argmax(scores))]
        remaining.remove(pick)


def test_typiclust_reuses_a_capped_clustering_and_its_neighbour_lists(monkeypatch):
    X, y = blobs(5, 40)
    calls = []

    def counting_fit(*args, **kwargs):
        calls.append(args[1])
        return fit_kmeans(*args, **kwargs)

    monkeypatch.setattr(typiclust_module, "fit_kmeans", counting_fit)
    state = pool(X, y, fit_probe=False)
    first = typiclust(state, 5, np.random.default_rng(0), max_clusters=5)
    state.labeled[first] = True
    second = typiclust(state, 5, np.random.default_rng(1), max_clusters=5)
    assert calls == [5]  # the capped clustering was fitted once
    # The updated neighbour lists give the same picks as recomputing them from scratch.
    key = next(k for k in state.cache if k[0] == "typiclust")
    fresh = pool(X, y, fit_probe=False)
    fresh.labeled[first] = True
    fresh.cache[key] = {"labels": state.cache[key]["labels"], "neighbours": {}}
    assert list(typiclust(fresh, 5, np.random.default_rng(1), max_clusters=5)) == list(second)


def test_typiclust_on_a_fit_sample_still_assigns_every_point():
    X, y = blobs(5, 60)
    picks = typiclust(pool(X, y, fit_probe=False), 5, np.random.default_rng(0), fit_rows=40)
    assert set(y[picks]) == set(range(5))


def test_typiclust_is_deterministic_for_a_seed():
    X, y = blobs(4, 25, spread=2.0)
    a = select_batch("typiclust", pool(X, y, [0], fit_probe=False), 7, np.random.default_rng(4))
    b = select_batch("typiclust", pool(X, y, [0], fit_probe=False), 7, np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)


def test_typiclust_picks_the_most_typical_point_of_a_giant_clusters_sample():
    X = np.random.default_rng(5).standard_normal((300, 6)).astype(np.float32)
    y = np.zeros(300, dtype=int)
    state = pool(X, y, n_classes=2, fit_probe=False)
    picks = typiclust(state, 3, np.random.default_rng(0), max_clusters=1, max_cluster_points=40)
    clustering = next(v for k, v in state.cache.items() if k[0] == "typiclust")
    remaining = sorted(set(clustering["samples"][0]) | set(picks))  # the sample as first drawn
    assert len(remaining) == 40
    Xn = state.normalized()
    for pick in picks:  # each pick: the most typical point of what is left of the sample
        scores = brute_typicality(Xn[remaining], min(20, len(remaining) // 2))
        assert pick == remaining[int(np.argmax(scores))]
        remaining.remove(pick)
    again = pool(X, y, n_classes=2, fit_probe=False)
    assert list(typiclust(again, 3, np.random.default_rng(0), max_clusters=1, max_cluster_points=40)) == list(picks)


def test_typiclust_draws_a_new_cluster_sample_once_the_old_one_is_labeled():
    X = np.random.default_rng(6).standard_normal((200, 5)).astype(np.float32)
    state = pool(X, np.zeros(200, dtype=int), n_classes=2, fit_probe=False)
    picks = typiclust(state, 12, np.random.default_rng(0), max_clusters=1, max_cluster_points=10)
    assert len(set(picks)) == 12  # ten from the first sample, two from the next


def test_typiclust_is_exact_below_the_cluster_sample_limit():
    X, y = blobs(4, 25, spread=2.0)
    exact = typiclust(pool(X, y, [0], fit_probe=False), 9, np.random.default_rng(2), max_cluster_points=None)
    default = typiclust(pool(X, y, [0], fit_probe=False), 9, np.random.default_rng(2))
    np.testing.assert_array_equal(exact, default)


def test_typiclust_sorts_the_clusters_once_and_goes_round_robin_as_the_authors_do():
    X, y = blobs(4, 0, sizes=[20, 60, 40, 30])
    labeled = [20, 21, 80]  # blob 1 holds two labels, blob 2 one
    picks = typiclust(pool(X, y, labeled_idx=labeled, fit_probe=False), 6, np.random.default_rng(0),
                      max_clusters=4)
    # One sort by (labels, -size): 3, 0, 2, 1, then round again (re-sorting after every pick would
    # give 3, 0, 2, 3, 0, 1).
    assert list(y[picks]) == [3, 0, 2, 1, 3, 0]


def test_typiclust_ranks_near_duplicates_by_float64_typicality():
    rng = np.random.default_rng(11)
    X = (np.ones((60, 16)) + 2e-4 * rng.standard_normal((60, 16))).astype(np.float32)
    state = pool(X, np.zeros(60, dtype=int), fit_probe=False)
    Xn = state.normalized_rows(np.arange(60))
    expected = int(np.argmax(brute_typicality(Xn, 20)))
    assert typiclust(state, 1, np.random.default_rng(0), max_clusters=1)[0] == expected
