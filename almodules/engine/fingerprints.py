"""What each dataset × embedder pair was when results of it were stored, so they are found without the texts.

A run key covers the fingerprints of the data and of the embeddings, and computing them needs the
texts. A fresh clone has the committed results but not the datasets they were computed on; this
record keeps, per pair, the fingerprints (and the train split's size) that its stored results were
keyed with. It is read only when the dataset cannot be loaded on this machine: where the data is
present, its own fingerprint decides, so a stored result is never served for other data.

Layout: ``<results_dir>/fingerprints/<dataset>/<embedder>.json``, one small file per pair (grid
processes that record the same pair at once write the same content, atomically).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple

from almodules.core.atomic import write_atomic
from almodules.core.paths import results_dir

__all__ = ["Fingerprints", "record_fingerprints", "recorded_fingerprints", "recorded_train_rows"]

_SAFE = re.compile(r"[^A-Za-z0-9._+-]")


class Fingerprints(NamedTuple):
    """What a pair's results are keyed with; ``recorded``: read from the record (the data is not here)."""

    data: str
    embedding: str
    n_train: int | None
    recorded: bool = False


def _path(dataset: str, embedder: str, root: Path | None) -> Path:
    return (root or results_dir()) / "fingerprints" / _SAFE.sub("_", dataset) / f"{_SAFE.sub('_', embedder)}.json"


def record_fingerprints(dataset: str, embedder: str, data: str, embedding: str, n_train: int | None = None, *,
                        root: Path | None = None) -> None:
    """Keep the fingerprints results of ``dataset`` × ``embedder`` are being stored with (written when changed)."""
    path = _path(dataset, embedder, root)
    old = _read(path)
    if old is not None and n_train is None and old.get("data_fingerprint") == data:
        n_train = old.get("n_train")
    entry = {"dataset": dataset, "embedder": embedder, "data_fingerprint": data, "embedding_fingerprint": embedding,
             "n_train": n_train}
    if old != entry:
        write_atomic(path, lambda fh: fh.write((json.dumps(entry, indent=1, sort_keys=True) + "\n").encode()))


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def recorded_fingerprints(dataset: str, embedder: str, *, root: Path | None = None) -> Fingerprints | None:
    """The recorded fingerprints of the pair (``recorded`` set), or ``None`` when none were kept."""
    entry = _read(_path(dataset, embedder, root))
    if entry is None or entry.get("dataset") != dataset or entry.get("embedder") != embedder:
        return None
    return Fingerprints(entry["data_fingerprint"], entry["embedding_fingerprint"], entry.get("n_train"), True)


def recorded_train_rows(dataset: str, *, root: Path | None = None) -> int | None:
    """The train split's size recorded with any embedder of ``dataset`` (one data fingerprint), or ``None``."""
    folder = (root or results_dir()) / "fingerprints" / _SAFE.sub("_", dataset)
    entries = [e for p in sorted(folder.glob("*.json")) if (e := _read(p)) and e.get("dataset") == dataset]
    sizes = {e["n_train"] for e in entries if e.get("n_train") is not None}
    return sizes.pop() if len(sizes) == 1 and len({e["data_fingerprint"] for e in entries}) == 1 else None
