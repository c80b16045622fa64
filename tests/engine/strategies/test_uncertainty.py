"""Margin, entropy and least-confident rankings equal scikit-activeml."""

from __future__ import annotations

import numpy as np
import pytest
from pools import random_pool, skactiveml_y
from skactiveml.classifier import SklearnClassifier
from skactiveml.pool import UncertaintySampling
from sklearn.linear_model import LogisticRegression

from almodules.engine.strategies.uncertainty import entropy, least_confident, margin


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
