"""ProbCover: ball graph, purity rule and greedy coverage against dense references."""

from __future__ import annotations

import numpy as np
import pytest
from pools import random_pool, unit
from scipy.spatial.distance import cdist

from almodules.engine.strategies import select_batch
from almodules.engine.strategies.probcover import DELTA_GRID, _Nodes, ball_graph, choose_delta


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
