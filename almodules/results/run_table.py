"""What a stored run is on disk: the Arrow schema of its rows, its checksum, and filters over them.

A run is a tidy table with one row per cycle ``t = 0 .. T``: the key columns, the cycle columns
(with the stopping signals, :data:`~almodules.engine.stop_signals.SIGNALS`) and the run's
provenance (repeated on every row; Parquet's encodings store it about once).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from almodules.core.atomic import canonical_hash
from almodules.core.validation import ConfigError, check_choice
from almodules.engine.config import KEY_COLUMNS
from almodules.engine.stop_signals import SIGNALS

__all__ = ["SCHEMA", "CYCLE_COLUMNS", "RUN_COLUMNS", "run_checksum", "split_by", "filtered"]

_ARROW_TYPES = {str: pa.string(), int: pa.int64()}
_KEY_FIELDS = [("run_key", pa.string())] + [(name, _ARROW_TYPES[kind]) for name, kind in KEY_COLUMNS.items()]
_CYCLE_FIELDS = [
    ("cycle", pa.int64()), ("n_labeled", pa.int64()), ("accuracy", pa.float64()),
    ("macro_f1", pa.float64()), ("fit_s", pa.float64()), ("infer_s", pa.float64()),
    ("select_s", pa.float64()), ("selected", pa.list_(pa.int64())),
] + [(name, pa.int64() if name == "pool_changed" else pa.float64()) for name in SIGNALS]
_RUN_FIELDS = [
    ("config", pa.string()), ("data_fingerprint", pa.string()), ("embedding_fingerprint", pa.string()),
    ("code_versions", pa.string()), ("package_version", pa.string()), ("git_commit", pa.string()),
    ("library_versions", pa.string()), ("wall_s", pa.float64()),
    ("created_at", pa.timestamp("us", tz="UTC")), ("n_pool", pa.int64()), ("n_test", pa.int64()),
    ("checksum", pa.string()),
]

SCHEMA = pa.schema(_KEY_FIELDS + _CYCLE_FIELDS + _RUN_FIELDS, metadata={"almodules.results.store": "3"})
"""Arrow schema of every run file and pack (version 3: with the stopping signals; version-2 files
read back with null signals)."""

CYCLE_COLUMNS: tuple[str, ...] = tuple(n for n, _ in _KEY_FIELDS + _CYCLE_FIELDS)
"""Columns of :meth:`~almodules.results.store.ResultStore.cycles`: one row per run and cycle."""

RUN_COLUMNS: tuple[str, ...] = ("run_key", "config_hash") + tuple(n for n, _ in _RUN_FIELDS)
"""Columns of :meth:`~almodules.results.store.ResultStore.runs`: one row per run."""

_FILTER_TYPES = {name: (int if t == pa.int64() else str) for name, t in _KEY_FIELDS} | {"cycle": int}


def run_checksum(table: pa.Table) -> str:
    """SHA-256 of everything a run file holds except its ``checksum`` column (rows in cycle order).

    Stopping signals that are null in every row are left out, so a run stored before the signals
    existed (its file lacks their columns; they read back as nulls) keeps its checksum.
    """
    absent = [name for name in SIGNALS if name in table.column_names and table[name].null_count == len(table)]
    rows = table.drop_columns(["checksum", *absent]).sort_by("cycle").to_pylist()
    return canonical_hash([{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
                           for row in rows])


def split_by(table: pa.Table, column: str) -> list[tuple[str, pa.Table]]:
    """``(value, rows)`` for each stretch of equal ``column`` values in ``table`` (sort it by the column first)."""
    values = np.asarray(table[column].to_pylist(), dtype=object)
    if not len(values):
        return []
    starts = np.concatenate(([0], np.flatnonzero(values[1:] != values[:-1]) + 1, [len(values)]))
    return [(values[a], table.slice(a, b - a)) for a, b in zip(starts[:-1], starts[1:], strict=True)]


def filtered(table: pa.Table, filters: dict) -> pa.Table:
    """The rows of ``table`` whose key columns (or ``cycle``) take the given value or one of the given values."""
    for name, value in filters.items():
        kind = _FILTER_TYPES[check_choice("filter column", name, _FILTER_TYPES)]
        values = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
        for v in values:
            if v is not None and (not isinstance(v, kind) or isinstance(v, bool)):
                raise ConfigError(f"filter {name}={v!r}: {name} values are {kind.__name__}s (or None)")
        present = [v for v in values if v is not None]
        column = table[name]
        mask = pc.is_in(column, pa.array(present, column.type))
        if len(present) < len(values):
            mask = pc.or_(mask, pc.is_null(column))
        table = table.filter(mask)
    return table
