"""Stopping criteria: when labeling more is no longer expected to pay, judged from the per-cycle
signals every run records (:mod:`almodules.engine.stop_signals`).

Each criterion is a small pure function of a run's signal history that says, for every cycle,
whether it fires there, using only that cycle and earlier ones (so the same function serves a
finished run and a person labeling live). A run *stops* at the first cycle where its criterion
fires. Parameters are named, defaulted and validated like a strategy's.

Where small-text implements a criterion, the defaults and the rule are small-text 1.4's (its
``KappaAverage`` docstring says kappa 0.05, its code uses 0.99: the code's value is used here),
fed with signals on this package's stop set:

========================== ======================================================================
``max-iterations``         stop after a fixed number of checks (small-text ``MaxIterations``)
``kappa-average``          stabilizing predictions: mean Cohen's kappa between consecutive cycles'
                           predictions on the stop set over ``window`` cycles >= ``kappa``
                           (Bloodgood and Vijay-Shanker 2009; small-text ``KappaAverage``)
``classification-change``  at most ``threshold`` of the unlabeled pool changed its predicted class
                           (Zhu, Wang and Hovy 2008; small-text ``ClassificationChange``)
``overall-uncertainty``    mean normalised entropy on the stop set < ``threshold`` (Zhu, Wang and
                           Hovy 2008; small-text ``OverallUncertainty``)
``delta-f-score``          two-class tasks: the F-score between consecutive predictions on the stop
                           set changed by < ``threshold`` for ``window`` cycles (Altschuler and
                           Bloodgood 2019; small-text ``DeltaFScore``)
``max-confidence``         mean top-class confidence on the stop set stopped rising for ``window``
                           cycles (Vlachos 2008)
``accuracy-plateau``       the accuracy of each cycle's model on the batch labeled next, averaged
                           over ``window`` cycles, gained <= ``threshold`` on the window before
                           (a performance estimate from labeled data only; Laws and Schütze 2008)
========================== ======================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from almodules.core.validation import ConfigError, NumberRule, check_choice
from almodules.engine.stop_signals import SIGNALS

__all__ = ["StopHistory", "CriterionSpec", "CRITERIA", "check_criterion", "fires", "stop_cycle", "live_status"]


@dataclass(frozen=True)
class StopHistory:
    """The signals of one run (or a labeling session) so far, one entry per cycle.

    Parameters
    ----------
    signals : mapping of str to array of float
        Each of :data:`~almodules.engine.stop_signals.SIGNALS`, NaN where undefined (cycle 0).
    n_labeled : ndarray of int
        Labeled points at each cycle.
    n_pool, n_classes : int
    """

    signals: Mapping[str, np.ndarray]
    n_labeled: np.ndarray
    n_pool: int
    n_classes: int

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, Any]] | Any, *, n_pool: int, n_classes: int) -> "StopHistory":
        """From cycle rows (dicts, or a cycles DataFrame of one run in cycle order); a signal the
        rows lack (runs stored before the signals existed) is all NaN."""
        if hasattr(rows, "to_dict"):
            rows = rows.to_dict("records")
        signals = {name: np.array([np.nan if (v := row.get(name)) is None else float(v) for row in rows])
                   for name in SIGNALS}
        return cls(signals, np.array([int(row["n_labeled"]) for row in rows]), n_pool, n_classes)

    def __len__(self) -> int:
        return len(self.n_labeled)

    @property
    def recorded(self) -> bool:
        """False for a run stored before runs recorded signals (``stop_confidence`` is defined at every
        cycle of any run that has them)."""
        return not np.isnan(self.signals["stop_confidence"]).all()


def _window_all(ok: np.ndarray, window: int) -> np.ndarray:
    """``out[t]``: ``ok`` held at each of the cycles ``t - window + 1 .. t``."""
    out = np.zeros(len(ok), dtype=bool)
    run = 0
    for t, value in enumerate(ok):
        run = run + 1 if value else 0
        out[t] = run >= window
    return out


def _trailing_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last ``window`` defined values up to each cycle (NaN until there are that many)."""
    out = np.full(len(values), np.nan)
    seen: list[float] = []
    for t, value in enumerate(values):
        if not np.isnan(value):
            seen.append(value)
        if len(seen) >= window:
            out[t] = float(np.mean(seen[-window:]))
    return out


def _max_iterations(h: StopHistory, *, max_iterations: int) -> np.ndarray:
    return np.arange(len(h)) + 1 >= max_iterations


