"""Synthetic data and registry entries for the engine tests (experiment, store, grid).

Gaussian blobs stand in for embedded datasets so these tests need no model, no data file and
no other module's progress. ``load_blobs`` is a module-level function so grid workers (loky,
Dask) can import it by name.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from almodules.datasets.registry import DATASETS, DatasetSpec, register_dataset, unregister_dataset
from almodules.embeddings.registry import EmbedderSpec, register_embedder, unregister_embedder
from almodules.engine.config import RunConfig
from almodules.engine.experiment import RunInputs, RunResult, load_inputs, run_experiment

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


@contextlib.contextmanager
def registered() -> Iterator[None]:
    """The blobs datasets and the ``gauss`` embedder in the registries, for the ``with`` block."""
    specs = [DatasetSpec(name, name, "user", tuple(f"c{i}" for i in range(c)), n_train=n, budget=b)
             for name, (b, c, n, *_) in BLOBS.items()]
    for spec in specs:
        register_dataset(spec)
    register_embedder(EmbedderSpec(name=EMBEDDER, title="Gaussian blobs", backend="tfidf-svd", dim=16,
                                   pooling=None))
    try:
        yield
    finally:
        unregister_embedder(EMBEDDER)
        for spec in specs:
            unregister_dataset(spec.name)


def key_of(cfg: RunConfig) -> str:
    """The run key of ``cfg`` on its synthetic data (what the store files it under)."""
    inputs = load_blobs(cfg.dataset, cfg.embedder)
    return cfg.run_key(inputs.data_fingerprint, inputs.embedding_fingerprint)


def config(**kw) -> RunConfig:
    """A validated config on the ``blobs`` dataset and the ``gauss`` embedder."""
    return RunConfig.create(**{"dataset": "blobs", "embedder": EMBEDDER, **kw})


def run(cfg: RunConfig, name: str = "blobs", **kw) -> RunResult:
    """Run ``cfg`` on the synthetic dataset ``name`` with one BLAS thread."""
    data, emb = blobs(name)
    return run_experiment(cfg, emb, data, blas_threads=1, **kw)


GRID_SCRIPT = """
import pickle, sys
from almodules.results.grid import run_grid
from almodules.results.store import ResultStore
from engine_fakes import load_blobs, registered
configs = pickle.load(open(sys.argv[1], "rb"))
with registered():
    done = run_grid(configs, workers=int(sys.argv[3]), store=ResultStore(sys.argv[2]), progress=False,
                    loader=load_blobs)
print(len(done))
"""


def start_grid_process(folder, configs, store_root, *, workers: int = 1, **popen) -> subprocess.Popen:
    """A separate Python process running ``configs`` into ``store_root`` (it prints how many it computed)."""
    folder = Path(folder)
    (folder / "configs.pkl").write_bytes(pickle.dumps(configs))
    (folder / "grid.py").write_text(GRID_SCRIPT)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, str(folder / "grid.py"), str(folder / "configs.pkl"), str(store_root),
                             str(workers)], env=env, **popen)


def nothing_done(tmp_path: Path) -> bool:
    """No run stored and no embedding cached under ``tmp_path`` (results/, cache/)."""
    runs, cache = tmp_path / "results" / "runs", tmp_path / "cache" / "embeddings"
    return (not runs.exists() or not any(runs.rglob("*"))) and (not cache.exists() or not any(cache.rglob("*")))


def forget_folder_datasets(tmp_path: Path) -> None:
    """Unregister the datasets registered from folders under ``tmp_path`` (a test's own)."""
    for name in [n for n, s in DATASETS.items() if str(tmp_path) in (s.folder or "")]:
        unregister_dataset(name)
