"""Synthetic data and registry entries for the engine tests (experiment, store, grid).

Gaussian blobs stand in for embedded datasets so these tests need no model, no data file and
no other module's progress. ``load_blobs`` is a module-level function so grid workers (loky,
Dask) can import it by name.
"""

from __future__ import annotations

import importlib
import os
import sys
import types
from types import MappingProxyType, SimpleNamespace

import numpy as np

from almodules.experiment import RunInputs, load_inputs

#: name -> (budget, n_classes, n_train, n_test, dim, spread, data seed)
BLOBS = {
    "blobs": (60, 4, 300, 200, 16, 2.0, 0),
    "blobs-nobudget": (None, 3, 240, 120, 8, 1.5, 1),
    "blobs-wide": (200, 10, 1500, 500, 64, 2.5, 2),
}
EMBEDDER = "gauss"


def blobs(name: str = "blobs") -> tuple[SimpleNamespace, SimpleNamespace]:
    """A (dataset, embeddings) pair: class-conditional Gaussians around random centres."""
    _, n_classes, n_train, n_test, dim, spread, seed = BLOBS[name]
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(n_classes, dim))
    y = rng.integers(0, n_classes, size=n_train + n_test)
    X = (centres[y] + rng.normal(scale=spread, size=(len(y), dim))).astype(np.float32)
    dataset = SimpleNamespace(name=name, classes=tuple(f"c{i}" for i in range(n_classes)),
                              train_labels=y[:n_train], test_labels=y[n_train:])
    embeddings = SimpleNamespace(train=X[:n_train], test=X[n_train:])
    return dataset, embeddings


LOADER_LOG = "ALM_TEST_LOADER_LOG"
"""Environment variable: a file where :func:`load_blobs` appends one line per call."""


def load_blobs(dataset: str, embedder: str) -> RunInputs:
    """Grid loader: the validated inputs of a synthetic dataset (any embedder name)."""
    log = os.environ.get(LOADER_LOG)
    if log:
        with open(log, "a") as fh:
            fh.write(f"{os.getpid()} {dataset} {embedder}\n")
    data, embeddings = blobs(dataset)
    return load_inputs(dataset, embedder, data=data, embeddings=embeddings)


def _module(monkeypatch, name: str) -> types.ModuleType:
    try:
        return importlib.import_module(name)
    except Exception:  # not written yet, or broken mid-edit: stand in with an empty module
        module = types.ModuleType(name)
        monkeypatch.setitem(sys.modules, name, module)
        return module


def register(monkeypatch) -> None:
    """Add the blobs datasets and the ``gauss`` embedder to the registries, for one test."""
    datasets = _module(monkeypatch, "almodules.datasets")
    specs = {name: SimpleNamespace(name=name, budget=b, n_classes=c, n_train=n)
             for name, (b, c, n, *_) in BLOBS.items()}
    monkeypatch.setattr(datasets, "DATASETS", {**getattr(datasets, "DATASETS", {}), **specs},
                        raising=False)
    if not hasattr(datasets, "subsample_indices"):
        monkeypatch.setattr(datasets, "subsample_indices", _subsample, raising=False)
    embedders = _module(monkeypatch, "almodules.embedders")
    monkeypatch.setattr(embedders, "EMBEDDERS", MappingProxyType(
        {**getattr(embedders, "EMBEDDERS", {}), EMBEDDER: SimpleNamespace(name=EMBEDDER)}), raising=False)


def _subsample(labels, n, seed):
    return np.sort(np.random.default_rng(seed).choice(len(labels), size=n, replace=False))