def _kappa_average(h: StopHistory, *, window: int, kappa: float) -> np.ndarray:
    return _trailing_mean(h.signals["stop_kappa"], window) >= kappa


def _classification_change(h: StopHistory, *, threshold: float) -> np.ndarray:
    changed, unlabeled = h.signals["pool_changed"], h.n_pool - h.n_labeled
    with np.errstate(invalid="ignore"):
        return (unlabeled - changed) >= unlabeled * (1 - threshold)


def _overall_uncertainty(h: StopHistory, *, threshold: float) -> np.ndarray:
    if h.n_classes < 2:
        return np.zeros(len(h), dtype=bool)
    with np.errstate(invalid="ignore"):
        return h.signals["stop_entropy"] / np.log(h.n_classes) < threshold


def _delta_f_score(h: StopHistory, *, window: int, threshold: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return _window_all(h.signals["stop_delta_f"] < threshold, window)


def _max_confidence(h: StopHistory, *, window: int, min_gain: float) -> np.ndarray:
    confidence = h.signals["stop_confidence"]
    gain = np.concatenate(([np.nan], np.diff(confidence)))
    with np.errstate(invalid="ignore"):
        return _window_all(gain <= min_gain, window)


def _accuracy_plateau(h: StopHistory, *, window: int, threshold: float) -> np.ndarray:
    recent = _trailing_mean(h.signals["batch_accuracy"], window)
    before = np.full(len(h), np.nan)
    defined = np.flatnonzero(~np.isnan(h.signals["batch_accuracy"]))
    for t in range(len(h)):
        upto = defined[defined <= t]
        if len(upto) >= 2 * window:
            before[t] = float(np.mean(h.signals["batch_accuracy"][upto[-2 * window:-window]]))
    with np.errstate(invalid="ignore"):
        return recent - before <= threshold


@dataclass(frozen=True)
class CriterionSpec:
    """A registered stopping criterion.

    Parameters
    ----------
    name : str
    rule : callable
        ``rule(history, **params) -> ndarray of bool``, one entry per cycle, causal.
    defaults : dict
        Every parameter with its default.
    rules : mapping of str to NumberRule
        The allowed values of each parameter.
    needs : tuple of str
        The signals it reads.
    message : str
        What it means when it fires, formatted with the parameters (said to a person labeling).
    summary : str
    reference : str
    two_class_only : bool
    small_text : str or None
        The small-text class it reproduces.
    """

    name: str
    rule: Callable[..., np.ndarray]
    defaults: Mapping[str, Any]
    rules: Mapping[str, NumberRule]
    needs: tuple[str, ...]
    message: str
    summary: str
    reference: str
    two_class_only: bool = False
    small_text: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "defaults", MappingProxyType(dict(self.defaults)))
        object.__setattr__(self, "rules", MappingProxyType(dict(self.rules)))
        if set(self.rules) != set(self.defaults):
            raise TypeError(f"criterion {self.name!r}: rules must cover exactly its parameters {sorted(self.defaults)}")


_WINDOW = NumberRule(integer=True, minimum=1, maximum=100)
_SHARE = NumberRule(minimum=0.0, maximum=1.0)

