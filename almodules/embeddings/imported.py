"""Embeddings computed elsewhere (the paper's workflow: embed once on a GPU, run AL on CPUs).

:func:`import_embeddings` reads one file per split (``.npy``, ``.parquet`` with numeric columns,
or ``.safetensors`` with one tensor), checks them against the dataset (one row per example,
finite, float32 or float16), stores them in the embedding cache under the fingerprint the engine
looks for, and registers an embedder of that name (backend ``precomputed``) whose identity is the
hash of the arrays. The registration is kept in the cache folder, so the name works in every
later process (:func:`find_imported`): wherever an embedder name is asked for, and its runs go
into the result store like any other run.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from almodules.core.atomic import array_digest, write_atomic
from almodules.core.paths import cache_dir
from almodules.core.validation import ConfigError, check_choice
from almodules.datasets.loading import load_dataset
from almodules.datasets.local import find_dataset
from almodules.embeddings.cache import cache_path, save_arrays
from almodules.embeddings.compute import embedder_key, embedding_fingerprint
from almodules.embeddings.registry import EMBEDDERS, register_embedder
from almodules.embeddings.spec import EmbedderSpec

__all__ = ["IMPORT_FORMATS", "import_embeddings", "find_imported", "read_array"]

IMPORT_FORMATS: tuple[str, ...] = (".npy", ".parquet", ".safetensors")
"""File formats :func:`read_array` reads."""

_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")


def _registrations() -> Path:
    return cache_dir() / "imported"


def read_array(path: str | Path) -> np.ndarray:
    """The 2-D array in ``path`` (see :data:`IMPORT_FORMATS`), as float32; ConfigError when it is not one."""
    path = Path(path).expanduser()
    check_choice("embedding file type", path.suffix, IMPORT_FORMATS)
    if not path.is_file():
        raise ConfigError(f"embedding file {str(path)!r} not found")
    if path.suffix == ".npy":
        array = np.load(path, allow_pickle=False)
    elif path.suffix == ".parquet":
        array = pq.read_table(path).to_pandas().to_numpy()
    else:
        from safetensors.numpy import load_file  # a dependency of transformers

        tensors = load_file(str(path))
        if len(tensors) != 1:
            raise ConfigError(f"{path} holds {len(tensors)} tensors ({', '.join(tensors)}); allowed: exactly one")
        array = next(iter(tensors.values()))
    if array.ndim != 2:
        raise ConfigError(f"{path} holds an array of shape {array.shape}; allowed: rows x dimensions")
    check_choice(f"dtype of {path}", str(array.dtype), ["float32", "float16"])
    if not np.isfinite(array).all():
        raise ConfigError(f"{path} holds NaN or infinite values in {int((~np.isfinite(array)).any(axis=1).sum())} rows")
    array = np.ascontiguousarray(array, dtype=np.float32)
    _refuse_degenerate(array, path)
    return array


MAX_ROW_NORM = 1e6
"""Largest row norm an imported embedding may have (beyond, the probe's products overflow float32)."""


def _refuse_degenerate(array: np.ndarray, path: Path) -> None:
    """ConfigError for embeddings no strategy or probe can use: every row the same, or absurd norms."""
    if len(array) > 1 and not (array != array[0]).any():
        raise ConfigError(f"{path}: all {len(array)} rows are the same vector (zero variance); embeddings must "
                          "differ between texts")
    norms = np.linalg.norm(array.astype(np.float64), axis=1)
    if norms.max(initial=0.0) > MAX_ROW_NORM:
        raise ConfigError(f"{path}: row norms up to {norms.max():.3g}; allowed: at most {MAX_ROW_NORM:g} "
                          "(scale or L2-normalise the vectors)")


def import_embeddings(dataset: str, name: str, train: str | Path, test: str | Path, *,
                      replace: bool = False) -> EmbedderSpec:
    """Import the embeddings of ``dataset``'s train and test splits as embedder ``name``.

    Rows must follow the dataset's order as :func:`~almodules.datasets.loading.load_dataset` gives it
    (after dropped conflicts). Returns the registered spec.

    Raises
    ------
    ConfigError
        Before anything is stored: a bad name, file, shape, dtype or value, or (without ``replace``) a
        name already imported for other embeddings (another dataset, other files).
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(f"embedder name {name!r}: allowed: lowercase letters, digits, '.', '_' and '-'")
    if name in EMBEDDERS and EMBEDDERS[name].backend != "precomputed":
        raise ConfigError(f"embedder name {name!r} is a registered embedder; choose another name")
    data = load_dataset(find_dataset(dataset))
    arrays = {"train": read_array(train), "test": read_array(test)}
    for split, array in arrays.items():
        rows = len(getattr(data, f"{split}_labels"))
        if array.shape[0] != rows:
            raise ConfigError(f"{split} embeddings have {array.shape[0]} rows but the {split} split of "
                              f"{data.name!r} has {rows}; allowed: one row per example, in the dataset's order")
    if arrays["train"].shape[1] != arrays["test"].shape[1]:
        raise ConfigError(f"train embeddings have {arrays['train'].shape[1]} columns, test {arrays['test'].shape[1]}")
    spec = EmbedderSpec(name=name, title=name, backend="precomputed", dim=int(arrays["train"].shape[1]),
                        pooling=None, model=f"imported:{array_digest(arrays['train'], arrays['test'])}",
                        notes=f"imported for {data.name} from {Path(train).name}, {Path(test).name}")
    earlier = _registrations() / f"{name}.json"
    if earlier.is_file() and not replace:
        before = json.loads(earlier.read_text())
        if before.get("model") != spec.model:
            raise ConfigError(f"embedder name {name!r} already holds other imported embeddings ({before.get('notes')}); "
                              "choose another name, or replace them (--replace) and lose the earlier import")
    register_embedder(spec, replace=True)
    fp = embedding_fingerprint(data, spec, device="cpu")
    save_arrays(cache_path(data.name, name, fp), arrays,
                {"fingerprint": fp, "dataset": data.name, "embedder": embedder_key(spec, "float32"), "limit": None})
    record = json.dumps(dataclasses.asdict(spec), sort_keys=True).encode()
    write_atomic(_registrations() / f"{name}.json", lambda fh: fh.write(record))
    return spec


def find_imported(name: str) -> str:
    """``name``, registered from its import record when an earlier process imported it."""
    if not isinstance(name, str) or name in EMBEDDERS or not _NAME.fullmatch(name):
        return name
    record = _registrations() / f"{name}.json"
    if record.is_file():
        fields = json.loads(record.read_text())
        register_embedder(EmbedderSpec(**{**fields, "wheels": tuple(fields.get("wheels", ()))}), replace=True)
    return name
