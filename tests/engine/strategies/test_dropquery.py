"""DropQuery: dropout masks, disagreement filter, diverse picks."""

from __future__ import annotations

import numpy as np
import pytest
from pools import blobs, noisy_pool, pool

from almodules.engine.strategies import select_batch
from almodules.engine.strategies.clustering import kmeans_plusplus, lloyd_kmeans
from almodules.engine.strategies.dropquery import (
    disagreement_candidates,
    dropout_disagreements,
    dropout_inputs,
    dropout_mask,
    dropquery,
)
from almodules.engine.strategies.sampling import draw_seed
from almodules.engine.strategies.uncertainty import uncertainty_scores


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
    np.testing.assert_array_equal(disagreement_candidates(disagree, 3, 3), [0, 1, 4, 5])
    # More than half of four passes is three.
    np.testing.assert_array_equal(disagreement_candidates(np.array([4, 3, 2, 2, 1]), 4, 2), [0, 1])


def test_disagreement_filter_widens_step_by_step_down_to_any_disagreement():
    disagree = np.array([3, 2, 1, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(disagreement_candidates(disagree, 3, 3), [0, 1, 2, 5])
    np.testing.assert_array_equal(disagreement_candidates(disagree, 3, 6), [0, 1, 2, 5])  # all there is
    assert len(disagreement_candidates(np.zeros(5, dtype=int), 3, 2)) == 0


def _replay_candidates(state, b, seed, widen_below=25):
    unlabeled = state.unlabeled_indices()
    replay = np.random.default_rng(seed)
    counts = dropout_disagreements(state.probe, state.X, unlabeled, state.proba[unlabeled].argmax(1), 3, 0.75, replay)
    return unlabeled, counts, disagreement_candidates(counts, 3, widen_below * b), replay


def test_dropquery_widens_the_filter_until_25_b_candidates_as_the_authors_do():
    state = noisy_pool()
    _, counts, chosen, _ = _replay_candidates(state, 10, 7)
    majority = np.flatnonzero(counts >= 2)
    assert len(majority) < 250 and len(chosen) > len(majority)  # widened
    _, _, strict, _ = _replay_candidates(state, 10, 7, widen_below=1)
    np.testing.assert_array_equal(strict, majority)


def test_dropquery_takes_each_clusters_member_nearest_its_centre():
    state = noisy_pool()
    picks = dropquery(state, 10, np.random.default_rng(7))
    unlabeled, _, chosen, replay = _replay_candidates(state, 10, 7)
    rows = unlabeled[chosen]
    centres = lloyd_kmeans(state.normalized_rows(rows), 10, draw_seed(replay), max_iter=100, seeding="plain")
    Xr = state.normalized_rows(rows).astype(np.float64)
    assign = ((Xr[:, None, :] - centres[None]) ** 2).sum(-1).argmin(1)
    expected = {rows[np.flatnonzero(assign == c)[((Xr[assign == c] - centres[c]) ** 2).sum(1).argmin()]]
                for c in range(10)}
    assert set(picks) == expected
    distinct = dropquery(state, 10, np.random.default_rng(7), representative="distinct")
    assert set(distinct) <= set(rows) and len(set(distinct)) == 10


def test_dropquery_clusters_a_sample_of_the_candidates_above_max_points():
    state = noisy_pool()
    b = 2  # the sample holds max(max_points, 10 * b) candidates
    picks = dropquery(state, b, np.random.default_rng(7), max_points=25)
    unlabeled, _, chosen, replay = _replay_candidates(state, b, 7)
    assert len(chosen) > 25
    sample = np.sort(replay.choice(chosen, size=25, replace=False))
    assert set(picks) <= set(unlabeled[sample]) and len(set(picks)) == b
    with pytest.raises(ValueError, match="max_points"):
        dropquery(state, 10, np.random.default_rng(7), max_points=5)


@pytest.mark.parametrize("fill", ["random", "margin"])
def test_dropquery_fills_a_batch_when_almost_nothing_disagrees(fill):
    X, y = blobs(3, 40, spread=0.05)
    state = pool(X, y, [0, 1, 40, 41, 80, 81])
    picks = select_batch("dropquery", state, 30, np.random.default_rng(0), p=0.01, fill=fill)
    assert len(set(picks)) == 30 and not state.labeled[picks].any()
    if fill == "margin":
        unlabeled = state.unlabeled_indices()
        margins = uncertainty_scores(state.proba[unlabeled], "margin")
        assert set(unlabeled[np.argsort(-margins, kind="stable")[:20]]) <= set(picks)


def test_plain_seeding_is_one_d2_draw_per_centre_and_differs_from_greedy():
    """The authors' plain k-means++: each next centre is the point one D²-weighted draw lands on."""
    X = np.random.default_rng(0).normal(size=(300, 8)).astype(np.float32)
    plain = kmeans_plusplus(X, 6, np.random.default_rng(5), seeding="plain")
    rng = np.random.default_rng(5)
    chosen = [int(rng.integers(len(X)))]
    for _ in range(5):
        d2 = ((X.astype(np.float64)[:, None] - X[chosen].astype(np.float64)[None]) ** 2).sum(-1).min(1)
        draw = rng.uniform(size=1) * d2.sum()
        chosen.append(int(np.minimum(np.searchsorted(np.cumsum(d2), draw), len(X) - 1)[0]))
    np.testing.assert_array_equal(plain, X[chosen])
    greedy = kmeans_plusplus(X, 6, np.random.default_rng(5), seeding="greedy")
    assert not np.array_equal(plain, greedy)
