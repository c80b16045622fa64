"""What every strategy sees (:class:`PoolState`) and how it is described (:class:`StrategySpec`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["PoolState", "StrategySpec", "SelectFn"]


@dataclass
class PoolState:
    """The pool as a strategy sees it in one cycle. Strategies never see the test split.

    Parameters
    ----------
    X : ndarray of shape (N, D), float32
        Embeddings of the pool (the train split, or its ``pool_size`` subsample).
    labeled : ndarray of shape (N,), bool
        Mask of pool points whose label is known.
    y : ndarray of shape (N,), int64
        Class index of each labeled point; ``-1`` where unlabeled (never read there).
    n_classes : int
        Number of classes of the task.
    probe : LinearProbe or None
        The probe fitted on the labeled points this cycle; ``None`` before any fit (initial pool
        selection).
    proba : ndarray of shape (N, n_classes) or None
        ``probe.predict_proba(X)``; ``None`` when there is no probe.
    cache : dict
        Per-run scratch space shared by every cycle of one run (normalised embeddings, neighbour
        graphs). Anything stored here must depend only on ``X`` and the strategy's parameters.
    """

    X: np.ndarray
    labeled: np.ndarray
    y: np.ndarray
    n_classes: int
    probe: Any = None
    proba: np.ndarray | None = None
    cache: dict = field(default_factory=dict)

    @property
    def n_pool(self) -> int:
        """Number of pool points."""
        return self.X.shape[0]

    def labeled_indices(self) -> np.ndarray:
        """Indices of labeled points, ascending."""
        return np.flatnonzero(self.labeled)

    def unlabeled_indices(self) -> np.ndarray:
        """Indices of unlabeled points, ascending."""
        return np.flatnonzero(~self.labeled)

    def normalized(self) -> np.ndarray:
        """Row-wise L2-normalised ``X`` (float32), computed once per run and cached."""
        Xn = self.cache.get("X_l2")
        if Xn is None:
            norms = np.linalg.norm(self.X, axis=1, keepdims=True)
            Xn = self.X / np.maximum(norms, np.finfo(np.float32).tiny)
            self.cache["X_l2"] = Xn = Xn.astype(np.float32, copy=False)
        return Xn


SelectFn = Callable[..., np.ndarray]
"""``fn(state, b, rng, **params) -> indices``: ``b`` distinct unlabeled indices, ``1 <= b < #unlabeled``."""


@dataclass(frozen=True)
class StrategySpec:
    """A registered strategy.

    Parameters
    ----------
    name : str
        Registry key, as used on the command line and in configs.
    select : SelectFn
        The implementation. The registry's :func:`~almodules.strategies.select_batch` handles the
        edge cases (``b`` at least the unlabeled count, validation) before calling it.
    needs_probe : bool
        Whether it reads ``state.proba`` / ``state.probe``; such strategies cannot select an
        initial pool.
    kind : str
        ``"random"``, ``"uncertainty"``, ``"diversity"`` or ``"hybrid"``.
    summary : str
        One line for listings.
    reference : str
        Citation key in ``book/references.bib``.
    ips_params : dict
        Parameters used when the strategy selects the initial pool (TYROGUE's cold start r = 1).
    """

    name: str
    select: SelectFn
    needs_probe: bool
    kind: str
    summary: str
    reference: str
    ips_params: dict = field(default_factory=dict)

    @property
    def usable_as_ips(self) -> bool:
        """True when it needs no probe, so it can pick the initial pool."""
        return not self.needs_probe
