"""Embedding-quality diagnostics, cached as small result tables.

The book needs a few computations that are not AL runs but still cost minutes: the linear probe
trained on the whole pool (the *fully supervised* score of TYROGUE's label-cost metric and the
paper's notion of embedding quality), a k-NN accuracy, and 2-D projections of the embeddings.
:func:`cached_frame` stores each result as a small parquet file under
``<results_dir>/diagnostics/<kind>/`` keyed by a stable hash of its inputs, so the committed
results make a fresh build recompute nothing; only labels, scores and coordinates are stored,
never text.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.neighbors import KNeighborsClassifier

from almodules.core.atomic import canonical_hash, write_atomic
from almodules.core.paths import results_dir
from almodules.core.validation import check_choice, check_int
from almodules.datasets.loading import load_dataset
from almodules.datasets.sampling import subsample_indices
from almodules.engine.experiment import load_inputs, registered_fingerprints
from almodules.engine.fingerprints import record_fingerprints
from almodules.engine.probe import LinearProbe
from almodules.engine.scores import accuracy, macro_f1

__all__ = [
    "DIAGNOSTICS_VERSION", "PROJECTION_MIN_POINTS", "cached_frame", "embedding_quality", "embedding_quality_table",
    "projection_2d", "projections",
]

PROJECTION_MIN_POINTS = 10
"""Fewest points a 2-D projection is computed on."""

DIAGNOSTICS_VERSION = 1
"""Part of every cache key: bump it when a computation below changes its results."""


def cached_frame(kind: str, inputs: Mapping[str, Any], compute: Callable[[], pd.DataFrame], *,
                 root: Path | None = None) -> pd.DataFrame:
    """Return the stored result of ``compute()`` for ``inputs``, computing and storing it once.

    Parameters
    ----------
    kind : str
        Name of the computation (a folder name).
    inputs : mapping
        JSON-serialisable values that determine the result (the diagnostics below include the
        fingerprints of the data and the embeddings); with ``kind`` and
        :data:`DIAGNOSTICS_VERSION` they form the key.
    compute : callable
        Returns the result as a DataFrame (written with pyarrow, so plain columns only).
    root : Path, optional
        Result directory (default :func:`almodules.core.paths.results_dir`).

    Returns
    -------
    DataFrame
        The stored table. A concurrent writer of the same key cannot leave a partial file: writes
        go to a temporary file that replaces the target atomically.
    """
    key = canonical_hash({"kind": kind, "version": DIAGNOSTICS_VERSION, "inputs": dict(inputs)})
    path = (root or results_dir()) / "diagnostics" / kind / f"{key[:20]}.parquet"
    if path.exists():
        return pd.read_parquet(path)
    frame = compute()
    write_atomic(path, lambda fh: frame.to_parquet(fh, index=False))
    if {"dataset", "embedder", "data_fingerprint", "embedding_fingerprint"} <= set(inputs):
        record_fingerprints(inputs["dataset"], inputs["embedder"], inputs["data_fingerprint"],
                            inputs["embedding_fingerprint"], root=root)
    return frame


def _with_fingerprints(inputs_key: dict) -> dict:
    """The cache key of a diagnostic: its inputs plus what the data and the embeddings are."""
    data_fp, embedding_fp, _ = registered_fingerprints(inputs_key["dataset"], inputs_key["embedder"])
    return {**inputs_key, "data_fingerprint": data_fp, "embedding_fingerprint": embedding_fp}


def _pool(dataset: str, embedder: str, pool_size: int | None, seed: int):
    """Pool embeddings and labels (the engine's subsample for ``seed``), test split, class names."""
    data = load_dataset(dataset)
    inputs = load_inputs(dataset, embedder, data=data)
    pool = np.arange(len(inputs.train_labels))
    if pool_size is not None and pool_size < len(pool):
        pool = np.asarray(subsample_indices(inputs.train_labels, pool_size, seed), dtype=np.int64)
    return inputs.train[pool], inputs.train_labels[pool], inputs, tuple(data.classes)


def embedding_quality(dataset: str, embedder: str, *, pool_size: int | None = None, seed: int = 0,
                      k: int = 10, root: Path | None = None) -> pd.DataFrame:
    """Full-pool linear-probe and k-NN accuracy of one dataset × embedder pair (cached).

    The probe is the AL runs' own (:class:`~almodules.engine.probe.LinearProbe` with the paper's
    settings) trained on every labeled pool point: the *fully supervised* score that AL tries to
    approach with fewer labels. The k-NN classifier votes among the ``k`` nearest pool points by
    cosine similarity; it needs no training, so it measures how well the geometry of the space
    alone separates the classes. Both are evaluated on the test split.

    Parameters
    ----------
    dataset, embedder : str
        Registry names.
    pool_size : int, optional
        The pool subsample the AL runs use (``None``: the whole train split).
    seed : int
        Seed of the pool subsample (irrelevant without ``pool_size``).
    k : int
        Neighbours of the k-NN classifier.
    root : Path, optional
        Result directory.

    Returns
    -------
    DataFrame
        One row: ``dataset``, ``embedder``, ``pool_size``, ``seed``, ``n_pool``, ``n_test``, ``dim``,
        ``n_classes``, ``probe_accuracy``, ``probe_macro_f1``, ``knn_accuracy``, ``knn_k``,
        ``probe_fit_s``.
    """
    if pool_size is not None:
        check_int("pool_size", pool_size, minimum=1)
    check_int("seed", seed, minimum=0)
    check_int("k", k, minimum=1)
    inputs_key = {"dataset": dataset, "embedder": embedder, "pool_size": pool_size,
                  "seed": seed if pool_size is not None else 0, "k": k}

    def compute() -> pd.DataFrame:
        X, y, inputs, _ = _pool(dataset, embedder, pool_size, inputs_key["seed"])
        probe = LinearProbe(inputs.n_classes)
        start = time.perf_counter()
        probe.fit(X, y)
        fit_s = time.perf_counter() - start
        predicted = probe.predict(inputs.test)
        knn = KNeighborsClassifier(n_neighbors=min(k, len(y)), metric="cosine", algorithm="brute").fit(X, y)
        return pd.DataFrame([{
            **{key: v for key, v in inputs_key.items() if key != "k"}, "n_pool": len(y), "n_test": len(inputs.test_labels), "dim": X.shape[1],
            "n_classes": inputs.n_classes,
            "probe_accuracy": accuracy(inputs.test_labels, predicted),
            "probe_macro_f1": macro_f1(inputs.test_labels, predicted, inputs.n_classes),
            "knn_accuracy": accuracy(inputs.test_labels, knn.predict(inputs.test)),
            "knn_k": k, "probe_fit_s": fit_s,
        }])

    frame = cached_frame("embedding_quality", _with_fingerprints(inputs_key), compute, root=root)
    return frame.astype({"pool_size": "Int64"})


def embedding_quality_table(pairs: Sequence[tuple[str, str]], *, progress: bool = True, **kw: Any) -> pd.DataFrame:
    """:func:`embedding_quality` for every ``(dataset, embedder)`` of ``pairs``, one row each."""
    return _per_pair(embedding_quality, "embedding quality", pairs, progress, kw)


def projection_2d(dataset: str, embedder: str, *, n_points: int = 1000, method: str = "tsne", seed: int = 0,
                  root: Path | None = None) -> pd.DataFrame:
    """2-D coordinates of a stratified sample of the pool, for a picture of the embedding space.

    ``method="pca"`` projects on the two leading principal components (linear, fast);
    ``method="tsne"`` runs t-SNE (perplexity 30) on the 50 leading principal components, which
    shows local class structure that PCA flattens.

    Parameters
    ----------
    dataset, embedder : str
    n_points : int
        Pool points shown (stratified sample, all of them when the pool is smaller).
    method : {"tsne", "pca"}
    seed : int
        Seed of the sample and of t-SNE.
    root : Path, optional

    Returns
    -------
    DataFrame
        ``dataset``, ``embedder``, ``x``, ``y``, ``label`` (class name), one row per point.
    """
    check_choice("method", method, ["tsne", "pca"])
    check_int("n_points", n_points, minimum=PROJECTION_MIN_POINTS)
    check_int("seed", seed, minimum=0)
    inputs_key = {"dataset": dataset, "embedder": embedder, "n_points": n_points, "method": method, "seed": seed}

    def compute() -> pd.DataFrame:
        X, y, _, classes = _pool(dataset, embedder, n_points, seed)
        X = X.astype(np.float64)
        if method == "pca":
            xy = PCA(n_components=2, random_state=seed).fit_transform(X)
        else:
            reduced = PCA(n_components=min(50, X.shape[1], len(X)), random_state=seed).fit_transform(X)
            xy = TSNE(n_components=2, perplexity=min(30.0, (len(X) - 1) / 3), init="pca",
                      random_state=seed).fit_transform(reduced)
        return pd.DataFrame({"dataset": dataset, "embedder": embedder, "x": xy[:, 0].astype(np.float32),
                             "y": xy[:, 1].astype(np.float32), "label": [classes[i] for i in y]})

    return cached_frame("projection_2d", _with_fingerprints(inputs_key), compute, root=root)


def projections(pairs: Sequence[tuple[str, str]], *, progress: bool = True, **kw: Any) -> pd.DataFrame:
    """:func:`projection_2d` for every ``(dataset, embedder)`` of ``pairs``, stacked."""
    return _per_pair(projection_2d, "2-D projection", pairs, progress, kw)


def _per_pair(fn, label: str, pairs: Sequence[tuple[str, str]], progress: bool, kw: dict) -> pd.DataFrame:
    """``fn(dataset, embedder, **kw)`` for every pair, stacked in the order of ``pairs``."""
    parts = []
    for d, e in pairs:
        if progress:  # on stderr: a terminal shows it, the rendered book leaves it out
            print(f"{label}: {d} x {e}", file=sys.stderr, flush=True)
        parts.append(fn(d, e, **kw))
    return pd.concat(parts, ignore_index=True)
