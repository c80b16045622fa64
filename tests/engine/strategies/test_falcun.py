"""FALCUN: the same picks as scikit-activeml."""

from __future__ import annotations

import numpy as np
import pytest
from pools import noisy_pool

from almodules.engine.strategies import select_batch
from almodules.engine.strategies.falcun import class_sums
from almodules.engine.strategies.skactiveml_bridge import reference_select


@pytest.mark.parametrize("n_classes", [2, 4, 11, 20])
def test_falcun_returns_valid_batches_equal_to_scikit_activeml(n_classes):
    state = noisy_pool(n=300, dim=max(16, n_classes), n_classes=n_classes, n_labeled=3 * n_classes)
    picks = select_batch("falcun", state, 15, np.random.default_rng(2))
    assert len(set(picks)) == 15 and not state.labeled[picks].any()
    np.testing.assert_array_equal(picks, reference_select("falcun", state, 15, np.random.default_rng(2)))


def test_class_sums_are_numpys_row_sums_bit_for_bit():
    rng = np.random.default_rng(0)
    for n_classes in [*range(1, 140), 200, 255, 256, 300]:
        # Magnitudes from 1e-8 to 1e8 make any change of summation order show in the last bits.
        gaps = rng.random((257, n_classes)) * rng.choice([1e-8, 1.0, 1e8], size=(257, n_classes))
        expected = gaps.sum(axis=1)
        np.testing.assert_array_equal(class_sums(np.ascontiguousarray(gaps.T)), expected, err_msg=str(n_classes))
