"""The result store: one Parquet file per run, keyed by the config hash.

Layout under the root (default :func:`almodules.paths.results_dir`, i.e. ``data/results/``)::

    runs/<hash[:2]>/<hash>.parquet      the runs: the truth
    index.parquet                       derived: all runs in one file, refreshed on read

Each run file is one tidy table with one row per cycle ``t = 0 .. T``: the cycle columns
(:data:`CYCLE_COLUMNS`) followed by the run's provenance (:data:`RUN_COLUMNS`, repeated on every
row; Parquet's dictionary encoding stores them once). The cycles table is a projection of all
runs, the runs table their ``cycle == 0`` rows.

Reading thousands of small files costs milliseconds each, so reads go through a derived index:
the concatenation of every run file, each row tagged with its file's size, modification time
and inode (every write makes a new inode). A read lists the run files (one ``stat`` each),
keeps the index rows whose file is unchanged, reads only new or changed files (one
``pyarrow.dataset`` scan) and rewrites the index. Deleting the index is always safe; it is
rebuilt on the next read.

Writes are atomic: the table goes to a hidden ``.<name>.<pid>.<random>.tmp`` file in the same
folder, is flushed to disk, then ``os.replace``-d over the final name. Readers therefore see a
run completely or not at all, a killed writer leaves at most an ignored temporary file, and
writing the same hash twice just replaces the file (no duplicates). Pages carry CRC checksums;
a file that cannot be read back (truncated, corrupt) is reported with a warning, treated as
missing and recomputed by the next :func:`almodules.grid.get_or_run` or grid.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .atomic import write_atomic
from .config import KEY_COLUMNS, RunConfig
from .experiment import RunResult
from .paths import results_dir
from .validation import check_choice

__all__ = ["ResultStore", "CYCLE_COLUMNS", "RUN_COLUMNS", "SCHEMA", "INDEX"]

_ARROW_TYPES = {str: pa.string(), int: pa.int64()}
_KEY_FIELDS = [(name, _ARROW_TYPES[kind]) for name, kind in KEY_COLUMNS.items()]
_CYCLE_FIELDS = [
    ("cycle", pa.int64()), ("n_labeled", pa.int64()), ("accuracy", pa.float64()),
    ("macro_f1", pa.float64()), ("fit_s", pa.float64()), ("infer_s", pa.float64()),
    ("select_s", pa.float64()), ("selected", pa.list_(pa.int64())),
]
_RUN_FIELDS = [
    ("config", pa.string()), ("package_version", pa.string()), ("git_commit", pa.string()),
    ("library_versions", pa.string()), ("wall_s", pa.float64()),
    ("created_at", pa.timestamp("us", tz="UTC")), ("n_pool", pa.int64()), ("n_test", pa.int64()),
]

SCHEMA = pa.schema(_KEY_FIELDS + _CYCLE_FIELDS + _RUN_FIELDS, metadata={"almodules.store": "1"})
"""Arrow schema of every run file."""

CYCLE_COLUMNS: tuple[str, ...] = tuple(n for n, _ in _KEY_FIELDS + _CYCLE_FIELDS)
"""Columns of :meth:`ResultStore.cycles`: one row per run and cycle."""

RUN_COLUMNS: tuple[str, ...] = ("config_hash",) + tuple(n for n, _ in _RUN_FIELDS)
"""Columns of :meth:`ResultStore.runs`: one row per run."""

_FILTER_COLUMNS = tuple(n for n, _ in _KEY_FIELDS) + ("cycle",)
_STAT = ("_mtime_ns", "_size", "_inode")
_INDEX_SCHEMA = pa.schema(list(SCHEMA) + [pa.field(n, pa.int64()) for n in _STAT], metadata=SCHEMA.metadata)
INDEX = "index.parquet"
"""Derived index in the store's root: every run file's rows; rebuilt from the run files."""
_FORMAT = ds.ParquetFileFormat(
    default_fragment_scan_options=ds.ParquetFragmentScanOptions(page_checksum_verification=True))


def _hash_of(config: RunConfig | str) -> str:
    return config if isinstance(config, str) else config.config_hash


def _filtered(table: pa.Table, filters: dict) -> pa.Table:
    for name, value in filters.items():
        check_choice("filter column", name, _FILTER_COLUMNS)
        values = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
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
    """Runs on disk, keyed by :attr:`RunConfig.config_hash`.

    Parameters
    ----------
    root : path-like, optional
        Folder of the store; :func:`almodules.paths.results_dir` (``$ALM_RESULTS_DIR`` or
        ``data/results/``) when omitted.
    """

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = Path(root) if root is not None else results_dir()

    def __repr__(self) -> str:
        return f"ResultStore({str(self.root)!r})"

    def path(self, config: RunConfig | str) -> Path:
        """File that holds (or will hold) the run of ``config`` (or of a config hash)."""
        h = _hash_of(config)
        return self.root / "runs" / h[:2] / f"{h}.parquet"

    def paths(self) -> list[Path]:
        """Every stored run file, sorted (temporary files of writes in flight are not listed)."""
        return sorted(self.path(h) for h in self._scan())

    def __len__(self) -> int:
        return len(self._scan())

    # --- writing -------------------------------------------------------------------------
    def write(self, result: RunResult) -> Path:
        """Store ``result`` atomically, replacing any earlier file of the same config."""
        run = result.run_record()
        rows = [{**row, **run} for row in result.cycle_rows()]
        final = self.path(result.config)
        _write_table(pa.Table.from_pylist(rows, schema=SCHEMA), final)
        return final

    def fill_defaults(self) -> dict[str, str]:
        """Re-key the stored runs whose configs lack a strategy parameter added since they ran.

        Every stored config is completed with the current defaults (:meth:`RunConfig.create`).
        Where that changes its hash, the run file is rewritten under the new hash (its
        ``config_hash`` and ``config`` columns updated) and then the old file is removed, so an
        interrupted call loses nothing and a second call finishes the job.

        Use it only right after adding a parameter whose default reproduces what the strategy
        did before, on the stored runs (the caller vouches for that); a change of behaviour needs
        the stale runs deleted and recomputed instead.

        Returns
        -------
        dict
            ``{old config hash: new config hash}`` of the runs re-keyed.
        """
        runs = self.runs()
        moved = {}
        for old, text in zip(runs["config_hash"], runs["config"]):
            config = RunConfig.create(**json.loads(text))
            if config.config_hash == old:
                continue
            table = pq.read_table(self.path(old), schema=SCHEMA)
            for name, value in (("config_hash", config.config_hash), ("config", config.to_json())):
                table = table.set_column(table.schema.get_field_index(name), name,
                                         pa.array([value] * len(table), pa.string()))
            _write_table(table, self.path(config))
            self.path(old).unlink()
            moved[old] = config.config_hash
        return moved

    # --- reading -------------------------------------------------------------------------
    def _scan(self) -> dict[str, tuple[int, int, int]]:
        """``{config hash: (mtime_ns, size, inode)}`` of every run file."""
        files = {}
        runs = self.root / "runs"
        if not runs.is_dir():
            return files
        for folder in os.scandir(runs):
            if not folder.is_dir():
                continue
            for entry in os.scandir(folder.path):
                if entry.name.endswith(".parquet") and not entry.name.startswith("."):
                    try:
                        stat = entry.stat()
                    except FileNotFoundError:
                        continue
                    files[entry.name[: -len(".parquet")]] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        return files

    def _read_file(self, path: Path) -> pa.Table | None:
        """One run file, or ``None`` with a warning when it cannot be read back intact."""
        try:
            table = pq.read_table(path, schema=SCHEMA, page_checksum_verification=True)
            hashes = table.column("config_hash").unique().to_pylist()
            if hashes != [path.stem]:
                raise ValueError(f"holds config hashes {hashes}, expected {path.stem}")
        except FileNotFoundError:
            return None
        except (pa.ArrowException, OSError, ValueError) as exc:
            warnings.warn(f"result store: unreadable run file {path} ({exc}); it counts as missing "
                          "and will be recomputed", RuntimeWarning, stacklevel=4)
            return None
        return table

    def _read_files(self, paths: list[Path]) -> pa.Table:
        """All ``paths`` in one scan; file by file (skipping unreadable ones) if that fails."""
        try:
            table = ds.dataset([str(p) for p in paths], schema=SCHEMA, format=_FORMAT).to_table()
            # Each file must hold the run its name says; otherwise sort it out file by file.
            if set(table["config_hash"].unique().to_pylist()) == {p.stem for p in paths}:
                return table
        except (pa.ArrowException, OSError):
            pass
        tables = [t for p in paths if (t := self._read_file(p)) is not None]
        return pa.concat_tables(tables) if tables else SCHEMA.empty_table()

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
        firsts = index.filter(pc.equal(index["cycle"], 0)).select(["config_hash", *_STAT])
        indexed = {h: tuple(stat) for h, *stat in zip(*(firsts[c].to_pylist() for c in firsts.column_names))}
        current = {h for h, stat in indexed.items() if files.get(h) == stat}
        stale = [h for h in files if h not in current]
        kept = index.filter(pc.is_in(index["config_hash"], pa.array(sorted(current), pa.string())))
        if not stale and len(current) == len(indexed):
            return kept.drop_columns(list(_STAT))
        fresh = self._read_files([self.path(h) for h in stale]) if stale else SCHEMA.empty_table()
        stats = [files[h] for h in fresh["config_hash"].to_pylist()]
        for i, name in enumerate(_STAT):
            fresh = fresh.append_column(name, pa.array([stat[i] for stat in stats], pa.int64()))
        index = pa.concat_tables([kept, fresh.cast(_INDEX_SCHEMA)])
        try:
            _write_table(index, self.root / INDEX)
        except OSError as exc:  # a read-only store still reads, only slower
            warnings.warn(f"result store: could not write its index ({exc})", RuntimeWarning, stacklevel=2)
        return index.drop_columns(list(_STAT))

    def has(self, config: RunConfig | str) -> bool:
        """True when the run of ``config`` is stored and its file reads back intact."""
        path = self.path(config)
        return path.is_file() and self._read_file(path) is not None

    def missing(self, configs: Iterable[RunConfig]) -> list[RunConfig]:
        """The configs (deduplicated, in order) whose runs are absent or unreadable."""
        unique = list({c.config_hash: c for c in configs}.values())
        readable = set(self.table()["config_hash"].unique().to_pylist())
        return [c for c in unique if c.config_hash not in readable]

    def cycles(self, **filters) -> pd.DataFrame:
        """The cycles table over every stored run (columns :data:`CYCLE_COLUMNS`).

        Filters are column names of the key (``dataset``, ``strategy``, ``seed``, ...,
        ``config_hash``, ``cycle``) with one value or a list of values; ``None`` matches a null
        ``pool_size``. Example: ``store.cycles(dataset="trec6", strategy=["margin", "badge"])``.
        """
        table = _filtered(self.table(), filters).select(list(CYCLE_COLUMNS))
        return table.to_pandas().sort_values(["config_hash", "cycle"], ignore_index=True)

    def runs(self, **filters) -> pd.DataFrame:
        """The runs table (columns :data:`RUN_COLUMNS`), filtered like :meth:`cycles`."""
        table = _filtered(self.table(), {**filters, "cycle": 0}).select(list(RUN_COLUMNS))
        return table.to_pandas().sort_values("config_hash", ignore_index=True)

    def load(self, configs: Sequence[RunConfig]) -> pd.DataFrame:
        """The cycles of exactly ``configs`` (in their order); raises if any is not stored."""
        order = list(dict.fromkeys(c.config_hash for c in configs))
        frame = self.cycles(config_hash=order)
        absent = set(order) - set(frame["config_hash"])
        if absent:
            raise LookupError(f"{len(absent)} of {len(order)} runs are not in {self.root}")
        rank = {h: i for i, h in enumerate(order)}
        frame = frame.assign(_rank=frame["config_hash"].map(rank))
        return frame.sort_values(["_rank", "cycle"], ignore_index=True).drop(columns="_rank")
