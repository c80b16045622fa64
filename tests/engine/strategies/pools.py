"""Pools for the strategy tests: blobs, noisy pools, generated layouts and the selection contract."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from almodules.engine.probe import LinearProbe
from almodules.engine.strategies import PoolState

SEED_BOUND = 2**31 - 1


def blobs(n_blobs: int, per_blob: int, dim: int = 12, spread: float = 0.3, seed: int = 0,
          sizes: list[int] | None = None):
    """Blobs around scaled basis vectors: far apart in angle, so also after L2 normalisation."""
    rng = np.random.default_rng(seed)
    sizes = sizes or [per_blob] * n_blobs
    X = np.concatenate([10.0 * np.eye(dim)[i] + spread * rng.standard_normal((s, dim))
                        for i, s in enumerate(sizes)]).astype(np.float32)
    y = np.repeat(np.arange(len(sizes)), sizes)
    return X, y


def pool(X, y, labeled_idx=(), n_classes=None, fit_probe=True) -> PoolState:
    n_classes = n_classes or int(y.max()) + 1
    labeled = np.zeros(len(X), dtype=bool)
    labeled[list(labeled_idx)] = True
    probe = proba = None
    if fit_probe and labeled.any():
        probe = LinearProbe(n_classes).fit(X[labeled], y[labeled])
        proba = probe.predict_proba(X)
    return PoolState(X, labeled, np.where(labeled, y, -1), n_classes, probe, proba)


def noisy_pool(n=400, dim=16, n_classes=4, n_labeled=40, seed=0) -> PoolState:
    """Overlapping classes, so the probe is unsure about many points."""
    rng = np.random.default_rng(seed)
    y = rng.integers(n_classes, size=n)
    X = (rng.standard_normal((n, dim)) + 0.8 * np.eye(dim)[y]).astype(np.float32)
    labeled = rng.choice(n, size=n_labeled, replace=False)
    return pool(X, y, labeled, n_classes)


def random_pool(n: int, dim: int, n_labeled: int, seed: int, n_classes: int = 3) -> tuple[PoolState, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(n_classes, size=n)
    X = (rng.standard_normal((n, dim)) + 1.5 * np.eye(dim)[y % dim]).astype(np.float32)
    labeled = np.zeros(n, dtype=bool)
    labeled[rng.choice(n, size=n_labeled, replace=False)] = True
    return PoolState(X, labeled, np.where(labeled, y, -1), n_classes), y


def skactiveml_y(state: PoolState) -> np.ndarray:
    return np.where(state.labeled, state.y, np.nan)


def unit(X: np.ndarray) -> np.ndarray:
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)


EXAMPLES = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


LAYOUTS = ("random", "duplicated", "identical", "grid")


def make_pool(layout: str, n: int, dim: int, n_classes: int, n_labeled: int,
              one_class: bool, seed: int) -> PoolState:
    """A pool of ``n`` points; the probe is fitted whenever something is labeled, as in a run."""
    rng = np.random.default_rng(seed)
    if layout == "random":
        X = rng.standard_normal((n, dim))
    elif layout == "duplicated":  # a few distinct points, each repeated
        X = rng.standard_normal((max(1, n // 4), dim))[rng.integers(max(1, n // 4), size=n)]
    elif layout == "identical":  # every distance and every score ties
        X = np.tile(rng.standard_normal(dim), (n, 1))
    else:  # integer lattice: many equal distances
        X = rng.integers(-1, 2, size=(n, dim)).astype(float)
    X = (X + 0.0).astype(np.float32)
    y = np.zeros(n, dtype=np.int64) if one_class else rng.integers(n_classes, size=n)
    labeled = np.zeros(n, dtype=bool)
    labeled[rng.choice(n, size=n_labeled, replace=False)] = True
    state = PoolState(X, labeled, np.where(labeled, y, -1), n_classes)
    if n_labeled:
        state.probe = LinearProbe(n_classes).fit(X[labeled], y[labeled])
        state.proba = state.probe.predict_proba(X)
    return state


@st.composite
def pools(draw, *, zero_labeled: bool = False):
    n = draw(st.integers(2, 40))
    n_labeled = 0 if zero_labeled else draw(st.integers(1, n - 1))
    spec = dict(
        layout=draw(st.sampled_from(LAYOUTS)), n=n, dim=draw(st.integers(1, 6)),
        n_classes=draw(st.integers(2, 4)), n_labeled=n_labeled,
        one_class=draw(st.booleans()), seed=draw(st.integers(0, 2**16)),
    )
    b = draw(st.integers(1, n + 2))
    return spec, b


def check_contract(state: PoolState, picks: np.ndarray, b: int) -> None:
    n_unlabeled = int((~state.labeled).sum())
    assert picks.dtype == np.int64
    assert len(picks) == min(b, n_unlabeled)
    assert len(np.unique(picks)) == len(picks)
    assert ((picks >= 0) & (picks < state.n_pool)).all()
    assert not state.labeled[picks].any()
    if b >= n_unlabeled:
        np.testing.assert_array_equal(np.sort(picks), state.unlabeled_indices())
