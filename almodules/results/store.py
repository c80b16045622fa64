"""The result store: one Parquet file per run, keyed by the run key.

A run's key (:meth:`RunConfig.run_key <almodules.engine.config.RunConfig.run_key>`) hashes its config,
the content of its dataset, the fingerprint of its embeddings and the versions of the code that
ran it, so a result computed on other data or by other code is never served for a run.

Layout under the root (default :func:`almodules.core.paths.results_dir`, i.e. ``data/results/``)::

    runs/<key[:2]>/<key>.parquet        the runs: the truth
    index.parquet                       derived: all runs in one file, refreshed on read

Each run file is one tidy table with one row per cycle ``t = 0 .. T``: the cycle columns
(:data:`CYCLE_COLUMNS`) followed by the run's provenance (:data:`RUN_COLUMNS`, repeated on every
row; Parquet's dictionary encoding stores them once). The cycles table is a projection of all
runs, the runs table their ``cycle == 0`` rows.

Reading thousands of small files costs milliseconds each, so reads go through a derived index:
the concatenation of every run file, each row tagged with its file's size, modification time
and inode (every write makes a new inode). A read lists the run files (one ``stat`` each),
keeps the index rows whose file is unchanged, reads only new or changed files (one
``pyarrow.dataset`` scan) and rewrites the index. Deleting the index is always safe.

Integrity: writes are atomic (:func:`almodules.core.atomic.write_atomic`), so a killed writer leaves
at most a hidden ``.tmp`` file, removed by a later scan once it is an hour old. Pages carry CRC
checksums, and every run carries a ``checksum`` of its whole content, checked whenever the
file is read into the index: a file that cannot be read back or whose content does not match
(a flipped bit anywhere, the footer included) is reported with a warning, treated as missing
and recomputed by the next grid.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from almodules.core.atomic import TMP_SUFFIX, canonical_hash, write_atomic
from almodules.core.paths import results_dir
from almodules.core.validation import ConfigError, check_choice
from almodules.engine.config import KEY_COLUMNS
from almodules.engine.experiment import RunResult
from almodules.engine.stop_signals import SIGNALS

__all__ = ["ResultStore", "CYCLE_COLUMNS", "RUN_COLUMNS", "SCHEMA", "INDEX", "STALE_TMP_S", "run_checksum"]

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

SCHEMA = pa.schema(_KEY_FIELDS + _CYCLE_FIELDS + _RUN_FIELDS, metadata={"almodules.results.store": "2"})
"""Arrow schema of every run file."""

CYCLE_COLUMNS: tuple[str, ...] = tuple(n for n, _ in _KEY_FIELDS + _CYCLE_FIELDS)
"""Columns of :meth:`ResultStore.cycles`: one row per run and cycle."""

RUN_COLUMNS: tuple[str, ...] = ("run_key", "config_hash") + tuple(n for n, _ in _RUN_FIELDS)
"""Columns of :meth:`ResultStore.runs`: one row per run."""

STALE_TMP_S = 3600
"""Age after which a temporary file of a write counts as left by a killed writer and is removed."""

_FILTER_TYPES = {name: (int if t == pa.int64() else str) for name, t in _KEY_FIELDS} | {"cycle": int}
_STAT = ("_mtime_ns", "_size", "_inode")
_INDEX_SCHEMA = pa.schema(list(SCHEMA) + [pa.field(n, pa.int64()) for n in _STAT], metadata=SCHEMA.metadata)
INDEX = "index.parquet"
"""Derived index in the store's root: every run file's rows; rebuilt from the run files."""
_FORMAT = ds.ParquetFileFormat(
    default_fragment_scan_options=ds.ParquetFragmentScanOptions(page_checksum_verification=True))


def run_checksum(table: pa.Table) -> str:
    """SHA-256 of everything a run file holds except its ``checksum`` column (rows in cycle order).

    Stopping signals that are null in every row are left out, so a run stored before the signals
    existed (its file lacks their columns; they read back as nulls) keeps its checksum.
    """
    absent = [name for name in SIGNALS if name in table.column_names and table[name].null_count == len(table)]
    rows = table.drop_columns(["checksum", *absent]).sort_by("cycle").to_pylist()
    return canonical_hash([{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
                           for row in rows])


def _filtered(table: pa.Table, filters: dict) -> pa.Table:
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


def _write_table(table: pa.Table, path: Path) -> None:
    write_atomic(path, lambda fh: pq.write_table(table, fh, compression="zstd", write_page_checksum=True))


class ResultStore:
    """Runs on disk, keyed by their run key.

    Parameters
    ----------
    root : path-like, optional
        Folder of the store; :func:`almodules.core.paths.results_dir` (``$ALM_RESULTS_DIR`` or
        ``data/results/``) when omitted. It must be a folder (or not exist yet).
    """

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = Path(root) if root is not None else results_dir()
        if self.root.exists() and not self.root.is_dir():
            raise ConfigError(f"result store root {str(self.root)!r} is a file; give a folder")

    def __repr__(self) -> str:
        return f"ResultStore({str(self.root)!r})"

    def path(self, run_key: str) -> Path:
        """File that holds (or will hold) the run with key ``run_key``."""
        return self.root / "runs" / run_key[:2] / f"{run_key}.parquet"

    def paths(self) -> list[Path]:
        """Every stored run file, sorted (temporary files of writes in flight are not listed)."""
        return sorted(self.path(h) for h in self._scan())

    def __len__(self) -> int:
        return len(self._scan())

    # --- writing -------------------------------------------------------------------------
    def write(self, result: RunResult) -> Path:
        """Store ``result`` atomically under its run key, replacing any earlier file of that key."""
        run = result.run_record()
        table = pa.Table.from_pylist([{**row, **run, "checksum": ""} for row in result.cycle_rows()], schema=SCHEMA)
        return self.write_table(table)

    def write_table(self, table: pa.Table) -> Path:
        """Store one run's table (:data:`SCHEMA`, one ``run_key``) with its checksum filled in."""
        keys = table["run_key"].unique().to_pylist()
        if len(keys) != 1:
            raise ValueError(f"a run file holds one run, got run keys {keys}")
        table = table.set_column(table.schema.get_field_index("checksum"), "checksum",
                                 pa.array([run_checksum(table)] * len(table), pa.string()))
        final = self.path(keys[0])
        _write_table(table, final)
        return final

    # --- reading -------------------------------------------------------------------------
    def _scan(self) -> dict[str, tuple[int, int, int]]:
        """``{run key: (mtime_ns, size, inode)}`` of every run file; removes stale temporary files."""
        files = {}
        runs = self.root / "runs"
        if not runs.is_dir():
            return files
        old = time.time() - STALE_TMP_S
        for folder in os.scandir(runs):
            if not folder.is_dir():
                continue
            for entry in os.scandir(folder.path):
                try:
                    stat = entry.stat()
                except FileNotFoundError:
                    continue
                if entry.name.endswith(".parquet") and not entry.name.startswith("."):
                    files[entry.name[: -len(".parquet")]] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
                elif entry.name.startswith(".") and entry.name.endswith(TMP_SUFFIX) and stat.st_mtime < old:
                    Path(entry.path).unlink(missing_ok=True)
        return files

    def _intact(self, table: pa.Table, path: Path) -> pa.Table | None:
        """``table`` if it holds exactly the run its file name says with a matching checksum."""
        keys = table.column("run_key").unique().to_pylist()
        problem = None
        if keys != [path.stem]:
            problem = f"holds run keys {keys}, expected {path.stem}"
        elif table.column("checksum").unique().to_pylist() != [run_checksum(table)]:
            problem = "its content does not match its checksum"
        if problem:
            warnings.warn(f"result store: corrupt run file {path} ({problem}); it counts as missing and "
                          "will be recomputed", RuntimeWarning, stacklevel=4)
            return None
        return table

    def _read_file(self, path: Path) -> pa.Table | None:
        """One run file, or ``None`` with a warning when it cannot be read back intact."""
        try:
            table = pq.read_table(path, schema=SCHEMA, page_checksum_verification=True)
        except FileNotFoundError:
            return None
        except (pa.ArrowException, OSError, ValueError) as exc:
            warnings.warn(f"result store: unreadable run file {path} ({exc}); it counts as missing "
                          "and will be recomputed", RuntimeWarning, stacklevel=4)
            return None
        return self._intact(table, path)

    def _read_files(self, paths: list[Path]) -> pa.Table:
        """All ``paths`` in one scan, each file's run checked; file by file when the scan fails."""
        columns = {name: ds.field(name) for name in SCHEMA.names} | {"_file": ds.field("__filename")}
        try:
            table = ds.dataset([str(p) for p in paths], schema=SCHEMA, format=_FORMAT).to_table(columns=columns)
        except (pa.ArrowException, OSError):
            tables = [t for p in paths if (t := self._read_file(p)) is not None]
            return pa.concat_tables(tables) if tables else SCHEMA.empty_table()
        table = table.sort_by([("_file", "ascending"), ("cycle", "ascending")])
        files = np.asarray(table["_file"].to_pylist(), dtype=object)
        table = table.drop_columns(["_file"])
        starts = np.concatenate(([0], np.flatnonzero(files[1:] != files[:-1]) + 1, [len(files)]))
        good = [run for start, end in zip(starts[:-1], starts[1:])
                if (run := self._intact(table.slice(start, end - start), Path(files[start]))) is not None]
        return pa.concat_tables(good) if good else SCHEMA.empty_table()

    def _read_index(self) -> pa.Table:
        path = self.root / INDEX
        try:
            return pq.read_table(path, schema=_INDEX_SCHEMA, page_checksum_verification=True)
        except FileNotFoundError:
            pass
        except (pa.ArrowException, OSError) as exc:
            warnings.warn(f"result store: rebuilding the unreadable index {path} ({exc})",
                          RuntimeWarning, stacklevel=4)
        return _INDEX_SCHEMA.empty_table()

    def table(self) -> pa.Table:
        """Every stored run, all columns (:data:`SCHEMA`), as one Arrow table.

        Reads the derived index (``index.parquet``: all run files concatenated, each with the
        size, modification time and inode it had) plus the run files that are new or changed since,
        and refreshes the index when anything changed. The run files stay the truth: deleting
        the index only costs one full read.
        """
        files = self._scan()
        index = self._read_index()
        firsts = index.filter(pc.equal(index["cycle"], 0)).select(["run_key", *_STAT])
        indexed = {h: tuple(stat) for h, *stat in zip(*(firsts[c].to_pylist() for c in firsts.column_names))}
        current = {h for h, stat in indexed.items() if files.get(h) == stat}
        stale = [h for h in files if h not in current]
        kept = index.filter(pc.is_in(index["run_key"], pa.array(sorted(current), pa.string())))
        if not stale and len(current) == len(indexed):
            return kept.drop_columns(list(_STAT))
        fresh = self._read_files([self.path(h) for h in stale]) if stale else SCHEMA.empty_table()
        stats = [files[h] for h in fresh["run_key"].to_pylist()]
        for i, name in enumerate(_STAT):
            fresh = fresh.append_column(name, pa.array([stat[i] for stat in stats], pa.int64()))
        index = pa.concat_tables([kept, fresh.cast(_INDEX_SCHEMA)])
        try:
            _write_table(index, self.root / INDEX)
        except OSError as exc:  # a read-only store still reads, only slower
            warnings.warn(f"result store: could not write its index ({exc})", RuntimeWarning, stacklevel=2)
        return index.drop_columns(list(_STAT))

    def has(self, run_key: str) -> bool:
        """True when the run ``run_key`` is stored and its file reads back intact."""
        path = self.path(run_key)
        return path.is_file() and self._read_file(path) is not None

    def missing(self, run_keys: Iterable[str]) -> list[str]:
        """The run keys (deduplicated, in order) whose runs are absent or unreadable."""
        readable = set(self.table()["run_key"].unique().to_pylist())
        return [k for k in dict.fromkeys(run_keys) if k not in readable]

    def cycles(self, **filters) -> pd.DataFrame:
        """The cycles table over every stored run (columns :data:`CYCLE_COLUMNS`).

        Filters are column names of the key (``dataset``, ``strategy``, ``seed``, ...,
        ``run_key``, ``config_hash``, ``cycle``) with one value or a list of values; ``None``
        matches a null ``pool_size``. Example: ``store.cycles(dataset="trec6", strategy=["margin", "badge"])``.
        """
        table = _filtered(self.table(), filters).select(list(CYCLE_COLUMNS))
        return table.to_pandas().sort_values(["run_key", "cycle"], ignore_index=True)

    def runs(self, **filters) -> pd.DataFrame:
        """The runs table (columns :data:`RUN_COLUMNS`), filtered like :meth:`cycles`."""
        table = _filtered(self.table(), {**filters, "cycle": 0}).select(list(RUN_COLUMNS))
        return table.to_pandas().sort_values("run_key", ignore_index=True)

    def load(self, run_keys: Iterable[str]) -> pd.DataFrame:
        """The cycles of exactly ``run_keys`` (in their order); raises if any is not stored."""
        order = list(dict.fromkeys(run_keys))
        frame = self.cycles(run_key=order)
        absent = set(order) - set(frame["run_key"])
        if absent:
            raise LookupError(f"{len(absent)} of {len(order)} runs are not in {self.root}")
        rank = {h: i for i, h in enumerate(order)}
        frame = frame.assign(_rank=frame["run_key"].map(rank))
        return frame.sort_values(["_rank", "cycle"], ignore_index=True).drop(columns="_rank")

    def rekey(self, new_key) -> dict[str, str]:
        """Move stored runs to new keys: ``new_key(run row) -> (key, {column: value}) or None``.

        ``run row`` is a row of :meth:`runs`; the columns returned are replaced in the run's
        file (``run_key`` always), which is written under the new key before the old file is
        removed, so an interrupted call loses nothing and a second call finishes the job. For
        re-keying after a change that keeps every result's bits (the caller vouches for that,
        e.g. by recomputing a sample); a change of results needs the runs recomputed instead.

        Returns
        -------
        dict
            ``{old key: new key}`` of the runs moved.
        """
        moved = {}
        for run in self.runs().to_dict("records"):
            change = new_key(run)
            if change is None or change[0] == run["run_key"]:
                continue
            key, columns = change
            table = pq.read_table(self.path(run["run_key"]), schema=SCHEMA)
            for name, value in {**columns, "run_key": key}.items():
                table = table.set_column(table.schema.get_field_index(name), name,
                                         pa.array([value] * len(table), SCHEMA.field(name).type))
            self.write_table(table)
            self.path(run["run_key"]).unlink()
            moved[run["run_key"]] = key
        return moved
