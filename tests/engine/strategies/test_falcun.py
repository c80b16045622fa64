"""FALCUN: the same picks as scikit-activeml."""

from __future__ import annotations

import numpy as np
from pools import noisy_pool

from almodules.engine.strategies import select_batch
from almodules.engine.strategies.skactiveml_bridge import reference_select


def test_falcun_returns_valid_batches_equal_to_scikit_activeml():
    state = noisy_pool(n=300)
    picks = select_batch("falcun", state, 15, np.random.default_rng(2))
    assert len(set(picks)) == 15 and not state.labeled[picks].any()
    np.testing.assert_array_equal(picks, reference_select("falcun", state, 15, np.random.default_rng(2)))
