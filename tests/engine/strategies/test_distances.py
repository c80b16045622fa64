"""Squared distances: the few-rows path equals brute force."""

from __future__ import annotations

import numpy as np
import pytest

from almodules.engine.strategies.distances import sq_dists


@pytest.mark.parametrize("rows", [1, 5, 16, 17, 40])
def test_sq_dists_equal_brute_force_for_few_and_many_rows(rows):
    rng = np.random.default_rng(rows)
    A, B = rng.standard_normal((rows, 24)).astype(np.float32), rng.standard_normal((300, 24)).astype(np.float32)
    expected = ((A.astype(np.float64)[:, None, :] - B[None]) ** 2).sum(-1)
    d = sq_dists(A, B)
    assert d.flags.c_contiguous and d.dtype == np.float32
    np.testing.assert_allclose(d, expected, rtol=1e-5, atol=1e-4)
