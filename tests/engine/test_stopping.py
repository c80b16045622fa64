"""Stopping criteria: the same stop as small-text on the same predictions, causal, validated, and
refused on runs stored without signals."""

from __future__ import annotations

import numpy as np
import pytest
from small_text.stopping_criteria import (ClassificationChange, DeltaFScore, KappaAverage, MaxIterations,
                                          OverallUncertainty)

from almodules.core.validation import ConfigError
from almodules.engine.stop_signals import StopSignals
from almodules.engine.stopping import CRITERIA, StopHistory, check_criterion, fires, stop_cycle

N_POOL = 300  # below the stop set's size: the stop set is the whole pool, as small-text is fed here


def converging_probas(seed: int, n_classes: int, cycles: int = 25) -> list[np.ndarray]:
    """Probabilities of a model that settles: noise on the logits shrinks cycle after cycle."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=(N_POOL, n_classes)) * 6
    out = []
    for t in range(cycles):
        logits = truth + rng.normal(size=truth.shape) * 3.0 * 0.7 ** t
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        out.append(p / p.sum(axis=1, keepdims=True))
    return out


def history_of(probas: list[np.ndarray], n_classes: int) -> StopHistory:
    signals = StopSignals(N_POOL, n_classes, seed=0)
    labeled = np.zeros(N_POOL, bool)  # nothing labeled: the unlabeled pool is a fixed set, as small-text's
    rows = [{"n_labeled": 0, **signals.cycle(p, labeled, None if t == 0 else np.array([], int), None)}
            for t, p in enumerate(probas)]
    return StopHistory.from_rows(rows, n_pool=N_POOL, n_classes=n_classes)


def small_text_stop(criterion, probas: list[np.ndarray]) -> int | None:
    for t, p in enumerate(probas):
        if criterion.stop(predictions=p.argmax(axis=1), proba=p, indices_stopping=np.arange(N_POOL)):
            return t
    return None


CASES = [
    ("kappa-average", {}, lambda k: KappaAverage(k)),
    ("kappa-average", {"window": 2, "kappa": 0.9}, lambda k: KappaAverage(k, window_size=2, kappa=0.9)),
    ("classification-change", {}, lambda k: ClassificationChange(k)),
    ("classification-change", {"threshold": 0.02}, lambda k: ClassificationChange(k, threshold=0.02)),
    ("overall-uncertainty", {}, lambda k: OverallUncertainty(k)),
    ("overall-uncertainty", {"threshold": 0.2}, lambda k: OverallUncertainty(k, threshold=0.2)),
    ("max-iterations", {"max_iterations": 7}, lambda k: MaxIterations(7)),
]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n_classes", [2, 5])
@pytest.mark.parametrize("name, params, reference", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_same_stop_as_small_text(name, params, reference, n_classes, seed):
    probas = converging_probas(seed, n_classes)
    ours = stop_cycle(name, history_of(probas, n_classes), **params)
    assert ours == small_text_stop(reference(n_classes), probas)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("params", [{}, {"window": 2, "threshold": 0.1}])
def test_delta_f_same_stop_as_small_text(params, seed):
    probas = converging_probas(seed, 2)
    reference = DeltaFScore(2, window_size=params.get("window", 3), threshold=params.get("threshold", 0.05))
    assert stop_cycle("delta-f-score", history_of(probas, 2), **params) == small_text_stop(reference, probas)


def test_the_cases_stop_somewhere_and_not_at_once():
    # The comparison above is only worth something if the criteria fire mid-run on these sequences.
    stops = [stop_cycle(n, history_of(converging_probas(0, 5), 5), **p) for n, p, _ in CASES]
    assert sum(s is not None and s > 0 for s in stops) >= 5 and len(set(stops)) > 2


@pytest.mark.parametrize("name", sorted(CRITERIA))
def test_criteria_are_causal(name):
    n_classes = 2
    h = history_of(converging_probas(1, n_classes), n_classes)
    full = fires(name, h)
    for t in range(1, len(h)):
        prefix = StopHistory({k: v[:t] for k, v in h.signals.items()}, h.n_labeled[:t], h.n_pool, n_classes)
        assert np.array_equal(fires(name, prefix), full[:t])


def test_max_confidence_and_accuracy_plateau_fire_where_their_signal_stalls():
    conf = np.array([0.3, 0.5, 0.6, 0.65, 0.64, 0.7, 0.69, 0.68])
    nan = np.full(8, np.nan)
    h = StopHistory({"stop_confidence": conf, "batch_accuracy": nan, "stop_kappa": nan, "stop_delta_f": nan,
                     "stop_entropy": nan, "stop_agreement": nan, "pool_changed": nan, "batch_uncertainty": nan},
                    np.arange(8) * 10, 1000, 3)
    assert stop_cycle("max-confidence", h) == 4
    assert stop_cycle("max-confidence", h, window=2) == 7
    acc = np.array([np.nan, 0.4, 0.5, 0.6, 0.7, 0.72, 0.72, 0.73, 0.72])
    h = StopHistory({**h.signals, "batch_accuracy": acc, "stop_confidence": np.ones(9)}, np.arange(9), 1000, 3)
    # windows of 2 at cycle 7: mean(0.72, 0.73) - mean(0.7, 0.72) = 0.015; at 8: 0.725 - 0.72 = 0.005
    assert stop_cycle("accuracy-plateau", h, window=2, threshold=0.02) == 7
    assert stop_cycle("accuracy-plateau", h, window=2, threshold=0.01) == 8
    assert stop_cycle("accuracy-plateau", h, window=2, threshold=0.0) is None


@pytest.mark.parametrize("name, params, message", [
    ("kappa-averag", {}, r"unknown stopping criterion 'kappa-averag'; allowed values: accuracy-plateau"),
    ("kappa-average", {"window": 0}, r"stopping criterion 'kappa-average' parameter window must be >= 1, got 0"),
    ("kappa-average", {"kappa": 1.5}, r"parameter kappa must be <= 1.0, got 1.5"),
    ("classification-change", {"threshold": -0.1}, r"parameter threshold must be >= 0.0, got -0.1"),
    ("overall-uncertainty", {"threshold": 1.0}, r"parameter threshold must be < 1.0, got 1.0"),
    ("max-confidence", {"windows": 2}, r"unknown parameter of stopping criterion 'max-confidence' 'windows'"),
    ("max-iterations", {"max_iterations": 2.5}, r"max_iterations must be an integer, got 2.5"),
])
def test_bad_parameters_are_refused(name, params, message):
    with pytest.raises(ConfigError, match=message):
        check_criterion(name, params)


def test_two_class_criterion_refused_on_more_classes():
    with pytest.raises(ConfigError, match=r"'delta-f-score' works on two-class tasks only, this one has 5"):
        check_criterion("delta-f-score", n_classes=5)


def test_runs_without_signals_are_refused():
    rows = [{"n_labeled": 10 * t, "accuracy": 0.5} for t in range(5)]  # a run stored before the signals
    h = StopHistory.from_rows(rows, n_pool=100, n_classes=3)
    with pytest.raises(ConfigError, match=r"needs the signals stop_kappa, which this run lacks .* recompute it"):
        stop_cycle("kappa-average", h)
    assert stop_cycle("max-iterations", h, max_iterations=3) == 2  # needs no signal
