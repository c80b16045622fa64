"""TypiClust, DropQuery, TYROGUE and the scikit-activeml bridge (FALCUN, CAL, reference runs)."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from almodules.probe import LinearProbe
from almodules.strategies import PoolState, select_batch
from almodules.strategies import skactiveml_bridge
from almodules.strategies.distances import sq_dists
from almodules.strategies.clustering import fit_kmeans, lloyd_kmeans, nearest_distinct
from almodules.strategies.sampling import uniform_subset
from almodules.strategies.dropquery import (
    disagreement_candidates, dropout_disagreements, dropout_inputs, dropout_mask, dropquery,
)
from almodules.strategies.contrastive import contrastive, nearest_rows
from almodules.strategies.skactiveml_bridge import REFERENCE_STRATEGIES, reference_select
from almodules.strategies.typiclust import typicality, typiclust
from almodules.strategies.tyrogue import tyrogue
from almodules.strategies.uncertainty import uncertainty_scores

SEED_BOUND = 2**31 - 1
# The package re-exports the function under the module's name.
typiclust_module = importlib.import_module("almodules.strategies.typiclust")
contrastive_module = importlib.import_module("almodules.strategies.contrastive")


def blobs(n_blobs: int, per_blob: int, dim: int = 12, spread: float = 0.3, seed: int = 0,
          sizes: list[int] | None = None):
    """Blobs around scaled basis vectors: far apart in angle, so also after L2 normalisation."""
    rng = np.random.default_rng(seed)
    sizes = sizes or [per_blob] * n_blobs
    X = np.concatenate([10.0 * np.eye(dim)[i] + spread * rng.standard_normal((s, dim))
                        for i, s in enumerate(sizes)]).astype(np.float32)
    y = np.repeat(np.arange(len(sizes)), sizes)
    return X, y


def pool(X, y, labeled_idx=(), n_classes=None, fit_probe=True) -> PoolState:
    n_classes = n_classes or int(y.max()) + 1
    labeled = np.zeros(len(X), dtype=bool)
    labeled[list(labeled_idx)] = True
    probe = proba = None
    if fit_probe and labeled.any():
        probe = LinearProbe(n_classes).fit(X[labeled], y[labeled])
        proba = probe.predict_proba(X)
    return PoolState(X, labeled, np.where(labeled, y, -1), n_classes, probe, proba)


def noisy_pool(n=400, dim=16, n_classes=4, n_labeled=40, seed=0) -> PoolState:
    """Overlapping classes, so the probe is unsure about many points."""
    rng = np.random.default_rng(seed)
    y = rng.integers(n_classes, size=n)
    X = (rng.standard_normal((n, dim)) + 0.8 * np.eye(dim)[y]).astype(np.float32)
    labeled = rng.choice(n, size=n_labeled, replace=False)
    return pool(X, y, labeled, n_classes)


# ----------------------------------------------------------------------------------- TypiClust

def brute_typicality(X: np.ndarray, k: int) -> np.ndarray:
    X = X.astype(np.float64)
    D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(D, np.inf)
    return 1.0 / np.sort(D, axis=1)[:, :k].mean(axis=1)


@pytest.mark.parametrize("rows", [1, 5, 16, 17, 40])
def test_sq_dists_equal_brute_force_for_few_and_many_rows(rows):
    rng = np.random.default_rng(rows)
    A, B = rng.standard_normal((rows, 24)).astype(np.float32), rng.standard_normal((300, 24)).astype(np.float32)
    expected = ((A.astype(np.float64)[:, None, :] - B[None]) ** 2).sum(-1)
    d = sq_dists(A, B)
    assert d.flags.c_contiguous and d.dtype == np.float32
    np.testing.assert_allclose(d, expected, rtol=1e-5, atol=1e-4)


def test_normalized_rows_equal_the_cached_normalised_pool_bit_for_bit():
    X = np.random.default_rng(0).standard_normal((50, 7)).astype(np.float32)
    X[8] = 0.0  # a zero row stays zero
    state = pool(X, np.zeros(50, dtype=int), fit_probe=False, n_classes=2)
    rows = np.array([3, 0, 41, 17])
    fresh = state.normalized_rows(rows)
    assert "X_l2" not in state.cache  # computed without normalising the whole pool
    whole = state.normalized()
    np.testing.assert_array_equal(
        whole, (X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), np.finfo(np.float32).tiny)))
    assert whole.dtype == np.float32 and not whole[8].any()
    np.testing.assert_array_equal(fresh, whole[rows])
    np.testing.assert_array_equal(state.normalized_rows(rows), fresh)  # now sliced from the cache
    fresh_state = pool(X, np.zeros(50, dtype=int), fit_probe=False, n_classes=2)
    np.testing.assert_array_equal(fresh_state.normalized_rows(slice(5, 9)), whole[5:9])
    np.testing.assert_array_equal(fresh_state.X, X)  # the pool itself is never normalised in place


def test_uniform_subset_is_sorted_and_draws_nothing_when_the_population_fits():
    rng = np.random.default_rng(0)
    population = np.arange(10, 40)
    sample = uniform_subset(population, 12, rng)
    assert len(set(sample)) == 12 and set(sample) <= set(population) and (np.diff(sample) > 0).all()
    replay = np.random.default_rng(0).choice(population, 12, replace=False)
    np.testing.assert_array_equal(sample, np.sort(replay))
    before = rng.bit_generator.state
    assert uniform_subset(population, 30, rng) is population
    np.testing.assert_array_equal(uniform_subset(7, 7, rng), np.arange(7))
    assert rng.bit_generator.state == before


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


# ----------------------------------------------------------------------------------- DropQuery

def test_dropout_inputs_zero_with_rate_p_and_rescale_the_rest():
    X = np.random.default_rng(0).uniform(1, 2, size=(400, 500)).astype(np.float32)
    out = dropout_inputs(X, 0.75, np.random.default_rng(1))
    kept = out != 0
    np.testing.assert_array_equal(out[kept], X[kept] * np.float32(4.0))
    assert abs(1 - kept.mean() - 0.75) < 0.005
    assert out.dtype == np.float32 and out is not X



def test_dropout_mask_drops_at_rate_p_for_any_shape():
    for shape, p in [((7, 13), 0.5), ((1000, 333), 0.75), ((5000,), 0.1)]:
        keep = dropout_mask(shape, p, np.random.default_rng(3))
        assert keep.shape == shape and keep.dtype == bool
        assert abs(1 - keep.mean() - p) < 0.02 + 3 / np.sqrt(keep.size)
    np.testing.assert_array_equal(dropout_mask((40, 9), 0.75, np.random.default_rng(5)),
                                  dropout_mask((40, 9), 0.75, np.random.default_rng(5)))


def test_dropout_disagreements_feed_the_probe_exactly_the_dropout_inputs():
    X = np.random.default_rng(0).standard_normal((300, 8)).astype(np.float32)
    probe, rows = RecordingProbe(), np.arange(0, 300, 3)
    dropout_disagreements(probe, X, rows, np.zeros(len(rows), dtype=int), 3, 0.75, np.random.default_rng(2))
    replay = np.random.default_rng(2)
    for seen in probe.inputs:  # one block: pass after pass
        np.testing.assert_array_equal(seen, dropout_inputs(X[rows], 0.75, replay))

class RecordingProbe:
    """Predicts class 1 where the first feature survived dropout, else class 0."""

    def __init__(self):
        self.inputs = []

    def predict_proba(self, X):
        self.inputs.append(X.copy())
        hit = (X[:, 0] != 0).astype(float)
        return np.stack([1 - hit, hit], axis=1)


def test_dropout_disagreements_count_flips_against_the_clean_prediction():
    X = np.ones((1000, 3), dtype=np.float32)
    probe = RecordingProbe()
    rows = np.arange(0, 1000, 2)
    counts = dropout_disagreements(probe, X, rows, np.ones(len(rows), dtype=int), 5, 0.75, np.random.default_rng(0))
    assert sum(len(x) for x in probe.inputs) == 5 * len(rows)
    dropped = np.concatenate([(x[:, 0] == 0) for x in probe.inputs])
    assert counts.sum() == dropped.sum()
    assert {v for x in probe.inputs for v in np.unique(x)} <= {0.0, 4.0}  # 1 / (1 - 0.75)
    assert abs(counts.mean() / 5 - 0.75) < 0.05


def test_disagreement_filter_keeps_the_majority_rule_when_enough_points_pass():
    disagree = np.array([3, 2, 1, 0, 2, 3, 0, 1])
    np.testing.assert_array_equal(disagreement_candidates(disagree, 3, 3, np.zeros(8)), [0, 1, 4, 5])
    # More than half of four passes is three.
    np.testing.assert_array_equal(disagreement_candidates(np.array([4, 3, 2, 2, 1]), 4, 2, np.zeros(5)), [0, 1])


def test_disagreement_filter_widens_step_by_step_then_fills_by_margin():
    disagree = np.array([3, 2, 1, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(disagreement_candidates(disagree, 3, 3, np.zeros(8)), [0, 1, 2, 5])
    margins = np.array([0, 0, 0, -0.5, -0.1, 0, -0.9, -0.2])  # higher = more uncertain
    np.testing.assert_array_equal(disagreement_candidates(disagree, 3, 6, margins), [0, 1, 2, 5, 4, 7])
    nothing = np.zeros(5, dtype=int)
    np.testing.assert_array_equal(disagreement_candidates(nothing, 3, 2, -np.arange(5.0)), [0, 1])


def test_dropquery_picks_diverse_points_among_the_candidates():
    state = noisy_pool()
    unlabeled = state.unlabeled_indices()
    picks = dropquery(state, 10, np.random.default_rng(7))
    replay = np.random.default_rng(7)
    counts = dropout_disagreements(state.probe, state.X, unlabeled, state.proba[unlabeled].argmax(1), 3, 0.75, replay)
    chosen = disagreement_candidates(counts, 3, 10, uncertainty_scores(state.proba[unlabeled], "margin"))
    assert len(chosen) > 10 and set(picks) <= set(unlabeled[chosen])
    assert len(set(picks)) == 10


def test_dropquery_clusters_a_sample_of_the_candidates_above_max_points():
    state = noisy_pool()
    unlabeled = state.unlabeled_indices()
    b = 2  # the sample holds max(max_points, 10 * b) candidates
    picks = dropquery(state, b, np.random.default_rng(7), max_points=25)
    replay = np.random.default_rng(7)
    counts = dropout_disagreements(state.probe, state.X, unlabeled, state.proba[unlabeled].argmax(1), 3, 0.75, replay)
    chosen = disagreement_candidates(counts, 3, b, uncertainty_scores(state.proba[unlabeled], "margin"))
    assert len(chosen) > 25
    sample = np.sort(replay.choice(chosen, size=25, replace=False))
    assert set(picks) <= set(unlabeled[sample]) and len(set(picks)) == b
    with pytest.raises(ValueError, match="max_points"):
        dropquery(state, 10, np.random.default_rng(7), max_points=5)


def test_dropquery_never_fails_when_almost_nothing_disagrees():
    X, y = blobs(3, 40, spread=0.05)
    state = pool(X, y, [0, 1, 40, 41, 80, 81])
    picks = select_batch("dropquery", state, 30, np.random.default_rng(0), p=0.01)
    assert len(set(picks)) == 30 and not state.labeled[picks].any()


@pytest.mark.parametrize("p", [0, 1, 1.5, -0.1, "0.5", True, 0.001, 0.999])
def test_dropquery_rejects_a_bad_rate(p):
    with pytest.raises(ValueError, match="p "):
        dropquery(noisy_pool(), 5, np.random.default_rng(0), p=p)


# ------------------------------------------------------------------------------------- TYROGUE

def replay_diverse(state, b, seed, r, n_random):
    rng = np.random.default_rng(seed)
    unlabeled = state.unlabeled_indices()
    sample = np.sort(rng.choice(unlabeled, size=min(n_random, len(unlabeled)), replace=False))
    centres = lloyd_kmeans(state.normalized()[sample], r * b, int(rng.integers(SEED_BOUND)))
    return sample, sample[nearest_distinct(state.normalized()[sample], centres)]


def test_tyrogue_r1_is_the_cold_start_diversity_pick_and_ignores_the_probe():
    state = noisy_pool()
    sample, diverse = replay_diverse(state, 12, 3, 1, 150)
    picks = tyrogue(state, 12, np.random.default_rng(3), r=1, n_random=150)
    np.testing.assert_array_equal(picks, diverse)
    blind = PoolState(state.X, state.labeled, state.y, state.n_classes)
    np.testing.assert_array_equal(tyrogue(blind, 12, np.random.default_rng(3), r=1, n_random=150), picks)
    assert set(picks) <= set(sample)


def test_tyrogue_picks_the_top_entropy_points_of_the_diverse_candidates():
    state = noisy_pool(seed=1)
    sample, diverse = replay_diverse(state, 8, 5, 3, 200)
    assert len(diverse) == 24 and set(diverse) <= set(sample)
    p = state.proba[diverse]
    entropy = -(p * np.log(p)).sum(axis=1)
    expected = diverse[np.argsort(-entropy)[:8]]
    picks = tyrogue(state, 8, np.random.default_rng(5), r=3, n_random=200)
    assert set(picks) == set(expected)


def test_tyrogue_cold_start_through_the_registry_needs_no_probe():
    X, y = blobs(5, 30)
    state = pool(X, y, fit_probe=False)
    picks = select_batch("tyrogue", state, 5, np.random.default_rng(0), role="ips")
    assert set(y[picks]) == set(range(5))


def test_tyrogue_without_a_probe_needs_r1():
    state = pool(*blobs(3, 20), fit_probe=False)
    with pytest.raises(ValueError, match="r=3"):
        tyrogue(state, 4, np.random.default_rng(0))


@pytest.mark.parametrize("params, name", [({"r": 0}, "r"), ({"n_random": 3}, "n_random")])
def test_tyrogue_rejects_bad_parameters(params, name):
    with pytest.raises(ValueError, match=name):
        tyrogue(noisy_pool(), 4, np.random.default_rng(0), **params)


# ------------------------------------------------------------------- scikit-activeml bridge

def test_falcun_returns_valid_batches_equal_to_scikit_activeml():
    state = noisy_pool(n=300)
    picks = select_batch("falcun", state, 15, np.random.default_rng(2))
    assert len(set(picks)) == 15 and not state.labeled[picks].any()
    np.testing.assert_array_equal(picks, reference_select("falcun", state, 15, np.random.default_rng(2)))


# ------------------------------------------------------------------------------------ CAL

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_contrastive_scores_and_picks_equal_scikit_activeml(seed, monkeypatch):
    state = noisy_pool(n=300, n_labeled=30, seed=seed)
    unlabeled = state.unlabeled_indices()
    # Several blocks of unlabeled rows, against one whole-pool scikit-activeml call.
    monkeypatch.setattr(contrastive_module, "chunk_rows", lambda *args: 37)
    picks = select_batch("contrastive", state, 15, np.random.default_rng(2))
    strategy = REFERENCE_STRATEGIES["contrastive"].make(0)
    clf = skactiveml_bridge.frozen_classifier(state.probe.predict_proba, state.n_classes,
                                              state.X[state.labeled], state.y[state.labeled], 0)
    y = np.where(state.labeled, state.y, -1)
    _, utilities = strategy.query(state.X, y, clf, fit_clf=False, batch_size=1, return_utilities=True)
    expected = utilities[0, unlabeled]
    order = np.argsort(-expected, kind="stable")
    np.testing.assert_array_equal(picks, unlabeled[order[:15]])
    np.testing.assert_array_equal(picks, reference_select("contrastive", state, 15, np.random.default_rng(2)))


def test_contrastive_score_is_the_mean_kl_to_the_nearest_labeled_neighbours():
    state = noisy_pool(n=120, n_labeled=12, seed=3)
    labeled, unlabeled = state.labeled_indices(), state.unlabeled_indices()
    P = state.proba
    scores = []
    for i in unlabeled:
        d = ((state.X[labeled] - state.X[i]) ** 2).sum(axis=1)
        nb = labeled[np.argsort(d)[:5]]
        scores.append(np.mean([(P[j] * np.log(P[j] / P[i])).sum() for j in nb]))
    expected = unlabeled[np.argsort(-np.asarray(scores), kind="stable")[:10]]
    np.testing.assert_array_equal(contrastive(state, 10, np.random.default_rng(0)), expected)


def test_nearest_rows_equal_brute_force_with_ties_to_the_lower_position():
    X = np.random.default_rng(0).integers(0, 3, size=(80, 3)).astype(np.float32)  # many ties
    queries, references = np.arange(0, 80, 2), np.arange(1, 80, 2)
    found, _ = nearest_rows(X, queries, references, 4)
    d = ((X[queries][:, None, :] - X[references][None]) ** 2).sum(-1)
    np.testing.assert_array_equal(found, references[np.argsort(d, axis=1, kind="stable")[:, :4]])


def test_nearest_rows_merge_earlier_results_exactly():
    X = np.random.default_rng(1).standard_normal((200, 6)).astype(np.float32)
    queries, first, second = np.arange(100), np.arange(100, 150), np.arange(150, 200)
    prior = nearest_rows(X, queries, first, 5)
    merged, _ = nearest_rows(X, queries, second, 5, prior)
    whole, _ = nearest_rows(X, queries, np.arange(100, 200), 5)
    np.testing.assert_array_equal(merged, whole)


def test_contrastive_keeps_neighbours_across_queries_with_the_same_picks(monkeypatch):
    state = noisy_pool(n=400, n_labeled=30, seed=4)
    calls = []
    real = contrastive_module.nearest_rows
    monkeypatch.setattr(contrastive_module, "nearest_rows",
                        lambda X, q, r, k, prior=None: calls.append(len(r)) or real(X, q, r, k, prior))
    for query in range(3):
        picks = contrastive(state, 10, np.random.default_rng(query))
        fresh = PoolState(state.X, state.labeled.copy(), state.y, state.n_classes, state.probe, state.proba)
        np.testing.assert_array_equal(picks, contrastive(fresh, 10, np.random.default_rng(query)))
        state.labeled[picks] = True
    # the run's state measured all 30 labeled points once, then only the 10 new ones each time
    assert calls[0::2] == [30, 10, 10]


def test_contrastive_with_few_or_no_labels():
    state = noisy_pool(n=100, n_labeled=2)  # fewer labeled points than n_neighbors
    assert len(set(contrastive(state, 5, np.random.default_rng(0)))) == 5
    cold = PoolState(state.X, np.zeros(100, dtype=bool), np.full(100, -1), state.n_classes,
                     state.probe, state.proba)
    a = contrastive(cold, 5, np.random.default_rng(1))
    assert len(set(a)) == 5 and list(a) == list(contrastive(cold, 5, np.random.default_rng(1)))
    with pytest.raises(ValueError, match="eps"):
        contrastive(state, 5, np.random.default_rng(0), eps=0)


def test_frozen_classifier_is_not_refitted():
    state = noisy_pool(n=200)
    clf = skactiveml_bridge.frozen_classifier(state.probe.predict_proba, state.n_classes,
                                              state.X[:5], np.zeros(5, dtype=int), 0)
    np.testing.assert_allclose(clf.predict_proba(state.X), state.proba)


@pytest.mark.parametrize("name", sorted(REFERENCE_STRATEGIES))
def test_reference_select_runs_every_strategy_it_claims(name):
    state = noisy_pool(n=250, n_labeled=20)
    picks = reference_select(name, state, 10, np.random.default_rng(0))
    assert picks.dtype == np.int64 and len(set(picks)) == 10 and not state.labeled[picks].any()


def test_reference_select_rejects_unknown_names_and_a_missing_probe():
    state = pool(*blobs(3, 20), fit_probe=False)
    with pytest.raises(ValueError, match="allowed values"):
        reference_select("tyrogue", state, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="probe"):
        reference_select("badge", state, 3, np.random.default_rng(0))


def test_reference_select_keeps_the_scikit_activeml_object_for_the_run():
    state = noisy_pool(n=150, n_labeled=10)
    first = reference_select("probcover", state, 5, np.random.default_rng(0))
    cached = [v for k, v in state.cache.items() if k[:2] == ("skactiveml", "probcover")]
    assert len(cached) == 1 and hasattr(cached[0], "distances_")
    state.labeled[first] = True
    reference_select("probcover", state, 5, np.random.default_rng(1))
    assert [v for k, v in state.cache.items() if k[:2] == ("skactiveml", "probcover")] == cached


# ------------------------------------------------------------------------------ Lloyd k-means

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
