"""The result store: every finished run, keyed by its run key.

A run's key (:meth:`RunConfig.run_key <almodules.engine.config.RunConfig.run_key>`) hashes its config,
the content of its dataset, the fingerprint of its embeddings and the versions of the code that
ran it, so a result computed on other data or by other code is never served for a run.

Layout under the root (default :func:`almodules.core.paths.results_dir`, i.e. ``data/results/``)::

    runs/<key[:2]>/<key>.parquet        loose runs: what a grid writes, one file per run
    packs/<sha256>.parquet              packed runs (:mod:`~almodules.results.packs`), named by their bytes' hash
    index.parquet                       derived: the loose runs in one file, refreshed on read

Every file holds rows of :data:`~almodules.results.run_table.SCHEMA` (one row per run and cycle);
the cycles table is a projection of all runs, the runs table their ``cycle == 0`` rows.
:meth:`ResultStore.pack` moves loose runs into a new pack per dataset (about 2 KB a run, against
about 20 KB as a loose file); a run both loose and packed (a pack written, the loose file not yet
removed) is served once, from its loose file.

Reads: packs are read once per process and checked by one hash of their bytes; loose files go
through a derived index, the concatenation of every loose file tagged with its size,
modification time and inode, so only new or changed files are read (one ``pyarrow.dataset``
scan). Deleting the index is always safe.

Integrity: writes are atomic (:func:`almodules.core.atomic.write_atomic`), so a killed writer leaves
at most a hidden ``.tmp`` file, removed by a later scan once it is an hour old. Pages carry CRC
checksums, and every run carries a ``checksum`` of its whole content, checked whenever a loose
file is read into the index or a pack does not match its name: a run that cannot be read back or
whose content does not match (a flipped bit anywhere) is reported with a warning, treated as
missing and recomputed by the next grid.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from almodules.core.atomic import TMP_SUFFIX, write_atomic
from almodules.core.paths import results_dir
from almodules.core.validation import ConfigError
from almodules.engine.config import KEY_COLUMNS
from almodules.engine.experiment import RunResult
from almodules.results.packs import pack_paths, verified_packs, write_pack
from almodules.results.run_table import CYCLE_COLUMNS, RUN_COLUMNS, SCHEMA, filtered, run_checksum, split_by

__all__ = ["ResultStore", "INDEX", "STALE_TMP_S"]

STALE_TMP_S = 3600
"""Age after which a temporary file of a write counts as left by a killed writer and is removed."""

_STAT = ("_mtime_ns", "_size", "_inode")
_INDEX_SCHEMA = pa.schema(list(SCHEMA) + [pa.field(n, pa.int64()) for n in _STAT], metadata=SCHEMA.metadata)
INDEX = "index.parquet"
"""Derived index in the store's root: every run file's rows; rebuilt from the run files."""
_FORMAT = ds.ParquetFileFormat(
    default_fragment_scan_options=ds.ParquetFragmentScanOptions(page_checksum_verification=True))


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
        return len(self.table(["run_key"])["run_key"].unique())

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
        good = [run for file, rows in split_by(table, "_file")
                if (run := self._intact(rows.drop_columns(["_file"]), Path(file))) is not None]
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

    def table(self, columns: Iterable[str] | None = None) -> pa.Table:
        """Every stored run as one Arrow table: the loose runs, then the packed runs that are not
        loose too (each run once). All columns (:data:`SCHEMA`), or only ``columns`` (``run_key``
        always): packs then decode only those."""
        if columns is not None:
            columns = tuple(dict.fromkeys(["run_key", *columns]))
        loose = self._loose_table()
        if columns is not None:
            loose = loose.select(list(columns))
        parts, seen = [loose], set(loose["run_key"].unique().to_pylist())
        for _, table in verified_packs(self.root, columns):
            keys = table["run_key"].unique()
            if seen.intersection(keys.to_pylist()):
                table = table.filter(pc.invert(pc.is_in(table["run_key"], pa.array(sorted(seen), pa.string()))))
            seen.update(keys.to_pylist())
            parts.append(table)
        return pa.concat_tables(parts) if len(parts) > 1 else loose

    def _loose_table(self, files: dict | None = None) -> pa.Table:
        """Every loose run (``runs/``), from the derived index (``index.parquet``: all run files
        concatenated, each with the size, modification time and inode it had) plus the run files
        that are new or changed since; refreshes the index when anything changed. The run files
        stay the truth: deleting the index only costs one full read.
        """
        files = self._scan() if files is None else files
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
        """True when the run ``run_key`` is stored and reads back intact."""
        path = self.path(run_key)
        if path.is_file() and self._read_file(path) is not None:
            return True
        return any(pc.any(pc.equal(t["run_key"], run_key)).as_py() for _, t in verified_packs(self.root))

    def packs(self) -> list[Path]:
        """The store's packs, sorted by name."""
        return pack_paths(self.root)

    def pack(self, *, drop: Iterable[str] = ()) -> list[Path]:
        """Move every loose run into new packs (one per dataset); leave out the runs ``drop``.

        Packs holding a dropped run are rewritten without it; other packs are left as they are.
        The new packs are written before anything is removed, and a loose file is removed only if
        it did not change meanwhile, so an interrupted call loses nothing (a second call finishes
        the job) and a grid may keep writing runs while this runs.

        Returns
        -------
        list of Path
            The packs written.
        """
        drop = pa.array(sorted(set(drop)), pa.string())
        files = self._scan()
        loose = self._loose_table(files)
        tables, rewritten = [loose], []
        for path, table in verified_packs(self.root):
            if len(drop) and pc.any(pc.is_in(table["run_key"], drop)).as_py():
                tables.append(table)
                rewritten.append(path)
        rows = pa.concat_tables(tables)
        rows = rows.filter(pc.invert(pc.is_in(rows["run_key"], drop)))
        written = [write_pack(self.root, rows.filter(pc.equal(rows["dataset"], dataset)))
                   for dataset in sorted(rows["dataset"].unique().to_pylist())]
        for key in loose["run_key"].unique().to_pylist():
            path = self.path(key)
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if (stat.st_mtime_ns, stat.st_size, stat.st_ino) == files.get(key):
                path.unlink()
        for path in rewritten:
            if path not in written:
                path.unlink(missing_ok=True)
        return written

    def missing(self, run_keys: Iterable[str]) -> list[str]:
        """The run keys (deduplicated, in order) whose runs are absent or unreadable."""
        readable = set(self.table(["run_key"])["run_key"].unique().to_pylist())
        return [k for k in dict.fromkeys(run_keys) if k not in readable]

    def cycles(self, **filters) -> pd.DataFrame:
        """The cycles table over every stored run (columns :data:`CYCLE_COLUMNS`).

        Filters are column names of the key (``dataset``, ``strategy``, ``seed``, ...,
        ``run_key``, ``config_hash``, ``cycle``) with one value or a list of values; ``None``
        matches a null ``pool_size``. Example: ``store.cycles(dataset="trec6", strategy=["margin", "badge"])``.
        """
        table = filtered(self.table(CYCLE_COLUMNS), filters).select(list(CYCLE_COLUMNS))
        return table.to_pandas().sort_values(["run_key", "cycle"], ignore_index=True)

    def runs(self, **filters) -> pd.DataFrame:
        """The runs table (columns :data:`RUN_COLUMNS`), filtered like :meth:`cycles`."""
        table = filtered(self.table([*KEY_COLUMNS, "cycle", *RUN_COLUMNS]), {**filters, "cycle": 0})
        table = table.select(list(RUN_COLUMNS))
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

        ``run row`` is a row of :meth:`runs`; the columns returned are replaced in the run
        (``run_key`` always), which is written under the new key before the old one is removed
        (packs holding it are rewritten), so an interrupted call loses nothing and a second call
        finishes the job. Only for changes that keep every result's bits (the caller vouches).

        Returns
        -------
        dict
            ``{old key: new key}`` of the runs moved.
        """
        moved, table = {}, None
        for run in self.runs().to_dict("records"):
            change = new_key(run)
            if change is None or change[0] == run["run_key"]:
                continue
            if table is None:
                table = dict(split_by(self.table().sort_by([("run_key", "ascending"), ("cycle", "ascending")]),
                                     "run_key"))
            key, columns = change
            rows = table[run["run_key"]]
            for name, value in {**columns, "run_key": key}.items():
                rows = rows.set_column(rows.schema.get_field_index(name), name,
                                       pa.array([value] * len(rows), SCHEMA.field(name).type))
            self.write_table(rows)
            moved[run["run_key"]] = key
        for old in moved:
            self.path(old).unlink(missing_ok=True)
        if moved and self.packs():
            self.pack(drop=moved)
        return moved
