"""Argument checks that fail early with a message naming the parameter and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["check_choice", "check_int", "check_finite_matrix"]


def check_choice(param: str, value: Any, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise ``ValueError`` listing them."""
    allowed = list(allowed)
    if value not in allowed:
        raise ValueError(f"unknown {param} {value!r}; allowed values: {', '.join(sorted(allowed))}")
    return value


def check_int(param: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as ``int`` if it is an integer within ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{param} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{param} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{param} must be <= {maximum}, got {value}")
    return int(value)


def check_finite_matrix(param: str, X: Any, *, rows: int | None = None) -> np.ndarray:
    """Return ``X`` as a C-contiguous float32 2-D array, rejecting NaN/inf and a wrong row count."""
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"{param} must be a 2-D array (rows x features), got shape {X.shape}")
    if rows is not None and X.shape[0] != rows:
        raise ValueError(f"{param} has {X.shape[0]} rows but the dataset has {rows}")
    X = np.ascontiguousarray(X, dtype=np.float32)
    # Row blocks keep the boolean mask small (a whole 560k x 4096 mask would be 2.3 GB).
    step = max(1, (64 << 20) // max(1, X.shape[1]))
    bad = sum(int((~np.isfinite(X[i:i + step])).any(axis=1).sum()) for i in range(0, X.shape[0], step))
    if bad:
        raise ValueError(f"{param} holds NaN or infinite values in {bad} rows; recompute the embeddings")
    return X
