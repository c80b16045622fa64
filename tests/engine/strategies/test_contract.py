"""The template every registered strategy runs through (as scikit-activeml's strategy tests do).

For each strategy: exactly ``min(b, #unlabeled)`` distinct unlabeled indices; the same seed
gives the same picks (fresh state or the run's warm cache); ``b`` at least the unlabeled count
returns them all; tiny pools, duplicated points, ties (all points identical), nothing labeled
(initial-pool strategies, ``role="ips"``) and a single labeled class all work; every parameter's
default is allowed by its rule, and a value outside the rule is refused by name before any work.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pools import EXAMPLES, LAYOUTS, check_contract, make_pool, pools

from almodules.core.validation import ChoiceRule, ConfigError, NumberRule
from almodules.engine.strategies import IPS_STRATEGIES, QUERY_STRATEGIES, STRATEGIES, select_batch


def outside(rule: NumberRule | ChoiceRule) -> list:
    """Values the rule must refuse."""
    if isinstance(rule, ChoiceRule):
        return ["no-such-variant", None, 1, rule.choices[0].upper()]
    bad = ["3", True, math.nan, math.inf] + ([] if rule.optional else [None])
    if rule.integer:
        bad.append(1.5)
    for bound, step in ((rule.minimum, -1), (rule.above, 0), (rule.maximum, 1), (rule.below, 0)):
        if bound is not None:
            bad.append(bound + step * (1 if rule.integer else 1e-3) if step else bound)
    return bad


@pytest.mark.parametrize("name", sorted(STRATEGIES))
class TestEveryStrategy:
    """What every strategy of the registry must do; a new strategy is covered on registration."""

    role = staticmethod(lambda name: "strategy" if name in QUERY_STRATEGIES else "ips")

    @EXAMPLES
    @given(data=st.data())
    def test_contract_and_determinism(self, name, data):
        ips = name not in QUERY_STRATEGIES or (name in IPS_STRATEGIES and data.draw(st.booleans()))
        spec, b = data.draw(pools(zero_labeled=ips))
        seed = data.draw(st.integers(0, 2**16))
        role = "ips" if ips else "strategy"
        state = make_pool(**spec)
        picks = select_batch(name, state, b, np.random.default_rng(seed), role=role)
        check_contract(state, picks, b)
        # Same seed: same picks on a fresh state and on the warm per-run cache.
        np.testing.assert_array_equal(
            select_batch(name, make_pool(**spec), b, np.random.default_rng(seed), role=role), picks)
        if not ips:
            np.testing.assert_array_equal(select_batch(name, state, b, np.random.default_rng(seed)), picks)

    @pytest.mark.parametrize("layout", LAYOUTS)
    def test_one_labeled_class_and_degenerate_layouts(self, name, layout):
        state = make_pool(layout, n=30, dim=3, n_classes=3, n_labeled=4, one_class=True, seed=1)
        check_contract(state, select_batch(name, state, 7, np.random.default_rng(0), role=self.role(name)), 7)

    def test_batch_of_all_but_one(self, name):
        """The largest batch a strategy itself handles (select_batch returns everything beyond)."""
        state = make_pool("duplicated", n=25, dim=4, n_classes=3, n_labeled=5, one_class=False, seed=2)
        check_contract(state, select_batch(name, state, 19, np.random.default_rng(0), role=self.role(name)), 19)

    def test_different_seeds_are_allowed_to_differ_but_stay_valid(self, name):
        state = make_pool("random", n=60, dim=5, n_classes=3, n_labeled=6, one_class=False, seed=3)
        for seed in range(3):
            picks = select_batch(name, state, 10, np.random.default_rng(seed), role=self.role(name))
            check_contract(state, picks, 10)

    def test_defaults_keep_their_rules(self, name):
        spec = STRATEGIES[name]
        assert set(spec.rules) == set(spec.defaults)
        spec.check_params(spec.defaults)

    def test_values_outside_a_rule_are_refused_by_name_before_any_work(self, name):
        spec = STRATEGIES[name]
        state = make_pool("random", n=40, dim=4, n_classes=3, n_labeled=6, one_class=False, seed=4)
        for param, rule in spec.rules.items():
            for value in outside(rule):
                with pytest.raises(ConfigError, match=f"{param}"):
                    select_batch(name, state, 5, np.random.default_rng(0), role=self.role(name), **{param: value})

    def test_an_unknown_parameter_is_refused_with_the_known_ones(self, name):
        state = make_pool("random", n=40, dim=4, n_classes=3, n_labeled=6, one_class=False, seed=4)
        with pytest.raises(ConfigError, match="allowed values"):
            select_batch(name, state, 5, np.random.default_rng(0), role=self.role(name), no_such_parameter=1)


def test_roles_derive_from_the_registry():
    assert IPS_STRATEGIES == tuple(n for n, s in STRATEGIES.items() if not s.needs_probe)
    assert QUERY_STRATEGIES == tuple(n for n, s in STRATEGIES.items() if s.query)
    assert set(QUERY_STRATEGIES) | set(IPS_STRATEGIES) == set(STRATEGIES)
