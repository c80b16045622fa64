"""Every measure of :mod:`almodules.study.embedding_measures` on one dataset × embedder cell, cached.

The label-free measures are computed on the pool (the train split) as a practitioner could before
labeling; the initial-label measure reads the labels of a few random pool points (what the first
labels of a random initial pool would tell); the label-based ones use the pool's labels (and the
test split for the few-shot probe). The row is cached with the diagnostics (:func:`almodules.study.diagnostics.cached_frame`), keyed by the
fingerprints of the data and of the embeddings, with the seconds each measure took.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import pandas as pd

from almodules.core.validation import check_int
from almodules.engine.experiment import load_inputs, registered_fingerprints
from almodules.study import embedding_measures as em
from almodules.study.diagnostics import cached_frame

__all__ = ["MEASURES_VERSION", "LABEL_FREE", "INITIAL_LABEL", "LABELS_PER_CLASS", "LABEL_BASED", "label_free_steps", "initial_label_steps", "embedding_properties",
           "embedding_properties_table"]

MEASURES_VERSION = 3
"""Part of the cache key: bump it when a measure of :mod:`almodules.study.embedding_measures` changes."""

LABEL_FREE: tuple[str, ...] = ("effective_rank", "spectral_decay", "anisotropy", "intrinsic_dimension", "hubness",
                               "cluster_silhouette")
"""Measures that need no label (the number of classes only)."""

INITIAL_LABEL: tuple[str, ...] = ("sample_knn_accuracy",)
"""Measures of the labels of a small random sample of the pool (:data:`LABELS_PER_CLASS` per class on average)."""

LABELS_PER_CLASS = 5
"""Random pool points labeled per class, on average, for the :data:`INITIAL_LABEL` measures."""

LABEL_BASED: tuple[str, ...] = ("fisher_ratio", "label_silhouette", "logme", "kmeans_nmi", "few_shot_accuracy")
"""Measures that read the pool's labels."""


def label_free_steps(X, n_classes: int, *, max_points: int = 5000, seed: int = 0) -> dict:
    """``{measure: thunk}`` of the :data:`LABEL_FREE` measures of ``X`` (k-means with ``n_classes`` clusters)."""
    sample = dict(max_points=max_points, seed=seed)
    return {
        "effective_rank": lambda: em.effective_rank(X),
        "spectral_decay": lambda: em.spectral_decay(X),
        "anisotropy": lambda: em.anisotropy(X),
        "intrinsic_dimension": lambda: em.intrinsic_dimension(X, **sample),
        "hubness": lambda: em.hubness(X, **sample),
        "cluster_silhouette": lambda: em.cluster_silhouette(X, max(n_classes, 2), **sample),
    }


def initial_label_steps(X, y, n_classes: int, *, seed: int = 0) -> dict:
    """``{measure: thunk}`` of the :data:`INITIAL_LABEL` measures (``LABELS_PER_CLASS · n_classes`` labels)."""
    n_labels = min(LABELS_PER_CLASS * n_classes, len(y))
    return {"sample_knn_accuracy": lambda: em.sample_knn_accuracy(X, y, n_labels=n_labels, seed=seed)}


def embedding_properties(dataset: str, embedder: str, *, max_points: int = 5000, seed: int = 0) -> pd.DataFrame:
    """One row: ``dataset``, ``embedder``, ``n_pool``, ``dim``, ``n_classes``, every measure and ``<measure>_s``."""
    check_int("max_points", max_points, minimum=10)
    check_int("seed", seed, minimum=0)
    data_fp, embedding_fp, _ = registered_fingerprints(dataset, embedder)
    key = {"dataset": dataset, "embedder": embedder, "max_points": max_points, "seed": seed, "version": MEASURES_VERSION,
           "data_fingerprint": data_fp, "embedding_fingerprint": embedding_fp}

    def compute() -> pd.DataFrame:
        inputs = load_inputs(dataset, embedder)
        X, y = inputs.train, inputs.train_labels
        k = inputs.n_classes
        steps = {
            **label_free_steps(X, k, max_points=max_points, seed=seed),
            **initial_label_steps(X, y, k, seed=seed),
            "fisher_ratio": lambda: em.fisher_ratio(X, y),
            "label_silhouette": lambda: em.label_silhouette(X, y, max_points=max_points, seed=seed),
            "logme": lambda: em.logme(X, y),
            "kmeans_nmi": lambda: em.kmeans_nmi(X, y, seed=seed),
            "few_shot_accuracy": lambda: em.few_shot_accuracy(X, y, inputs.test, inputs.test_labels, seed=seed),
        }
        row = {"dataset": dataset, "embedder": embedder, "n_pool": len(y), "dim": X.shape[1], "n_classes": k}
        for name, step in steps.items():
            start = time.perf_counter()
            row[name] = float(step())
            row[f"{name}_s"] = round(time.perf_counter() - start, 3)
        return pd.DataFrame([row])

    return cached_frame("embedding_properties", key, compute)


def embedding_properties_table(pairs: Sequence[tuple[str, str]], **kw) -> pd.DataFrame:
    """:func:`embedding_properties` of every (dataset, embedder) pair, one row each."""
    return pd.concat([embedding_properties(d, e, **kw) for d, e in pairs], ignore_index=True)
