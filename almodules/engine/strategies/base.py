"""What every strategy sees (:class:`PoolState`) and how it is described (:class:`StrategySpec`)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from almodules.core.validation import ChoiceRule, NumberRule, check_choice, check_int
from almodules.engine.strategies.distances import sq_norms

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
        Per-run scratch space shared by every cycle of one run (row norms, the bounds and
        coverage a strategy extends as points are labeled).
    shared : dict
        Values derived from ``X`` and a strategy's parameters alone (ProbCover's radius and ball
        graph), shared by every run on the same pool: a grid hands the same dict to the runs of
        one pool, so such a value is computed once for all of them. Nothing that depends on the
        labels, a seed or a run's history may go here.
    cycle : int
        The query's AL cycle: 1 for the first query after the initial pool, 0 for the initial pool
        (read by the ``schedule`` strategy, which switches strategies by cycle).
    """

    X: np.ndarray
    labeled: np.ndarray
    y: np.ndarray
    n_classes: int
    probe: Any = None
    proba: np.ndarray | None = None
    cache: dict = field(default_factory=dict)
    cycle: int = 0
    shared: dict = field(default_factory=dict)

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

    def squared_norms(self) -> np.ndarray:
        """Squared row norms of ``X`` (float64, :func:`~.distances.sq_norms`), cached for the run."""
        norms = self.cache.get("X_sq_norms")
        if norms is None:
            norms = self.cache["X_sq_norms"] = sq_norms(self.X)
        return norms

    def normalized_rows(self, rows: np.ndarray | slice) -> np.ndarray:
        """Rows ``rows`` of the L2-normalised pool (float32), without normalising the whole pool.

        Taken from the cached :meth:`normalized` copy when something already built it; otherwise
        only the requested rows are normalised, in the one copy that gathering them makes. Both
        ways give the same bits.

        Parameters
        ----------
        rows : ndarray of int, bool mask or slice
            Pool rows to return.

        Returns
        -------
        ndarray of shape (len(rows), D), float32
        """
        cached = self.cache.get("X_l2")
        if cached is not None:
            return cached[rows]
        X = self.X[rows]
        if np.may_share_memory(X, self.X):  # a slice is a view: never normalise the pool in place
            X = X.copy()
        X /= np.maximum(np.linalg.norm(X, axis=1, keepdims=True), np.finfo(np.float32).tiny)
        return X.astype(np.float32, copy=False)

    def normalized(self) -> np.ndarray:
        """The whole L2-normalised pool (float32), computed once per run and kept in ``cache``.

        This is a second copy of the pool for the rest of the run (9.2 GB at 560k x 4096):
        strategies take the rows they need with :meth:`normalized_rows` instead. Only code that
        hands the full matrix to another library (the scikit-activeml reference runs) needs it.
        """
        Xn = self.cache.get("X_l2")
        if Xn is None:
            Xn = self.cache["X_l2"] = self.normalized_rows(slice(None))
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
        The implementation; its keyword-only parameters and their defaults are the strategy's
        parameters. The registry's :func:`~almodules.engine.strategies.select_batch` handles the edge
        cases (``b`` at least the unlabeled count, validation) before calling it.
    needs_probe : bool
        Whether it reads ``state.proba`` / ``state.probe``. A strategy that needs none can also
        select the initial pool (IPS).
    kind : str
        ``"random"``, ``"uncertainty"``, ``"diversity"`` or ``"hybrid"``.
    summary : str
        One line for listings.
    reference : str
        Citation key in ``book/references.bib``.
    query : bool
        Offered as a query strategy for the AL cycles (k-means is an initial-pool method only).
    rules : mapping of str to NumberRule or ChoiceRule
        The allowed values of each parameter; every parameter of ``select`` has one.
    ips_params : dict
        Parameters used when the strategy selects the initial pool (TYROGUE's cold start r = 1).
    ips_rules : mapping of str to NumberRule or ChoiceRule
        Stricter rules for parameters when it selects the initial pool (nothing is labeled then).
    at_least_batch : tuple of str
        Parameters that must be at least the batch size (a pre-filter that must hold a batch).
    version : int
        Bumped when a change of the implementation changes its picks: part of every run key, so
        runs stored before the change are recomputed rather than served.
    pool_work : bool
        Builds costly structures from the pool alone (kept in :attr:`PoolState.shared`): a grid runs
        its initial-pool-only runs on one pool together, so they are built once for all of them.
    """

    name: str
    select: SelectFn
    needs_probe: bool
    kind: str
    summary: str
    reference: str
    query: bool = True
    rules: Mapping[str, NumberRule | ChoiceRule] = field(default_factory=dict)
    ips_params: dict = field(default_factory=dict)
    ips_rules: Mapping[str, NumberRule | ChoiceRule] = field(default_factory=dict)
    at_least_batch: tuple[str, ...] = ()
    version: int = 1
    pool_work: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", MappingProxyType(dict(self.rules)))
        if set(self.rules) != set(self.defaults):
            raise TypeError(f"strategy {self.name!r}: rules {sorted(self.rules)} must cover exactly the "
                            f"parameters of {self.select.__name__}: {sorted(self.defaults)}")

    @property
    def defaults(self) -> dict[str, Any]:
        """Keyword parameters of :attr:`select` with their defaults."""
        return {p.name: p.default for p in inspect.signature(self.select).parameters.values()
                if p.kind is inspect.Parameter.KEYWORD_ONLY}

    def check_params(self, params: Mapping[str, Any], *, role: str = "strategy", batch: int | None = None) -> None:
        """Raise :class:`~almodules.core.validation.ConfigError` unless every name and value of
        ``params`` is allowed: by :attr:`rules` (and :attr:`ips_rules` for ``role="ips"``), and
        at least ``batch`` for :attr:`at_least_batch`."""
        for key, value in params.items():
            rule = self.rules[check_choice(f"parameter of strategy {self.name!r}", key, self.rules)]
            if role == "ips":
                rule = self.ips_rules.get(key, rule)
            rule.check(f"{'initial pool' if role == 'ips' else 'strategy'} {self.name!r} parameter {key}", value)
            if batch is not None and key in self.at_least_batch and value is not None:
                check_int(f"strategy {self.name!r} parameter {key} (at least the batch of {batch})", value,
                          minimum=batch)
