"""Per-cycle stopping signals: what each measures, recomputed independently from a run's own
selections, and that recording them changes no result."""

from __future__ import annotations

import numpy as np
import pytest
from engine_fakes import blobs, config
from sklearn.metrics import cohen_kappa_score

from almodules.engine.experiment import run_experiment
from almodules.engine.probe import LinearProbe
from almodules.engine.stop_signals import SIGNALS, STOP_SET_SIZE, StopSignals, cohen_kappa, stop_set

pytestmark = pytest.mark.usefixtures("blob_registry")


def test_stop_set_is_a_seeded_sample_of_the_pool():
    a, b = stop_set(5000, seed=3), stop_set(5000, seed=3)
    assert np.array_equal(a, b) and len(a) == STOP_SET_SIZE == len(np.unique(a)) and a.max() < 5000
    assert not np.array_equal(a, stop_set(5000, seed=4))
    assert np.array_equal(stop_set(300, seed=0), np.arange(300))  # a small pool is its own stop set


@pytest.mark.parametrize("seed", range(5))
def test_kappa_matches_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 4, 200)
    b = np.where(rng.random(200) < 0.7, a, rng.integers(0, 4, 200))
    assert cohen_kappa(a, b, 4) == pytest.approx(cohen_kappa_score(a, b))
    assert cohen_kappa(np.zeros(5, int), np.zeros(5, int), 3) == 1.0  # one constant class agreed on


def test_signals_recomputed_from_the_runs_own_selections():
    data, emb = blobs()
    cfg = config(strategy="margin", seed=1)
    result = run_experiment(cfg, emb, data)
    rows = result.cycles
    assert all(set(SIGNALS) <= set(row) for row in rows)
    assert all(rows[0][name] is None for name in ("stop_agreement", "stop_kappa", "pool_changed",
                                                  "batch_uncertainty", "batch_accuracy"))
    # Replay: fit the probe on the run's labeled set cycle by cycle and recompute each signal.
    X, y = emb.train, np.asarray(data.train_labels)
    stop = stop_set(len(X), cfg.seed)
    labeled = np.zeros(len(X), bool)
    previous = previous_proba = None
    probe = LinearProbe(data.n_classes if hasattr(data, "n_classes") else len(data.classes), cfg.probe)
    for row in rows:
        batch = np.asarray(row["selected"])
        labeled[batch] = True
        proba = probe.fit(X[labeled], y[labeled]).predict_proba(X)
        assert row["stop_confidence"] == pytest.approx(proba[stop].max(axis=1).mean())
        p = np.clip(proba[stop], 1e-300, 1)
        assert row["stop_entropy"] == pytest.approx(-(proba[stop] * np.log(p)).sum(axis=1).mean())
        if previous is not None:
            now = proba.argmax(axis=1)
            assert row["stop_agreement"] == pytest.approx(np.mean(now[stop] == previous[stop]))
            assert row["pool_changed"] == np.count_nonzero((now != previous) & ~labeled)
            assert row["batch_accuracy"] == pytest.approx(np.mean(previous[batch] == y[batch]))
            assert row["batch_uncertainty"] == pytest.approx(1 - previous_proba[batch].max(axis=1).mean())
        previous, previous_proba = proba.argmax(axis=1), proba
    # The probe gets better: the signals of a learning run move the way the criteria expect.
    assert rows[-1]["stop_agreement"] >= rows[1]["stop_agreement"]
    assert rows[-1]["stop_confidence"] > rows[0]["stop_confidence"]


def test_constant_predictions_are_perfectly_stable():
    signals = StopSignals(50, 3, seed=0)
    proba = np.tile([0.7, 0.2, 0.1], (50, 1))
    labeled = np.zeros(50, bool)
    first = signals.cycle(proba, labeled, None, None)
    second = signals.cycle(proba, labeled, np.array([1, 2]), np.array([0, 1]))
    assert first["stop_kappa"] is None and second["stop_kappa"] == 1.0 and second["stop_agreement"] == 1.0
    assert second["pool_changed"] == 0 and second["batch_accuracy"] == 0.5
    assert second["batch_uncertainty"] == pytest.approx(0.3)
