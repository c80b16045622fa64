"""Contrastive AL (CAL): scores equal scikit-activeml, neighbours kept across queries."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from pools import noisy_pool

from almodules.engine.strategies import PoolState, select_batch, skactiveml_bridge
from almodules.engine.strategies.contrastive import contrastive, nearest_rows
from almodules.engine.strategies.skactiveml_bridge import REFERENCE_STRATEGIES, reference_select

contrastive_module = importlib.import_module("almodules.engine.strategies.contrastive")


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
        nb = labeled[np.argsort(d)[:10]]  # the CAL paper's k = 10
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