CRITERIA: dict[str, CriterionSpec] = {spec.name: spec for spec in (
    CriterionSpec("max-iterations", _max_iterations, {"max_iterations": 20},
                  {"max_iterations": NumberRule(integer=True, minimum=1)}, (),
                  "this was check {max_iterations}, the fixed number of batches set in advance",
                  "a fixed number of checks", "small-text MaxIterations", small_text="MaxIterations"),
    CriterionSpec("kappa-average", _kappa_average, {"window": 3, "kappa": 0.99},
                  {"window": _WINDOW, "kappa": NumberRule(minimum=-1.0, maximum=1.0)}, ("stop_kappa",),
                  "the predictions have been stable for {window} batches (mean kappa >= {kappa}): labeling more "
                  "is expected to change little", "stabilizing predictions on the stop set",
                  "Bloodgood and Vijay-Shanker 2009", small_text="KappaAverage"),
    CriterionSpec("classification-change", _classification_change, {"threshold": 0.0}, {"threshold": _SHARE},
                  ("pool_changed",),
                  "at most {threshold:.0%} of the unlabeled pool changed its predicted class in the last batch",
                  "predictions on the unlabeled pool stopped changing", "Zhu, Wang and Hovy 2008",
                  small_text="ClassificationChange"),
    CriterionSpec("overall-uncertainty", _overall_uncertainty, {"threshold": 0.05},
                  {"threshold": NumberRule(minimum=0.0, below=1.0)}, ("stop_entropy",),
                  "the model is confident on the stop set (mean normalised entropy < {threshold})",
                  "low uncertainty on the stop set", "Zhu, Wang and Hovy 2008", small_text="OverallUncertainty"),
    CriterionSpec("delta-f-score", _delta_f_score, {"window": 3, "threshold": 0.05},
                  {"window": _WINDOW, "threshold": NumberRule(above=0.0, maximum=1.0)}, ("stop_delta_f",),
                  "the predicted F-score has changed by < {threshold} for {window} batches",
                  "stable F-score between consecutive models (two classes)", "Altschuler and Bloodgood 2019",
                  two_class_only=True, small_text="DeltaFScore"),
    CriterionSpec("max-confidence", _max_confidence, {"window": 1, "min_gain": 0.0},
                  {"window": _WINDOW, "min_gain": _SHARE}, ("stop_confidence",),
                  "the model's confidence on the stop set has not risen (by more than {min_gain}) for {window} "
                  "batch(es)", "confidence on the stop set stopped rising", "Vlachos 2008"),
    CriterionSpec("accuracy-plateau", _accuracy_plateau, {"window": 3, "threshold": 0.01},
                  {"window": _WINDOW, "threshold": NumberRule(minimum=-1.0, maximum=1.0)}, ("batch_accuracy",),
                  "the accuracy on newly labeled batches gained <= {threshold} over the last {window} batches",
                  "estimated accuracy on new labels stopped improving", "Laws and Schütze 2008"),
)}
"""The stopping criteria by name."""


def check_criterion(name: str, params: Mapping[str, Any] | None = None, *, n_classes: int | None = None) -> dict:
    """The parameters of criterion ``name`` completed with its defaults; refuses an unknown name,
    an unknown parameter or a value outside its range, and a two-class criterion on more classes."""
    spec = CRITERIA[check_choice("stopping criterion", name, CRITERIA)]
    completed = {**spec.defaults, **(params or {})}
    for key, value in completed.items():
        rule = spec.rules[check_choice(f"parameter of stopping criterion {name!r}", key, spec.rules)]
        completed[key] = rule.check(f"stopping criterion {name!r} parameter {key}", value)
    if spec.two_class_only and n_classes is not None and n_classes != 2:
        raise ConfigError(f"stopping criterion {name!r} works on two-class tasks only, this one has {n_classes} "
                          f"classes; allowed criteria here: {', '.join(n for n, s in CRITERIA.items() if not s.two_class_only)}")
    return completed


def fires(name: str, history: StopHistory, **params: Any) -> np.ndarray:
    """Per cycle, whether criterion ``name`` fires there (from that cycle and earlier ones only).

    Raises
    ------
    ConfigError
        Bad parameters, or a signal the criterion needs is missing from the whole history (a run
        stored before the signals were recorded: recompute it).
    """
    completed = check_criterion(name, params, n_classes=history.n_classes)
    spec = CRITERIA[name]
    if spec.needs and not history.recorded:
        raise ConfigError(f"stopping criterion {name!r} needs the signals {', '.join(spec.needs)}, which this run "
                          "lacks (stored before runs recorded stopping signals): recompute it")
    return np.asarray(spec.rule(history, **completed), dtype=bool)


def stop_cycle(name: str, history: StopHistory, **params: Any) -> int | None:
    """The first cycle where criterion ``name`` fires, or ``None`` when it never does."""
    hits = np.flatnonzero(fires(name, history, **params))
    return int(hits[0]) if hits.size else None


def live_status(name: str, history: StopHistory, **params: Any) -> tuple[bool, str]:
    """Whether criterion ``name`` fires at the latest cycle of ``history``, and a sentence for the
    person labeling: what the criterion reads and, when it fires, what that means (labeling goes on
    if the person wants: a criterion advises, it never stops anyone)."""
    completed = check_criterion(name, params, n_classes=history.n_classes)
    spec = CRITERIA[name]
    if spec.needs and not history.recorded:
        return False, f"{name}: no signal yet (it needs a first fitted model)"
    hit = bool(fires(name, history, **completed)[-1]) if len(history) else False
    latest = {s: history.signals[s][-1] for s in spec.needs}
    shown = ", ".join(f"{s} {v:.3f}" for s, v in latest.items() if not np.isnan(v)) or "not defined yet"
    if hit:
        return True, f"{name} fires: {spec.message.format(**completed)}. You may stop here (or go on)."
    return False, f"{name}: {shown}; not firing yet ({spec.summary})"
