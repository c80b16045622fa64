"""Properties every registered strategy must have, on small generated pools (hypothesis).

For each strategy in the registry: exactly ``min(b, #unlabeled)`` distinct unlabeled indices;
the same seed gives the same picks (fresh state or the run's warm cache); ``b`` at least the
unlabeled count returns them all; tiny pools, duplicated points, ties (all points identical),
nothing labeled (initial-pool strategies, ``role="ips"``) and a single labeled class all work.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from almodules.probe import LinearProbe
from almodules.strategies import IPS_STRATEGIES, QUERY_STRATEGIES, STRATEGIES, PoolState, select_batch

EXAMPLES = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

LAYOUTS = ("random", "duplicated", "identical", "grid")


def make_pool(layout: str, n: int, dim: int, n_classes: int, n_labeled: int,
              one_class: bool, seed: int) -> PoolState:
    """A pool of ``n`` points; the probe is fitted whenever something is labeled, as in a run."""
    rng = np.random.default_rng(seed)
    if layout == "random":
        X = rng.standard_normal((n, dim))
    elif layout == "duplicated":  # a few distinct points, each repeated
        X = rng.standard_normal((max(1, n // 4), dim))[rng.integers(max(1, n // 4), size=n)]
    elif layout == "identical":  # every distance and every score ties
        X = np.tile(rng.standard_normal(dim), (n, 1))
    else:  # integer lattice: many equal distances
        X = rng.integers(-1, 2, size=(n, dim)).astype(float)
    X = (X + 0.0).astype(np.float32)
    y = np.zeros(n, dtype=np.int64) if one_class else rng.integers(n_classes, size=n)
    labeled = np.zeros(n, dtype=bool)
    labeled[rng.choice(n, size=n_labeled, replace=False)] = True
    state = PoolState(X, labeled, np.where(labeled, y, -1), n_classes)
    if n_labeled:
        state.probe = LinearProbe(n_classes).fit(X[labeled], y[labeled])
        state.proba = state.probe.predict_proba(X)
    return state


@st.composite
def pools(draw, *, zero_labeled: bool = False):
    n = draw(st.integers(2, 40))
    n_labeled = 0 if zero_labeled else draw(st.integers(1, n - 1))
    spec = dict(
        layout=draw(st.sampled_from(LAYOUTS)), n=n, dim=draw(st.integers(1, 6)),
        n_classes=draw(st.integers(2, 4)), n_labeled=n_labeled,
        one_class=draw(st.booleans()), seed=draw(st.integers(0, 2**16)),
    )
    b = draw(st.integers(1, n + 2))
    return spec, b


def check_contract(state: PoolState, picks: np.ndarray, b: int) -> None:
    n_unlabeled = int((~state.labeled).sum())
    assert picks.dtype == np.int64
    assert len(picks) == min(b, n_unlabeled)
    assert len(np.unique(picks)) == len(picks)
    assert ((picks >= 0) & (picks < state.n_pool)).all()
    assert not state.labeled[picks].any()
    if b >= n_unlabeled:
        np.testing.assert_array_equal(np.sort(picks), state.unlabeled_indices())


@pytest.mark.parametrize("name", QUERY_STRATEGIES)
@EXAMPLES
@given(data=st.data())
def test_query_strategy_contract_and_determinism(name, data):
    spec, b = data.draw(pools())
    seed = data.draw(st.integers(0, 2**16))
    state = make_pool(**spec)
    picks = select_batch(name, state, b, np.random.default_rng(seed))
    check_contract(state, picks, b)
    # Same seed: same picks on a fresh state and on the warm per-run cache.
    np.testing.assert_array_equal(
        select_batch(name, make_pool(**spec), b, np.random.default_rng(seed)), picks)
    np.testing.assert_array_equal(select_batch(name, state, b, np.random.default_rng(seed)), picks)


@pytest.mark.parametrize("name", IPS_STRATEGIES)
@EXAMPLES
@given(data=st.data())
def test_initial_pool_strategy_contract_and_determinism(name, data):
    spec, b = data.draw(pools(zero_labeled=True))
    seed = data.draw(st.integers(0, 2**16))
    state = make_pool(**spec)
    picks = select_batch(name, state, b, np.random.default_rng(seed), role="ips")
    check_contract(state, picks, b)
    np.testing.assert_array_equal(
        select_batch(name, make_pool(**spec), b, np.random.default_rng(seed), role="ips"), picks)


@pytest.mark.parametrize("name", QUERY_STRATEGIES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_one_labeled_class_and_degenerate_layouts(name, layout):
    state = make_pool(layout, n=30, dim=3, n_classes=3, n_labeled=4, one_class=True, seed=1)
    check_contract(state, select_batch(name, state, 7, np.random.default_rng(0)), 7)


@pytest.mark.parametrize("name", QUERY_STRATEGIES)
def test_batch_of_all_but_one(name):
    """The largest batch a strategy itself handles (select_batch returns everything beyond)."""
    state = make_pool("duplicated", n=25, dim=4, n_classes=3, n_labeled=5, one_class=False, seed=2)
    check_contract(state, select_batch(name, state, 19, np.random.default_rng(0)), 19)


@pytest.mark.parametrize("name", QUERY_STRATEGIES)
def test_different_seeds_are_allowed_to_differ_but_stay_valid(name):
    state = make_pool("random", n=60, dim=5, n_classes=3, n_labeled=6, one_class=False, seed=3)
    for seed in range(3):
        check_contract(state, select_batch(name, state, 10, np.random.default_rng(seed)), 10)


def test_every_registered_strategy_is_covered():
    assert set(QUERY_STRATEGIES) | set(IPS_STRATEGIES) == set(STRATEGIES)
