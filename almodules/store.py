"""The result store: one Parquet file per run, keyed by the config hash.

Layout under the root (default :func:`almodules.paths.results_dir`, i.e. ``data/results/``)::

    runs/<hash[:2]>/<hash>.parquet

Each file is one tidy table with one row per cycle ``t = 0 .. T``: the cycle columns
(:data:`CYCLE_COLUMNS`) followed by the run's provenance (:data:`RUN_COLUMNS`, repeated on every
row; Parquet's dictionary encoding stores them once). The cycles table is a projection of all
files, the runs table their ``cycle == 0`` rows, both read in one pass with ``pyarrow.dataset``.

Writes are atomic: the table goes to a hidden ``.<hash>.<pid>.<random>.tmp`` file in the same
folder, is flushed to disk, then ``os.replace``-d over the final name. Readers therefore see a
run completely or not at all, a killed writer leaves at most an ignored temporary file, and
writing the same hash twice just replaces the file (no duplicates). Pages carry CRC checksums;
a file that cannot be read back (truncated, corrupt) is reported with a warning, treated as
missing and recomputed by the next :meth:`ResultStore.get_or_run` or grid.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from .experiment import RunConfig, RunResult
from .paths import results_dir
from .validation import check_choice

__all__ = ["ResultStore", "CYCLE_COLUMNS", "RUN_COLUMNS", "SCHEMA"]

_KEY_FIELDS = [
    ("config_hash", pa.string()), ("dataset", pa.string()), ("embedder", pa.string()),
    ("ips", pa.string()), ("strategy", pa.string()), ("seed", pa.int64()), ("k0", pa.int64()),
    ("budget", pa.int64()), ("cycles", pa.int64()), ("pool_size", pa.int64()),
    ("batch_size", pa.int64()),
]
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
_FORMAT = ds.ParquetFileFormat(
    default_fragment_scan_options=ds.ParquetFragmentScanOptions(page_checksum_verification=True))


def _hash_of(config: RunConfig | str) -> str:
    return config if isinstance(config, str) else config.config_hash


def _filter_expression(filters: dict) -> ds.Expression | None:
    expr = None
    for name, value in filters.items():
        check_choice("filter column", name, _FILTER_COLUMNS)
        values = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
        present = [v for v in values if v is not None]
        term = pc.field(name).isin(present) if present else None
        if len(present) < len(values):
            term = pc.field(name).is_null() if term is None else term | pc.field(name).is_null()
        expr = term if expr is None else expr & term
    return expr


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
        runs = self.root / "runs"
        return sorted(runs.glob("*/*.parquet")) if runs.is_dir() else []

    def __len__(self) -> int:
        return len(self.paths())

    # --- writing -------------------------------------------------------------------------
    def write(self, result: RunResult) -> Path:
        """Store ``result`` atomically, replacing any earlier file of the same config."""
        run = result.run_record()
        rows = [{**row, **run} for row in result.cycle_rows()]
        table = pa.Table.from_pylist(rows, schema=SCHEMA)
        final = self.path(result.config)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.parent / f".{final.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            pq.write_table(table, tmp, compression="zstd", write_page_checksum=True)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        return final

    # --- reading -------------------------------------------------------------------------
    def _read_file(self, path: Path, columns=None, expr=None) -> pa.Table | None:
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
                          "and will be recomputed", RuntimeWarning, stacklevel=3)
            return None
        if expr is not None:
            table = table.filter(expr)
        return table.select(list(columns)) if columns is not None else table

    def _read(self, paths: Sequence[Path], columns: Sequence[str], expr=None) -> pa.Table:
        """All ``paths`` in one scan; file by file (skipping unreadable ones) if that fails."""
        if not paths:
            return SCHEMA.empty_table().select(list(columns))
        try:
            dataset = ds.dataset([str(p) for p in paths], schema=SCHEMA, format=_FORMAT)
            return dataset.to_table(columns=list(columns), filter=expr)
        except (pa.ArrowException, OSError):
            tables = [t for p in paths if (t := self._read_file(p, columns, expr)) is not None]
            if not tables:
                return SCHEMA.empty_table().select(list(columns))
            return pa.concat_tables(tables)

    def has(self, config: RunConfig | str) -> bool:
        """True when the run of ``config`` is stored and reads back intact."""
        path = self.path(config)
        return path.is_file() and self._read_file(path, ["cycle"]) is not None

    def missing(self, configs: Iterable[RunConfig]) -> list[RunConfig]:
        """The configs (deduplicated, in order) whose runs are absent or unreadable."""
        unique = list({c.config_hash: c for c in configs}.values())
        present = [c for c in unique if self.path(c).is_file()]
        # Read every column, not only the hashes: a damaged page anywhere must count as missing.
        table = self._read([self.path(c) for c in present], SCHEMA.names)
        readable = set(table.column("config_hash").unique().to_pylist())
        return [c for c in unique if c.config_hash not in readable]

    def cycles(self, **filters) -> pd.DataFrame:
        """The cycles table over every stored run (columns :data:`CYCLE_COLUMNS`).

        Filters are column names of the key (``dataset``, ``strategy``, ``seed``, ...,
        ``config_hash``, ``cycle``) with one value or a list of values; ``None`` matches a null
        ``pool_size``. Example: ``store.cycles(dataset="trec6", strategy=["margin", "badge"])``.
        """
        table = self._read(self.paths(), CYCLE_COLUMNS, _filter_expression(filters))
        return self._frame(table)

    def runs(self, **filters) -> pd.DataFrame:
        """The runs table (columns :data:`RUN_COLUMNS`), filtered like :meth:`cycles`."""
        filters = {**filters, "cycle": 0}
        table = self._read(self.paths(), RUN_COLUMNS, _filter_expression(filters))
        return table.to_pandas().sort_values("config_hash", ignore_index=True)

    def load(self, configs: Sequence[RunConfig]) -> pd.DataFrame:
        """The cycles of exactly ``configs`` (in their order); raises if any is not stored."""
        order = list(dict.fromkeys(c.config_hash for c in configs))
        table = self._read([self.path(h) for h in order if self.path(h).is_file()], CYCLE_COLUMNS,
                           pc.field("config_hash").isin(order))
        frame = table.to_pandas()
        absent = set(order) - set(frame["config_hash"])
        if absent:
            raise LookupError(f"{len(absent)} of {len(order)} runs are not in {self.root}")
        rank = {h: i for i, h in enumerate(order)}
        frame = frame.assign(_rank=frame["config_hash"].map(rank))
        return frame.sort_values(["_rank", "cycle"], ignore_index=True).drop(columns="_rank")

    def get_or_run(self, configs: Iterable[RunConfig], *, executor: str = "local",
                   workers: int | None = None, scheduler=None, progress: bool = True,
                   loader=None) -> pd.DataFrame:
        """Cycles of ``configs``, computing (with :func:`almodules.grid.run_grid`) only those missing.

        Parameters
        ----------
        configs : iterable of RunConfig
        executor, workers, scheduler, progress
            Passed to :func:`almodules.grid.run_grid` for the missing runs.
        loader : callable, optional
            ``loader(dataset, embedder) -> RunInputs`` for data outside the registries;
            default: the cached embeddings (:func:`almodules.experiment.load_inputs`).

        Returns
        -------
        DataFrame
            Columns :data:`CYCLE_COLUMNS`, rows ordered by config (as given) and cycle.
        """
        from .grid import run_grid

        configs = list(configs)
        extra = {} if loader is None else {"loader": loader}
        run_grid(configs, executor=executor, workers=workers, scheduler=scheduler, store=self,
                 progress=progress, **extra)
        return self.load(configs)

    @staticmethod
    def _frame(table: pa.Table) -> pd.DataFrame:
        frame = table.to_pandas()
        return frame.sort_values(["config_hash", "cycle"], ignore_index=True)
