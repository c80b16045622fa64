"""The probe equals scikit-learn's LogisticRegression and always spans every class."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from almodules.engine.probe import LinearProbe, ProbeParams


@pytest.fixture
def blobs():
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=3, size=(4, 6))
    y = rng.integers(0, 4, 300)
    X = (centres[y] + rng.normal(size=(300, 6))).astype(np.float32)
    return X, y


def test_matches_sklearn_when_every_class_is_labeled(blobs):
    X, y = blobs
    probe = LinearProbe(4).fit(X[:100], y[:100])
    reference = LogisticRegression(max_iter=1000).fit(X[:100], y[:100])
    np.testing.assert_allclose(probe.predict_proba(X), reference.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(probe.predict(X), reference.predict(X))


@pytest.mark.parametrize("present", [[0, 2], [1, 2, 3]])
def test_absent_classes_get_zero_probability(blobs, present):
    X, y = blobs
    keep = np.isin(y, present)
    probe = LinearProbe(4).fit(X[keep][:60], y[keep][:60])
    proba = probe.predict_proba(X)
    reference = LogisticRegression(max_iter=1000).fit(X[keep][:60], y[keep][:60]).predict_proba(X)
    assert proba.shape == (300, 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba[:, present], reference, atol=1e-6)
    assert (proba[:, np.setdiff1d(np.arange(4), present)] == 0).all()


def test_one_labeled_class_predicts_it_with_certainty(blobs):
    X, _ = blobs
    proba = LinearProbe(4).fit(X[:5], np.full(5, 2)).predict_proba(X)
    np.testing.assert_array_equal(proba, np.eye(4)[np.full(300, 2)])


def test_warm_start_restarts_cold_when_the_classes_change(blobs):
    X, y = blobs
    probe = LinearProbe(4, ProbeParams(warm_start=True))
    keep = y < 3
    probe.fit(X[keep][:50], y[keep][:50])
    probe.fit(X[:150], y[:150])
    cold = LinearProbe(4).fit(X[:150], y[:150])
    np.testing.assert_allclose(probe.predict_proba(X), cold.predict_proba(X), atol=1e-3)


def test_labels_outside_the_class_range_are_rejected(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        LinearProbe(3).fit(X[:50], y[:50])


def test_predicting_before_fitting_says_so(blobs):
    with pytest.raises(RuntimeError, match="not fitted"):
        LinearProbe(4).predict_proba(blobs[0])
