"""On-disk cache of embeddings: one ``.npz`` per (texts of a dataset, embedder).

A file lives at ``<cache_dir>/embeddings/<dataset>/<embedder>-<fingerprint[:16]>.npz`` and holds
one float32 array per split plus a JSON ``__meta__`` record (the full fingerprint, what went
into it). The fingerprint hashes every text and text pair of every split and the embedder's
identity, so changing one text, the model, its revision, pooling, length, normalisation,
prompt or precision gives a new file. Writes go to a temporary file that is moved into place
with ``os.replace`` (readers never see half a file); loads are validated (keys, shapes,
float32, finite, fingerprint) and a bad file is reported with a :class:`CorruptCacheWarning`
and treated as missing, so the caller recomputes and overwrites it.
"""

from __future__ import annotations

import json
import re
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from almodules.core.atomic import canonical_hash, text_digest, write_atomic
from almodules.core.paths import cache_dir

__all__ = ["CACHE_VERSION", "CorruptCacheWarning", "fingerprint", "cache_path", "save_arrays",
           "load_arrays"]

# Bump when the encoders change what they compute for the same spec, to retire old files.
CACHE_VERSION = 1
_META = "__meta__"


class CorruptCacheWarning(UserWarning):
    """A cached embedding file was unreadable or invalid and is being recomputed."""


def fingerprint(embedder_key: Mapping[str, object],
                splits: Mapping[str, tuple[Sequence[str], Sequence[str] | None]]) -> str:
    """Hex SHA-256 of the embedder's identity and the texts of every split."""
    return canonical_hash({"version": CACHE_VERSION, "embedder": dict(embedder_key),
                           "splits": {name: text_digest(texts, pairs) for name, (texts, pairs) in splits.items()}})


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name) or "_"


def cache_path(dataset: str, embedder: str, fp: str) -> Path:
    """Where the embeddings of ``dataset`` x ``embedder`` with fingerprint ``fp`` are stored."""
    return cache_dir() / "embeddings" / _safe(dataset) / f"{_safe(embedder)}-{fp[:16]}.npz"


def save_arrays(path: Path, arrays: Mapping[str, np.ndarray], meta: Mapping[str, object]) -> None:
    """Write ``arrays`` and ``meta`` to ``path`` atomically (temporary file, then ``os.replace``)."""
    write_atomic(path, lambda fh: np.savez(
        fh, **{k: np.ascontiguousarray(v, dtype=np.float32) for k, v in arrays.items()},
        **{_META: np.array(json.dumps(dict(meta), sort_keys=True, default=str))}))


def load_arrays(path: Path, expected: Mapping[str, tuple[int, int]], fp: str) -> dict[str, np.ndarray] | None:
    """The arrays stored at ``path`` if they match ``expected`` shapes and fingerprint ``fp``.

    Returns ``None`` when the file does not exist, and also (after a
    :class:`CorruptCacheWarning`) when it is unreadable, has the wrong keys, shapes, dtype or
    fingerprint, or holds NaN / infinite values.
    """
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data[_META]))
            arrays = {name: data[name] for name in expected}
        problem = _problem(arrays, meta, expected, fp)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        problem = f"it cannot be read ({type(exc).__name__}: {exc})"
    if problem:
        warnings.warn(f"cached embeddings {path} are invalid: {problem}; recomputing them",
                      CorruptCacheWarning, stacklevel=3)
        return None
    return arrays


def _problem(arrays: Mapping[str, np.ndarray], meta: Mapping[str, object],
             expected: Mapping[str, tuple[int, int]], fp: str) -> str | None:
    if meta.get("fingerprint") != fp:
        return "its fingerprint does not match"
    for name, shape in expected.items():
        X = arrays[name]
        if X.dtype != np.float32 or X.shape != tuple(shape):
            return f"split {name!r} is {X.dtype} {X.shape}, expected float32 {tuple(shape)}"
        if not np.isfinite(X).all():
            return f"split {name!r} holds NaN or infinite values"
    return None
