"""Our scalable strategies against scikit-activeml 1.0.1 and brute-force references on small pools."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.linear_model import LogisticRegression
from skactiveml.classifier import SklearnClassifier
from skactiveml.pool import CoreSet, UncertaintySampling

from almodules.strategies import PoolState, select_batch
from almodules.strategies.badge import badge, gradient_sq_dists
from almodules.strategies.probcover import DELTA_GRID, _Nodes, ball_graph, choose_delta, probcover
from almodules.strategies.uncertainty import entropy, least_confident, margin


def random_pool(n: int, dim: int, n_labeled: int, seed: int, n_classes: int = 3) -> tuple[PoolState, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(n_classes, size=n)
    X = (rng.standard_normal((n, dim)) + 1.5 * np.eye(dim)[y % dim]).astype(np.float32)
    labeled = np.zeros(n, dtype=bool)
    labeled[rng.choice(n, size=n_labeled, replace=False)] = True
    return PoolState(X, labeled, np.where(labeled, y, -1), n_classes), y


def skactiveml_y(state: PoolState) -> np.ndarray:
    return np.where(state.labeled, state.y, np.nan)


# ------------------------------------------------------------------------- uncertainty sampling

@pytest.mark.parametrize("ours, method", [(margin, "margin_sampling"), (entropy, "entropy"),
                                          (least_confident, "least_confident")])
@pytest.mark.parametrize("seed", range(4))
def test_uncertainty_rankings_equal_skactiveml(ours, method, seed):
    state, y = random_pool(120, 6, 30, seed, n_classes=4)
    clf = SklearnClassifier(LogisticRegression(max_iter=1000), classes=np.arange(4))
    clf.fit(state.X, skactiveml_y(state))
    state.proba = clf.predict_proba(state.X)
    _, utilities = UncertaintySampling(method=method).query(
        state.X, skactiveml_y(state), clf, fit_clf=False, return_utilities=True)
    unlabeled = state.unlabeled_indices()
    expected = unlabeled[np.argsort(-utilities[0][unlabeled], kind="stable")]
    b = len(unlabeled) - 1
    np.testing.assert_array_equal(ours(state, b, np.random.default_rng(0)), expected[:b])


# ------------------------------------------------------------------------------------- CoreSet

@pytest.mark.parametrize("seed", range(8))
def test_coreset_picks_equal_skactiveml(seed):
    rng = np.random.default_rng(seed)
    state, _ = random_pool(int(rng.integers(40, 300)), int(rng.integers(2, 24)), int(rng.integers(1, 12)), seed)
    b = int(rng.integers(1, 25))
    ours = select_batch("coreset", state, b, np.random.default_rng(seed))
    ref = CoreSet(random_state=seed).query(state.X.astype(np.float64), skactiveml_y(state), batch_size=b)
    np.testing.assert_array_equal(ours, ref)
    # A second call reuses the run's cached bounds and must not change a pick.
    np.testing.assert_array_equal(select_batch("coreset", state, b, np.random.default_rng(1)), ours)


def test_coreset_bounds_follow_newly_labeled_points():
    state, y = random_pool(200, 8, 5, seed=3)
    first = select_batch("coreset", state, 10, np.random.default_rng(0))
    state.labeled[first] = True
    state.y[first] = y[first]
    ours = select_batch("coreset", state, 10, np.random.default_rng(0))
    ref = CoreSet().query(state.X.astype(np.float64), skactiveml_y(state), batch_size=10)
    np.testing.assert_array_equal(ours, ref)


def test_coreset_with_nothing_labeled_continues_like_skactiveml_from_its_random_first_pick():
    state, _ = random_pool(150, 5, 0, seed=4)
    ours = select_batch("coreset", state, 12, np.random.default_rng(7), role="ips")
    seeded = state.labeled.copy()
    seeded[ours[0]] = True
    ref = CoreSet().query(state.X.astype(np.float64), np.where(seeded, 0.0, np.nan), batch_size=11)
    np.testing.assert_array_equal(ours[1:], ref)


def test_coreset_ties_go_to_the_lowest_index():
    X = np.array([[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1]], dtype=np.float32)
    labeled = np.array([True, False, False, False, False])
    state = PoolState(X, labeled, np.where(labeled, 0, -1), 2)
    assert select_batch("coreset", state, 1, np.random.default_rng(0))[0] == 1


# --------------------------------------------------------------------------------------- BADGE

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
    from almodules.probe import LinearProbe
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


# ----------------------------------------------------------------------------------- ProbCover

def unit(X: np.ndarray) -> np.ndarray:
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("seed", range(5))
def test_probcover_graph_equals_dense_reference(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 400))
    Xn = unit(rng.standard_normal((n, 5)))
    Xn[1] = Xn[0]
    delta = float(rng.uniform(0.2, 1.2))
    dense = cdist(Xn.astype(np.float64), Xn.astype(np.float64)) < delta
    graph = ball_graph(Xn, delta, max_edges=10**9)
    np.testing.assert_array_equal(graph.toarray().astype(bool), dense)
    assert graph.has_sorted_indices or np.all(np.diff(graph.indices[graph.indptr[0]:graph.indptr[1]]) > 0)


def test_probcover_graph_respects_the_edge_budget():
    Xn = unit(np.random.default_rng(0).standard_normal((100, 3)))
    with pytest.raises(ValueError, match="max_edges"):
        ball_graph(Xn, 1.5, max_edges=500)


def dense_greedy(Xn: np.ndarray, labeled: np.ndarray, delta: float, b: int,
                 nodes: np.ndarray | None = None) -> list[int]:
    """The reference algorithm on a dense matrix: cover labeled balls, then max uncovered degree.

    With ``nodes``, the graph and the picks are restricted to those pool points, and every labeled
    point (inside or outside them) covers the nodes in its ball.
    """
    nodes = np.arange(len(Xn)) if nodes is None else nodes
    X64 = Xn.astype(np.float64)
    edges = cdist(X64[nodes], X64[nodes]) < delta
    edges[:, (cdist(X64[labeled], X64[nodes]) < delta).any(axis=0)] = False
    pickable, picks = ~labeled[nodes], []
    for _ in range(b):
        gain = np.where(pickable, edges.sum(axis=1), -1)
        i = int(np.argmax(gain))
        if gain[i] <= 0:
            break
        picks.append(int(nodes[i]))
        pickable[i] = False
        edges[:, edges[i].copy()] = False
    return picks


@pytest.mark.parametrize("seed", range(5))
def test_probcover_picks_equal_dense_greedy(seed):
    state, _ = random_pool(300, 4, 5, seed)
    ours = select_batch("probcover", state, 30, np.random.default_rng(0), delta=0.5)
    ref = dense_greedy(state.normalized(), state.labeled, 0.5, 30)
    np.testing.assert_array_equal(ours[:len(ref)], ref)
    # Once everything is covered the rest is drawn at random, never a labeled or repeated point.
    assert len(set(ours.tolist())) == 30 and not state.labeled[ours].any()


def test_probcover_on_a_sample_of_a_large_pool_equals_dense_greedy_on_that_sample():
    state, y = random_pool(400, 4, 30, seed=5)
    nodes = _Nodes(400, 120).index
    assert state.labeled[np.setdiff1d(np.arange(400), nodes)].any()  # some labeled points lie outside
    ours = select_batch("probcover", state, 10, np.random.default_rng(0), delta=0.3, max_points=120)
    ref = dense_greedy(state.normalized(), state.labeled, 0.3, 10, nodes)
    np.testing.assert_array_equal(ours[:len(ref)], ref)
    assert np.isin(ours[:len(ref)], nodes).all()
    # The sample is fixed per pool, so newly labeled points extend the cached coverage.
    state.labeled[ours] = True
    state.y[ours] = y[ours]
    ours = select_batch("probcover", state, 10, np.random.default_rng(0), delta=0.3, max_points=120)
    ref = dense_greedy(state.normalized(), state.labeled, 0.3, 10, nodes)
    np.testing.assert_array_equal(ours[:len(ref)], ref)


def test_probcover_coverage_cache_follows_newly_labeled_points():
    state, y = random_pool(300, 4, 5, seed=9)
    first = select_batch("probcover", state, 5, np.random.default_rng(0), delta=0.3)
    state.labeled[first] = True
    state.y[first] = y[first]
    ours = select_batch("probcover", state, 5, np.random.default_rng(0), delta=0.3)
    ref = dense_greedy(state.normalized(), state.labeled, 0.3, 5)
    np.testing.assert_array_equal(ours[:len(ref)], ref)


@pytest.mark.parametrize("purity", [0.8, 0.95, 1.0])
def test_probcover_delta_is_the_largest_grid_value_with_enough_pure_balls(purity):
    rng = np.random.default_rng(0)
    Xn = unit(rng.standard_normal((400, 3)) + 2 * np.eye(3)[rng.integers(3, size=400)])
    labels = np.argmax(Xn, axis=1)
    D = cdist(Xn.astype(np.float64), Xn.astype(np.float64))
    impure = labels[:, None] != labels[None, :]
    fraction_pure = np.array([1 - ((D < d) & impure).any(axis=1).mean() for d in DELTA_GRID])
    expected = DELTA_GRID[np.flatnonzero(fraction_pure >= purity)[-1]]
    assert choose_delta(Xn, labels, purity, max_edges=10**9) == pytest.approx(expected)
    # A tight edge budget lowers delta until the (here exactly counted) graph fits.
    budget = int((D < expected).sum()) - 1
    assert choose_delta(Xn, labels, purity, max_edges=budget) < expected


@pytest.mark.parametrize("params, name", [
    ({"purity": 0.0}, "purity"), ({"purity": 1.5}, "purity"), ({"delta": 0.0}, "delta"),
    ({"delta": -0.3}, "delta"), ({"delta": 2.5}, "delta"), ({"n_clusters": 1}, "n_clusters"),
    ({"max_edges": 0}, "max_edges"), ({"max_points": 0}, "max_points"),
])
def test_probcover_rejects_bad_parameters_by_name(params, name):
    state, _ = random_pool(50, 3, 5, seed=0)
    with pytest.raises(ValueError, match=name):
        select_batch("probcover", state, 3, np.random.default_rng(0), **params)
    with pytest.raises(ValueError, match=name):
        probcover(state, 3, np.random.default_rng(0), **params)


# -------------------------------------------------------------------------------------- k-means

@pytest.mark.parametrize("max_points", [None, 60])
def test_kmeans_initial_pool_takes_one_point_from_each_separated_blob(max_points):
    rng = np.random.default_rng(0)
    n_blobs, per_blob = 5, 40
    X = np.concatenate([10 * np.eye(8)[i] + 0.3 * rng.standard_normal((per_blob, 8))
                        for i in range(n_blobs)]).astype(np.float32)
    state = PoolState(X, np.zeros(len(X), dtype=bool), np.full(len(X), -1), n_blobs)
    picks = select_batch("kmeans", state, n_blobs, np.random.default_rng(1), role="ips", max_points=max_points)
    assert sorted(picks // per_blob) == list(range(n_blobs))


def test_kmeans_rejects_a_bad_sample_size_by_name():
    state, _ = random_pool(50, 3, 0, seed=0)
    with pytest.raises(ValueError, match="max_points"):
        select_batch("kmeans", state, 3, np.random.default_rng(0), role="ips", max_points=0)
