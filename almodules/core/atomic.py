"""Atomic file writes and canonical hashes: what every on-disk cache of the project relies on.

:func:`write_atomic` writes through a hidden temporary file beside the target (same file system)
that is flushed to disk and then ``os.replace``-d over the target, so a reader sees the old file
or the new one, never half of one, and a killed writer leaves at most an ignored temporary
file. :func:`canonical_hash` is the one hash of a JSON-able value used for run keys and cache
keys; :func:`text_digest` and :func:`array_digest` hash texts and arrays for fingerprints.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

__all__ = ["TMP_SUFFIX", "write_atomic", "canonical_json", "canonical_hash", "text_digest", "array_digest"]

TMP_SUFFIX = ".tmp"
"""Suffix of the temporary files of writes in flight (their names also start with a dot)."""


def write_atomic(path: Path, write: Callable[[BinaryIO], object]) -> Path:
    """Write ``path`` atomically: ``write(fh)`` fills a temporary file that then replaces ``path``.

    The temporary file is created with the umask's permissions, so a shared cache stays
    readable by others. It is removed if ``write`` fails.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.{uuid.uuid4().hex[:12]}{TMP_SUFFIX}")
    try:
        with open(tmp, "xb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces; NaN and infinities are refused."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def canonical_hash(value: Any) -> str:
    """Hex SHA-256 of :func:`canonical_json` of ``value``: stable across processes and machines."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def text_digest(texts: Sequence[str], pairs: Sequence[str] | None = None) -> str:
    """SHA-256 of a sequence of texts (and optional pairs), order and boundaries included.

    Tuples are immutable, so the digest of a tuple (a loaded dataset's split) is kept for as long as
    the tuple lives in :data:`_TEXT_DIGESTS`: planning hashes each split many times.
    """
    if type(texts) is not tuple or not (pairs is None or type(pairs) is tuple):
        return _text_digest(texts, pairs)
    key = (id(texts), id(pairs))
    if key in _TEXT_DIGESTS:
        _TEXT_DIGESTS.move_to_end(key)
    else:  # the entry holds the tuples, so their ids cannot be reused while it is there
        _TEXT_DIGESTS[key] = (texts, pairs, _text_digest(texts, pairs))
        while len(_TEXT_DIGESTS) > _TEXT_DIGESTS_MAX:
            _TEXT_DIGESTS.popitem(last=False)
    return _TEXT_DIGESTS[key][2]


_TEXT_DIGESTS: OrderedDict = OrderedDict()
_TEXT_DIGESTS_MAX = 64


def _text_digest(texts: Sequence[str], pairs: Sequence[str] | None) -> str:
    h = hashlib.sha256()
    for part, seq in (("texts", texts), ("pairs", pairs)):
        if seq is None:
            continue
        h.update(f"{part}:{len(seq)}\n".encode())
        for text in seq:
            data = text.encode("utf-8")
            h.update(len(data).to_bytes(8, "little"))
            h.update(data)
    return h.hexdigest()


def array_digest(*arrays: np.ndarray) -> str:
    """SHA-256 of arrays: their dtypes, shapes and bytes (C order), in the order given."""
    h = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        h.update(f"{array.dtype.str}{array.shape}\n".encode())
        h.update(memoryview(array).cast("B"))
    return h.hexdigest()
