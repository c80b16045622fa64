"""The linear probe: scikit-learn's ``LogisticRegression`` over every class of the task.

The paper retrains ``LogisticRegression(solver="lbfgs", max_iter=1000)`` on the whole labeled pool
each cycle. Early in a run some classes have no labeled example (or only one class has any), so
scikit-learn's model knows fewer classes than the task. :class:`LinearProbe` maps its outputs back
to all ``n_classes`` columns: absent classes get probability 0 and zero weights, and with a single
labeled class the probe predicts that class with probability 1.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.linear_model import LogisticRegression

from almodules.core.validation import ConfigError

__all__ = ["ProbeParams", "LinearProbe"]


@dataclass(frozen=True)
class ProbeParams:
    """Hyper-parameters of the probe; defaults are the paper's."""

    C: float = 1.0
    max_iter: int = 1000
    tol: float = 1e-4
    warm_start: bool = False


@dataclass
class LinearProbe:
    """Multinomial logistic regression whose outputs always span ``n_classes`` columns.

    Parameters
    ----------
    n_classes : int
        Number of classes of the task (not only those seen so far).
    params : ProbeParams
        Solver settings. With ``warm_start=True`` a refit starts from the previous weights when
        the set of labeled classes is unchanged (cold otherwise).
    """

    n_classes: int
    params: ProbeParams = field(default_factory=ProbeParams)
    classes_: np.ndarray | None = field(default=None, init=False)
    coef_: np.ndarray | None = field(default=None, init=False)
    intercept_: np.ndarray | None = field(default=None, init=False)
    n_iter_: int = field(default=0, init=False)
    _model: LogisticRegression | None = field(default=None, init=False, repr=False)

    def fit(self, X: np.ndarray, y: np.ndarray) -> "LinearProbe":
        """Fit on labeled rows ``X`` with integer labels ``y`` in ``[0, n_classes)``."""
        y = np.asarray(y)
        classes = np.unique(y)
        if classes.size and (classes[0] < 0 or classes[-1] >= self.n_classes):
            raise ConfigError(f"labels must lie in [0, {self.n_classes}), got {classes.min()}..{classes.max()}")
        self.coef_ = np.zeros((self.n_classes, X.shape[1]), dtype=np.float64)
        self.intercept_ = np.full(self.n_classes, -np.inf if classes.size == 1 else 0.0)
        if classes.size == 1:
            # One labeled class: the only consistent prediction is that class, with certainty.
            self.intercept_[classes[0]] = 0.0
            self.classes_, self._model, self.n_iter_ = classes, None, 0
            return self
        model = self._model
        reuse = self.params.warm_start and model is not None and np.array_equal(self.classes_, classes)
        if not reuse:
            model = LogisticRegression(
                C=self.params.C, max_iter=self.params.max_iter, tol=self.params.tol,
                solver="lbfgs", warm_start=self.params.warm_start,
            )
        with warnings.catch_warnings():
            # A cold start with one example per class trips scikit-learn's "looks like regression"
            # heuristic (> 50 % unique labels); here that is the expected regime, not a mistake.
            warnings.filterwarnings("ignore", message="The number of unique classes is greater than 50%")
            model.fit(X, y)
        self._model, self.classes_ = model, classes
        self.n_iter_ = int(np.max(model.n_iter_))
        if classes.size == 2:
            # scikit-learn stores one weight vector for two classes; spread it as a softmax pair.
            w, c = model.coef_[0] / 2.0, model.intercept_[0] / 2.0
            self.coef_[classes[0]], self.coef_[classes[1]] = -w, w
            self.intercept_[classes[0]], self.intercept_[classes[1]] = -c, c
        else:
            self.coef_[classes] = model.coef_
            self.intercept_[classes] = model.intercept_
        self.intercept_[np.setdiff1d(np.arange(self.n_classes), classes)] = -np.inf
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Logits over all classes, ``-inf`` for classes without a labeled example."""
        self._check_fitted()
        X = np.asarray(X)
        # Stay in the embeddings' float32 for the product: a float64 copy of a 560k x 4096 pool is 18 GB.
        dtype = np.float32 if X.dtype == np.float32 else np.float64
        return (X @ self.coef_.T.astype(dtype)).astype(np.float64) + self.intercept_

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, shape ``(n, n_classes)``; rows sum to one."""
        logits = self.decision_function(X)
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        return logits

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most probable class index per row."""
        return self.predict_proba(X).argmax(axis=1)

    def _check_fitted(self) -> None:
        if self.coef_ is None:
            raise RuntimeError("the probe is not fitted yet; call fit(X, y) first")
