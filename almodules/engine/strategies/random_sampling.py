"""Random sampling: the baseline every strategy is measured against."""

from __future__ import annotations

import numpy as np

from almodules.engine.strategies.base import PoolState

__all__ = ["random_sampling"]


def random_sampling(state: PoolState, b: int, rng: np.random.Generator) -> np.ndarray:
    """``b`` unlabeled indices drawn uniformly without replacement."""
    return rng.choice(state.unlabeled_indices(), size=b, replace=False)
