"""Frozen text embeddings of a dataset, computed once per (dataset, embedder) and cached on disk.

:func:`embed_dataset` is what experiments call: it embeds the train, test (and validation)
splits of a :class:`~almodules.datasets.loading.TextDataset` with one loaded model, fits a fitted
embedder (TF-IDF) on the train split only, and keeps the result in the cache of
:mod:`almodules.embeddings.cache`. :func:`embed_texts` is the uncached building block for any
list of texts (and text pairs).

Example
-------
>>> from almodules.embeddings.compute import embed_dataset
>>> emb = embed_dataset("banking77", "all-minilm-l6-v2")          # doctest: +SKIP
>>> emb.train.shape, emb.test.shape, emb.from_cache                # doctest: +SKIP
((10003, 384), (3080, 384), True)
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from almodules.core.provenance import blas_architecture
from almodules.core.validation import ConfigError, check_finite_matrix, check_int
from almodules.datasets.loading import load_dataset
from almodules.embeddings.cache import cache_path, fingerprint, load_arrays, save_arrays
from almodules.embeddings.derived import derive, derived_spec
from almodules.embeddings.devices import precision_name, resolve_device
from almodules.embeddings.encoders import load_encoder
from almodules.embeddings.pooling import l2_normalize
from almodules.embeddings.registry import EMBEDDERS, get_embedder, register_embedder
from almodules.embeddings.spec import EmbedderSpec

__all__ = ["DatasetEmbeddings", "is_embedded", "embed_dataset", "embed_texts", "embedder_key", "embedding_fingerprint"]

_KEY_FIELDS = ("name", "backend", "model", "revision", "dim", "pooling", "normalize", "max_length", "prompt",
               "append_eos", "tokenizer_wheel", "trust_remote_code")
# A progress bar appears only once a split has taken this long, so quick calls stay quiet.
_PROGRESS_DELAY_S = 2.0


@dataclass(frozen=True)
class DatasetEmbeddings:
    """Embeddings of one dataset's splits, rows in dataset order.

    Attributes
    ----------
    train, test : np.ndarray
        ``(n, dim)`` float32.
    val : np.ndarray or None
        Present when the dataset has a validation split.
    fingerprint : str
        Hash of the texts and the embedder (the cache key).
    path : Path
        The cache file.
    from_cache : bool
        Loaded from ``path`` rather than computed now.
    dataset, embedder : str
        Names of the dataset and the embedder.
    """

    train: np.ndarray
    test: np.ndarray
    val: np.ndarray | None
    fingerprint: str
    path: Path
    from_cache: bool
    dataset: str = ""
    embedder: str = ""


def _spec(embedder: str | EmbedderSpec) -> EmbedderSpec:
    """The spec of a registry name, a derived name (registered on first use) or a spec."""
    if isinstance(embedder, str) and embedder not in EMBEDDERS and (derived := derived_spec(embedder)) is not None:
        register_embedder(derived, replace=True)
    return get_embedder(embedder)


def embedder_key(spec: EmbedderSpec, precision: str) -> dict[str, object]:
    """Everything about ``spec`` that changes its output, for the cache fingerprint.

    Batch size and padding side are left out: they do not change the result.
    """
    key = {name: getattr(spec, name) for name in _KEY_FIELDS}
    key["wheels"] = {w: _version(w) for w in spec.wheels}
    key["precision"] = precision
    if spec.backend == "derived":  # a derived embedder is only as fixed as its base
        key["transform"] = spec.transform
        key["base"] = embedder_key(get_embedder(spec.model), precision)
    return key


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _check_texts(param: str, texts, n: int | None = None) -> tuple[str, ...]:
    if isinstance(texts, str) or not isinstance(texts, (Sequence, np.ndarray)):
        raise ConfigError(f"{param} must be a sequence of strings (a list or tuple), got {type(texts).__name__}")
    bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is not None:
        raise ConfigError(f"{param}[{bad}] must be a string, got {type(texts[bad]).__name__}")
    if n is not None and len(texts) != n:
        raise ConfigError(f"{param} has {len(texts)} entries but there are {n} texts")
    return tuple(texts)


def _encode(encoder, spec: EmbedderSpec, texts: tuple[str, ...], pairs: tuple[str, ...] | None,
            batch_size: int | None, progress: bool, desc: str, checkpoint: Path | None = None) -> np.ndarray:
    """Run ``encoder``, check the output against ``spec`` and normalise when the spec says so; a slow
    (resumable) encoder keeps a checkpoint at ``checkpoint`` while it runs."""
    if not texts:
        return np.empty((0, spec.dim), dtype=np.float32)
    resume = {"checkpoint": checkpoint} if checkpoint is not None and getattr(encoder, "resumable", False) else {}
    with tqdm(total=len(texts), desc=desc, unit="text", disable=not progress, delay=_PROGRESS_DELAY_S) as bar:
        X = encoder.encode(texts, pairs, batch_size=batch_size, update=bar.update, **resume)
    if X.shape != (len(texts), spec.dim):
        raise RuntimeError(f"embedder {spec.name!r} produced shape {X.shape}, expected ({len(texts)}, {spec.dim}); "
                           "check the spec's dim")
    X = check_finite_matrix(f"embeddings from {spec.name!r}", X)
    return l2_normalize(X) if spec.normalize else X


def embed_texts(texts: Sequence[str], embedder: str | EmbedderSpec, pairs: Sequence[str] | None = None, *,
                fit_texts: Sequence[str] | None = None, fit_pairs: Sequence[str] | None = None,
                batch_size: int | None = None, device: str | None = None, progress: bool = True) -> np.ndarray:
    """Embed ``texts`` (with optional second segments ``pairs``) without caching.

    Parameters
    ----------
    texts : sequence of str
    embedder : str or EmbedderSpec
        A registry name (:data:`~almodules.embeddings.registry.EMBEDDERS`) or a spec.
    pairs : sequence of str, optional
        Second segment per text (``tokenizer(text, text_pair)`` for token models).
    fit_texts, fit_pairs : sequence of str, optional
        What a fitted embedder (``tfidf-svd``) is fitted on; default ``texts`` / ``pairs``.
    batch_size : int, optional
        Texts per forward pass; default the spec's.
    device : str, optional
        ``"cpu"``, ``"cuda"``, ...; default a GPU when present.
    progress : bool
        Show a tqdm bar once the work takes more than a couple of seconds.

    Returns
    -------
    np.ndarray
        ``(len(texts), dim)`` float32 in input order, L2-normalised when the spec says so.
    """
    spec = _spec(embedder)
    texts = _check_texts("texts", texts)
    pairs = _check_texts("pairs", pairs, len(texts)) if pairs is not None else None
    if batch_size is not None:
        check_int("batch_size", batch_size, minimum=1)
    encoder = load_encoder(spec, resolve_device(device))
    if encoder.needs_fit:
        fit_texts = texts if fit_texts is None else _check_texts("fit_texts", fit_texts)
        fit_pairs = pairs if fit_pairs is None else _check_texts("fit_pairs", fit_pairs, len(fit_texts))
        encoder.fit(fit_texts, fit_pairs)
    return _encode(encoder, spec, texts, pairs, batch_size, progress, desc=spec.name)


def _splits(dataset, limit: int | None) -> dict[str, tuple[tuple[str, ...], tuple[str, ...] | None]]:
    """``{split: (texts, pairs)}`` of the dataset, each cut to its first ``limit`` rows."""
    splits = {}
    for split in ("train", "test", "val"):
        texts = getattr(dataset, f"{split}_text", None)
        if texts is None:
            continue
        pairs = getattr(dataset, f"{split}_pair", None)
        texts = tuple(texts)[:limit]
        splits[split] = (texts, tuple(pairs)[:limit] if pairs is not None else None)
    return splits


def _as_dataset(dataset):
    if isinstance(dataset, str):
        return load_dataset(dataset)
    if not all(hasattr(dataset, field) for field in ("name", "train_text", "test_text")):
        raise ConfigError(f"dataset must be a dataset name or a TextDataset, got {type(dataset).__name__}")
    return dataset


def embedding_fingerprint(dataset, embedder: str | EmbedderSpec, *, limit: int | None = None,
                          device: str | None = None) -> str:
    """The fingerprint :func:`embed_dataset` gives these embeddings, computed without embedding anything.

    It hashes the embedder's identity (:func:`embedder_key`, precision included) and every text of
    every split, so runs can be keyed by their embeddings before (or without) computing them. What
    it leaves out because it does not change bits on one machine kind: batch size, thread counts
    (the one thread-dependent encoder, TF-IDF + SVD, fixes its own). What it leaves out although
    it can change the last bits: the CPU's BLAS kernels (recorded with the cache and every run).
    """
    spec = _spec(embedder)
    return fingerprint(embedder_key(spec, precision_name(spec, resolve_device(device))),
                       _splits(_as_dataset(dataset), limit))


def is_embedded(dataset, embedder: str | EmbedderSpec, *, device: str | None = None) -> bool:
    """True when :func:`embed_dataset` would read these embeddings from the cache, or derive them
    from cached ones (a derived embedder of a cached base): no encoder would run."""
    spec = _spec(embedder)
    dataset = _as_dataset(dataset)
    device = resolve_device(device)
    splits = _splits(dataset, None)
    fp = fingerprint(embedder_key(spec, precision_name(spec, device)), splits)
    if cache_path(dataset.name, spec.name, fp).is_file():
        return True
    return spec.backend == "derived" and is_embedded(dataset, spec.model, device=device)


def embed_dataset(dataset, embedder: str | EmbedderSpec, *, limit: int | None = None,
                  batch_size: int | None = None, device: str | None = None,
                  progress: bool = True) -> DatasetEmbeddings:
    """Embeddings of every split of ``dataset``, from the cache when present.

    Parameters
    ----------
    dataset : str or TextDataset
        A registry name (loaded with :func:`almodules.datasets.loading.load_dataset`) or a loaded dataset.
    embedder : str or EmbedderSpec
        A registry name or a spec.
    limit : int, optional
        Embed only the first ``limit`` rows of each split (quick looks, tests).
    batch_size, device, progress
        As in :func:`embed_texts`. The device's precision (float32, or half precision on a
        GPU) is part of the cache key.

    Returns
    -------
    DatasetEmbeddings
        ``val`` is ``None`` unless the dataset has a validation split. A fitted embedder is
        fitted on the (limited) train split only and then applied to every split.
    """
    spec = _spec(embedder)
    if limit is not None:
        check_int("limit", limit, minimum=1)
    if batch_size is not None:
        check_int("batch_size", batch_size, minimum=1)
    device = resolve_device(device)
    dataset = _as_dataset(dataset)
    splits = _splits(dataset, limit)
    key = embedder_key(spec, precision_name(spec, device))
    fp = fingerprint(key, splits)
    path = cache_path(dataset.name, spec.name, fp)
    expected = {split: (len(texts), spec.dim) for split, (texts, _) in splits.items()}
    arrays = load_arrays(path, expected, fp)
    from_cache = arrays is not None
    if arrays is None and spec.backend == "derived":
        base = embed_dataset(dataset, spec.model, limit=limit, batch_size=batch_size, device=device, progress=progress)
        arrays = derive(spec, {split: X for split, X in (("train", base.train), ("test", base.test), ("val", base.val))
                               if X is not None})
        save_arrays(path, arrays, {"fingerprint": fp, "dataset": dataset.name, "embedder": key, "limit": limit,
                                   "blas": blas_architecture()})
    elif arrays is None:
        encoder = load_encoder(spec, device)
        if encoder.needs_fit:
            encoder.fit(*splits["train"])
        partial = {split: path.with_name(f".{path.stem}.{split}.partial.npz") for split in splits}
        arrays = {split: _encode(encoder, spec, texts, pairs, batch_size, progress,
                                 desc=f"{dataset.name}/{split} x {spec.name}", checkpoint=partial[split])
                  for split, (texts, pairs) in splits.items()}
        save_arrays(path, arrays, {"fingerprint": fp, "dataset": dataset.name, "embedder": key, "limit": limit,
                                   "blas": blas_architecture()})
        for checkpoint in partial.values():
            checkpoint.unlink(missing_ok=True)
    return DatasetEmbeddings(train=arrays["train"], test=arrays["test"], val=arrays.get("val"), fingerprint=fp,
                             path=path, from_cache=from_cache, dataset=dataset.name, embedder=spec.name)
