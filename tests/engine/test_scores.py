"""The numpy scores equal scikit-learn's bit for bit: stored runs keep their numbers."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from almodules.engine.scores import accuracy, macro_f1


@pytest.mark.parametrize("n_classes", [2, 3, 6, 20, 77])
def test_scores_equal_scikit_learn(n_classes):
    rng = np.random.default_rng(n_classes)
    for trial in range(60):
        n = int(rng.integers(1, 400))
        # Skewed draws leave classes out of the truth, the predictions or both.
        seen = rng.choice(n_classes, size=int(rng.integers(1, n_classes + 1)), replace=False)
        y_true = rng.choice(seen, size=n)
        y_pred = np.where(rng.random(n) < trial / 60, y_true, rng.integers(0, n_classes, size=n))
        expected = f1_score(y_true, y_pred, labels=np.arange(n_classes), average="macro", zero_division=0)
        assert macro_f1(y_true, y_pred, n_classes) == float(expected)
        assert accuracy(y_true, y_pred) == float(accuracy_score(y_true, y_pred))


def test_a_class_absent_everywhere_counts_as_zero():
    assert macro_f1(np.array([0, 0]), np.array([0, 0]), 4) == 0.25
