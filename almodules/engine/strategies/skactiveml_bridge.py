"""scikit-activeml 1.0.1 behind our strategy interface, as the reference to compare ours with.

:func:`reference_select` runs scikit-activeml's implementation of every strategy it has, on the
same pool and the same fitted probe, so tests and the benchmark can compare ours with it.

The probe fitted this cycle is handed over as a scikit-activeml classifier
(:func:`frozen_classifier`): ``SklearnClassifier`` around :class:`FrozenProbe`, whose ``fit`` does
not refit, so a strategy's built-in refit (``fit_clf=True``) could not change it either; we pass
``fit_clf=False``. Seeds for scikit-activeml's ``random_state`` are drawn from the run's generator.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from almodules.core.validation import check_choice, check_int
from almodules.engine.strategies.base import PoolState
from almodules.engine.strategies.sampling import draw_seed

__all__ = [
    "reference_select", "REFERENCE_STRATEGIES", "ReferenceSpec",
    "FrozenProbe", "frozen_classifier",
]

MISSING = -1


class FrozenProbe(ClassifierMixin, BaseEstimator):
    """A scikit-learn classifier view of an already fitted model; ``fit`` only records shapes.

    Parameters
    ----------
    proba_fn : callable
        ``proba_fn(X) -> (n, n_classes)`` probabilities, e.g. ``LinearProbe.predict_proba``.
    n_classes : int
        Number of classes of the task; classes are ``0 .. n_classes - 1``.
    """

    def __init__(self, proba_fn: Callable[[np.ndarray], np.ndarray] | None = None, n_classes: int = 2):
        self.proba_fn = proba_fn
        self.n_classes = n_classes

    def fit(self, X, y):
        """Record the classes and the feature count; the model itself stays as it was fitted."""
        self.classes_ = np.arange(self.n_classes)
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict_proba(self, X):
        """Probabilities of the wrapped model."""
        return self.proba_fn(X)

    def predict(self, X):
        """Most probable class (lowest index on ties)."""
        return self.predict_proba(X).argmax(axis=1)


def _skactiveml(module: str, name: str):
    return getattr(importlib.import_module(f"skactiveml.{module}"), name)


def frozen_classifier(proba_fn: Callable, n_classes: int, X_labeled: np.ndarray,
                      y_labeled: np.ndarray, seed: int):
    """scikit-activeml ``SklearnClassifier`` around a fitted model, "fitted" on the labeled rows."""
    wrapper = _skactiveml("classifier", "SklearnClassifier")
    clf = wrapper(FrozenProbe(proba_fn, n_classes), classes=np.arange(n_classes),
                  missing_label=MISSING, random_state=seed)
    return clf.fit(X_labeled, y_labeled)


def _y(state: PoolState) -> np.ndarray:
    return np.where(state.labeled, state.y, MISSING).astype(np.int64)


@dataclass(frozen=True)
class ReferenceSpec:
    """How to run one scikit-activeml strategy.

    Parameters
    ----------
    cls : str
        Class name in ``skactiveml.pool``.
    uses_probe : bool
        Whether ``query`` takes the classifier (passed with ``fit_clf=False``).
    normalized : bool
        Whether it sees the L2-normalised embeddings (those of our implementation of the same
        strategy) rather than the raw ones.
    defaults : dict
        Constructor arguments that differ from scikit-activeml's defaults.
    """

    cls: str
    uses_probe: bool
    normalized: bool = False
    defaults: dict = field(default_factory=dict)

    def make(self, seed: int, **params):
        """A fresh scikit-activeml strategy object."""
        return _skactiveml("pool", self.cls)(missing_label=MISSING, random_state=seed,
                                             **{**self.defaults, **params})


REFERENCE_STRATEGIES: dict[str, ReferenceSpec] = {
    "random": ReferenceSpec("RandomSampling", False),
    "margin": ReferenceSpec("UncertaintySampling", True, defaults={"method": "margin_sampling"}),
    "entropy": ReferenceSpec("UncertaintySampling", True, defaults={"method": "entropy"}),
    "least-confident": ReferenceSpec("UncertaintySampling", True, defaults={"method": "least_confident"}),
    "badge": ReferenceSpec("Badge", True),
    "coreset": ReferenceSpec("CoreSet", False),
    "probcover": ReferenceSpec("ProbCover", False, normalized=True),
    "typiclust": ReferenceSpec("TypiClust", False, normalized=True),
    # The paper's M = 3 passes (scikit-activeml's constructor default is 5).
    "dropquery": ReferenceSpec("DropQuery", True, defaults={"n_dropout_samples": 3}),
    "falcun": ReferenceSpec("Falcun", True),
    # The CAL paper's k = 10 neighbours (scikit-activeml's default is 5).
    "contrastive": ReferenceSpec("ContrastiveAL", True, defaults={"nearest_neighbors_dict": {"n_neighbors": 10}}),
}
"""Our registry names that scikit-activeml 1.0.1 implements, and how to call them."""


def reference_select(name: str, state: PoolState, b: int, rng: np.random.Generator, **params) -> np.ndarray:
    """Select ``b`` points with scikit-activeml's own implementation of strategy ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`REFERENCE_STRATEGIES`.
    state : PoolState
        Strategies that use the probe need ``state.probe``; it is not refitted.
    b : int
    rng : numpy.random.Generator
        One draw seeds scikit-activeml's ``random_state``.
    **params
        Passed to the scikit-activeml constructor (overriding the defaults above).

    Notes
    -----
    The strategy object is kept in ``state.cache`` for the run (reseeded at every call), so what
    scikit-activeml caches on it carries over between cycles, as when a user reuses the object:
    ProbCover keeps its distance matrix and its delta.

    Returns
    -------
    ndarray of int64
        ``min(b, #unlabeled)`` pool indices, in scikit-activeml's selection order.
    """
    spec = REFERENCE_STRATEGIES[check_choice("reference strategy", name, REFERENCE_STRATEGIES)]
    b = check_int("b", b, minimum=1)
    if spec.uses_probe and state.probe is None:
        raise ValueError(f"reference strategy {name!r} needs a fitted probe (state.probe)")
    unlabeled = state.unlabeled_indices()
    if b >= len(unlabeled):
        return unlabeled.astype(np.int64)
    seed = draw_seed(rng)
    X = state.normalized() if spec.normalized else state.X
    y = _y(state)
    key = ("skactiveml", name, repr(sorted(params.items())))
    strategy = state.cache.get(key)
    if strategy is None:
        strategy = state.cache[key] = spec.make(seed, **params)
    strategy.random_state = seed
    if spec.uses_probe:
        clf = frozen_classifier(state.probe.predict_proba, state.n_classes, X[state.labeled],
                                state.y[state.labeled], seed)
        picked = strategy.query(X, y, clf, fit_clf=False, batch_size=b)
    else:
        picked = strategy.query(X, y, batch_size=b)
    return np.asarray(picked, dtype=np.int64)
