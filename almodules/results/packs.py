"""Packs: many finished runs in one Parquet file named by the SHA-256 of its bytes.

A grid writes each run as its own small file (crash-safe, claimed once); :meth:`ResultStore.pack
<almodules.results.store.ResultStore.pack>` later moves finished runs into packs, one new pack per
dataset each time (append-only segments: a commit of new runs adds files and never rewrites old
ones). Because a pack's name is the hash of its content, checking it is one hash of its bytes, on
any clone, whatever the files' inodes and times: a pack whose bytes match its name holds exactly
the runs that were verified (each against its own checksum) when it was written. A pack that does
not match is read run by run, and only runs whose own checksum still matches are kept.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from almodules.core.atomic import write_atomic
from almodules.results.run_table import SCHEMA, run_checksum, split_by

__all__ = ["PACKS", "PACK_SORT", "pack_paths", "pack_bytes", "write_pack", "read_pack", "verified_packs"]

PACKS = "packs"
"""Folder of the packs under a store's root."""

PACK_SORT = [("dataset", "ascending"), ("embedder", "ascending"), ("run_key", "ascending"), ("cycle", "ascending")]
"""Row order inside a pack: neighbouring rows share most values, which compresses them."""


def pack_paths(root: Path) -> list[Path]:
    """The packs of the store at ``root``, sorted by name."""
    folder = root / PACKS
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))


def pack_bytes(table: pa.Table) -> bytes:
    """The Parquet bytes of a pack holding ``table`` (rows sorted by :data:`PACK_SORT`)."""
    sink = pa.BufferOutputStream()
    pq.write_table(table.sort_by(PACK_SORT), sink, compression="zstd", compression_level=9,
                   write_page_checksum=True)
    return sink.getvalue().to_pybytes()


def write_pack(root: Path, table: pa.Table) -> Path:
    """Write ``table`` (verified runs) as a pack under ``root``; returns its path."""
    data = pack_bytes(table)
    path = root / PACKS / f"{hashlib.sha256(data).hexdigest()}.parquet"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda fh: fh.write(data))
    return path


@lru_cache(maxsize=256)
def _pack_file(path: str, size: int, mtime_ns: int, inode: int) -> tuple[pa.Buffer, bool]:
    # Keyed by the file's stat too: a file replaced under the same name is read again.
    data = Path(path).read_bytes()
    return pa.py_buffer(data), hashlib.sha256(data).hexdigest() == Path(path).stem


@lru_cache(maxsize=1024)
def _read_pack(path: str, size: int, mtime_ns: int, inode: int,
               columns: tuple[str, ...] | None) -> tuple[pa.Table, bool]:
    data, intact = _pack_file(path, size, mtime_ns, inode)
    table = pq.read_table(pa.BufferReader(data), schema=SCHEMA, columns=None if columns is None else list(columns),
                          page_checksum_verification=True)
    return table, intact


def read_pack(path: Path, columns: tuple[str, ...] | None = None) -> tuple[pa.Table | None, bool]:
    """The runs of one pack (only ``columns``, when given), read once per process, and whether its
    bytes match its name (always checked over the whole file).

    Returns ``(None, False)`` with a warning when the file cannot be read at all.
    """
    try:
        stat = os.stat(path)
        return _read_pack(str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino, columns)
    except FileNotFoundError:
        return None, False
    except (pa.ArrowException, OSError, ValueError) as exc:
        warnings.warn(f"result store: unreadable pack {path} ({exc}); its runs count as missing and will be "
                      "recomputed", RuntimeWarning, stacklevel=3)
        return None, False


def verified_packs(root: Path, columns: tuple[str, ...] | None = None) -> list[tuple[Path, pa.Table]]:
    """Every pack of the store at ``root`` with its runs (only ``columns``, when given: a reader of
    accuracies need not decode every cycle's selected points); a pack whose bytes do not match its
    name keeps only the runs whose own checksums still match (with a warning)."""
    out = []
    for path in pack_paths(root):
        table, intact = read_pack(path, columns)
        if table is None:
            continue
        if not intact:
            table, _ = read_pack(path)  # a run's checksum covers all of its columns
            runs = split_by(table.sort_by([("run_key", "ascending"), ("cycle", "ascending")]), "run_key")
            good = [run for _, run in runs if run["checksum"].unique().to_pylist() == [run_checksum(run)]]
            warnings.warn(f"result store: pack {path} does not match its name (its bytes changed); "
                          f"{len(runs) - len(good)} of its {len(runs)} runs fail their checksums and count as "
                          "missing", RuntimeWarning, stacklevel=3)
            table = pa.concat_tables(good) if good else SCHEMA.empty_table()
            if columns is not None:
                table = table.select(list(columns))
        out.append((path, table))
    return out
