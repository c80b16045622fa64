"""Per-cycle stopping signals: a handful of numbers per cycle from which any stopping criterion
(:mod:`almodules.engine.stopping`) can be evaluated afterwards, without recomputing the run.

The signals of cycle ``t`` come from the probe fitted at ``t`` (its probabilities on the whole
pool, which the query strategy needs anyway) and the probe fitted at ``t - 1``:

``stop_agreement`` / ``stop_kappa``
    Share of the *stop set* whose predicted class is unchanged since ``t - 1``, and Cohen's kappa
    between the two cycles' predictions there (Bloodgood and Vijay-Shanker's stabilizing
    predictions). The stop set is a seeded random subset of the **pool** (never the test split:
    Kurlandski and Bloodgood 2022 show that a biased stop set misleads the criteria), drawn
    from its own stream so that it changes no other random draw of the run.
``stop_delta_f``
    Two-class tasks: ``1 - F1`` of this cycle's positive-class (class 1) predictions on the stop
    set against the previous cycle's (Altschuler and Bloodgood 2019); ``None`` with more classes
    or when neither cycle predicts the positive class there.
``stop_confidence`` / ``stop_entropy``
    Mean top-class probability and mean predictive entropy (nats) on the stop set
    (Vlachos' maximum confidence, small-text's overall uncertainty).
``pool_changed``
    Number of pool points, unlabeled at ``t``, whose predicted class changed since ``t - 1``
    (small-text's classification change).
``batch_uncertainty`` / ``batch_accuracy``
    For the batch labeled just before cycle ``t``: its mean ``1 - max probability`` and the share
    of its points the ``t - 1`` probe classified right, judged against the labels the batch then
    received (an estimate of the current accuracy from labeled data only, biased low for
    uncertainty strategies, which pick hard points).

Signals that need a previous cycle are ``None`` at cycle 0.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SIGNALS", "STOP_SET_SIZE", "STOP_SET_STREAM", "stop_set", "cohen_kappa", "delta_f", "StopSignals", "step_signals"]

SIGNALS: tuple[str, ...] = ("stop_agreement", "stop_kappa", "stop_delta_f", "stop_confidence", "stop_entropy",
                            "pool_changed", "batch_uncertainty", "batch_accuracy")
"""Names of the per-cycle signals, in the order the result store keeps them."""

STOP_SET_SIZE = 1000
"""Points in the stop set (all of the pool when it is smaller)."""

STOP_SET_STREAM = 0x5707
"""Second word of the stop set's seed, ``(run seed, STOP_SET_STREAM)``: a stream of its own."""


def stop_set(n_pool: int, seed: int, size: int = STOP_SET_SIZE) -> np.ndarray:
    """Sorted pool positions of the stop set of a run with ``seed``: ``size`` of ``n_pool``, uniform."""
    rng = np.random.default_rng([seed, STOP_SET_STREAM])
    if n_pool <= size:
        return np.arange(n_pool, dtype=np.int64)
    return np.sort(rng.choice(n_pool, size=size, replace=False)).astype(np.int64)


def cohen_kappa(a: np.ndarray, b: np.ndarray, n_classes: int) -> float:
    """Cohen's kappa of two label vectors (1.0 when both are one and the same constant)."""
    n = len(a)
    observed = float(np.mean(a == b))
    pa = np.bincount(a, minlength=n_classes) / n
    pb = np.bincount(b, minlength=n_classes) / n
    expected = float(pa @ pb)
    if expected >= 1.0:
        return 1.0
    return (observed - expected) / (1.0 - expected)


def delta_f(previous: np.ndarray, current: np.ndarray) -> float | None:
    """``1 - F1`` between two cycles' two-class predictions, class 1 positive (``None``: no positives)."""
    both = int(np.count_nonzero((previous == 1) & (current == 1)))
    either = both + int(np.count_nonzero(previous != current))
    return None if either == 0 else 1.0 - 2.0 * both / (both + either)


def _entropy(proba: np.ndarray) -> np.ndarray:
    safe = np.where(proba > 0, proba, 1.0)
    return -(proba * np.log(safe)).sum(axis=1)


class StopSignals:
    """Computes the signals cycle after cycle for one run.

    Parameters
    ----------
    n_pool : int
        Points in the pool.
    n_classes : int
    seed : int
        The run's seed (draws the stop set).
    """

    def __init__(self, n_pool: int, n_classes: int, seed: int) -> None:
        self.n_classes = n_classes
        self.stop = stop_set(n_pool, seed)
        self._previous: np.ndarray | None = None  # the previous cycle's predicted class per pool point
        self._previous_top: np.ndarray | None = None  # ... and its top-class probability

    def cycle(self, proba: np.ndarray, labeled: np.ndarray, batch: np.ndarray | None,
              batch_labels: np.ndarray | None) -> dict[str, float | int | None]:
        """The signals of one cycle.

        Parameters
        ----------
        proba : ndarray, shape (n_pool, n_classes)
            The probe of this cycle on the whole pool.
        labeled : ndarray of bool, shape (n_pool,)
            Labeled points at this cycle (the batch included).
        batch, batch_labels : ndarray of int, or None
            Pool positions of the batch labeled since the previous cycle, and their labels;
            ``None`` at cycle 0.
        """
        predicted = proba.argmax(axis=1)
        on_stop = proba[self.stop]
        row: dict[str, float | int | None] = {
            "stop_confidence": float(on_stop.max(axis=1).mean()),
            "stop_entropy": float(_entropy(on_stop).mean()),
        }
        previous = self._previous
        if previous is None:
            row.update(stop_agreement=None, stop_kappa=None, stop_delta_f=None, pool_changed=None)
        else:
            a, b = previous[self.stop], predicted[self.stop]
            row.update(stop_agreement=float(np.mean(a == b)), stop_kappa=cohen_kappa(a, b, self.n_classes),
                       stop_delta_f=delta_f(a, b) if self.n_classes == 2 else None,
                       pool_changed=int(np.count_nonzero((previous != predicted) & ~labeled)))
        if batch is None or previous is None or len(batch) == 0:
            row.update(batch_uncertainty=None, batch_accuracy=None)
        else:
            row.update(batch_uncertainty=float(1.0 - self._previous_top[batch].mean()),
                       batch_accuracy=float(np.mean(previous[batch] == batch_labels)))
        self._previous, self._previous_top = predicted, proba.max(axis=1)
        return {name: row[name] for name in SIGNALS}


def step_signals(previous: np.ndarray | None, current: np.ndarray, labeled: np.ndarray, batch: np.ndarray,
                 batch_labels: np.ndarray, seed: int) -> dict[str, float | int | None]:
    """The signals of one cycle from the previous cycle's probabilities (``None`` at the first) and
    this cycle's, without state: what a labeling session records, batch after batch."""
    signals = StopSignals(len(current), current.shape[1], seed)
    if previous is not None:
        signals.cycle(previous, labeled, None, None)
    return signals.cycle(current, labeled, batch if previous is not None else None, batch_labels)
