"""The scikit-activeml bridge used for reference runs."""

from __future__ import annotations

import numpy as np
import pytest
from pools import blobs, noisy_pool, pool

from almodules.engine.strategies import skactiveml_bridge
from almodules.engine.strategies.skactiveml_bridge import REFERENCE_STRATEGIES, reference_select


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
