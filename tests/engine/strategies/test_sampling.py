"""Uniform subsets of the unlabeled pool."""

from __future__ import annotations

import numpy as np

from almodules.engine.strategies.sampling import uniform_subset


def test_uniform_subset_is_sorted_and_draws_nothing_when_the_population_fits():
    rng = np.random.default_rng(0)
    population = np.arange(10, 40)
    sample = uniform_subset(population, 12, rng)
    assert len(set(sample)) == 12 and set(sample) <= set(population) and (np.diff(sample) > 0).all()
    replay = np.random.default_rng(0).choice(population, 12, replace=False)
    np.testing.assert_array_equal(sample, np.sort(replay))
    before = rng.bit_generator.state
    assert uniform_subset(population, 30, rng) is population
    np.testing.assert_array_equal(uniform_subset(7, 7, rng), np.arange(7))
    assert rng.bit_generator.state == before
