"""Datasets the user brings as folders: reading ``train`` and ``test`` files, registering folders.

A folder holds ``train`` and ``test`` files, parquet or CSV (:data:`LOCAL_FORMATS`), with the
columns ``text``, ``label`` (the class name) and, for pair tasks, ``text_pair``. Every folder of
the data directory (``ALM_DATA_DIR``) is usable by its name, and any such folder by its path
(:func:`find_dataset`): it is registered on first use, its classes read from ``classes.txt``
(:data:`CLASSES_FILE`, the label order) or sorted.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from almodules.core.hub_references import is_hub
from almodules.core.paths import data_dir as default_data_dir
from almodules.core.paths import is_path
from almodules.core.validation import ConfigError, check_choice, not_utf8, parse_yaml, read_utf8
from almodules.datasets.hub import find_hub_dataset
from almodules.datasets.registry import DATASETS, DatasetSpec, register_dataset
from almodules.datasets.sources import RawSplits, SourceUnavailable

__all__ = [
    "CLASSES_FILE", "FOLDER_CONFIG", "LOCAL_FORMATS", "find_dataset", "folder_config", "local_datasets", "local_files", "local_spec", "read_local",
]


@lru_cache(maxsize=16)
def _parquet_table(path: str, mtime_ns: int, columns: tuple[str, ...]) -> pa.Table:
    # Keyed by modification time so an edited file is re-read; pyarrow tables are immutable,
    # so handing the cached object out again is safe.
    return pq.read_table(path, columns=list(columns))


LOCAL_FORMATS: tuple[str, ...] = ("parquet", "csv")
"""File formats of a local dataset folder, in the order they are looked for."""


def local_files(directory: Path) -> dict[str, Path] | None:
    """``{"train": path, "test": path}`` of a local dataset folder (parquet, else CSV), or ``None``."""
    for suffix in LOCAL_FORMATS:
        paths = {split: Path(directory) / f"{split}.{suffix}" for split in ("train", "test")}
        if all(p.is_file() for p in paths.values()):
            return paths
    return None


FOLDER_CONFIG = "dataset.yaml"
"""Optional file in a dataset folder naming its columns (``text``, ``text_pair``, ``label``: the
column that holds each) and its ``classes`` in label order."""

_CONFIG_KEYS = ("text", "text_pair", "label", "classes")


def folder_config(folder: Path) -> dict:
    """The folder's :data:`FOLDER_CONFIG`, checked (empty when it has none)."""
    path = Path(folder) / FOLDER_CONFIG
    if not path.is_file():
        return {}
    config = parse_yaml(read_utf8(path), str(path)) or {}
    if not isinstance(config, dict):
        raise ConfigError(f"{path} must map {', '.join(_CONFIG_KEYS)} to values, got {type(config).__name__}")
    for key, value in config.items():
        check_choice(f"key of {path}", key, _CONFIG_KEYS)
        if key == "classes" and not (isinstance(value, list) and value and all(isinstance(c, str) for c in value)):
            raise ConfigError(f"{path}: classes must be a list of class names, got {value!r}")
        if key != "classes" and not isinstance(value, str):
            raise ConfigError(f"{path}: {key} must name a column, got {value!r}")
    return config


def _local_table(path: Path, columns: tuple[str, ...]) -> pa.Table:
    """The ``columns`` of one local file (renamed from the folder's config), text columns checked."""
    source = folder_config(path.parent)
    names = {c: source.get(c, c) for c in columns}
    if path.suffix == ".csv":
        # Everything read as text: a CSV has no types, and a label "1" names the class "1".
        table = pa.Table.from_pandas(_read_csv(path, dtype=str, keep_default_na=False, na_values=[""]),
                                     preserve_index=False)
    else:
        table = _parquet_table(str(path), path.stat().st_mtime_ns, tuple(pq.read_schema(path).names))
    absent = [names[c] for c in columns if names[c] not in table.column_names]
    if absent:
        raise ConfigError(f"{path} lacks the column(s) {', '.join(absent)}; expected columns "
                          f"{', '.join(names.values())} (label = class name; other names: {FOLDER_CONFIG})")
    for name in columns[:-1]:
        kind = table.schema.field(names[name]).type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            raise ConfigError(f"column {names[name]!r} of {path} holds {kind} values; allowed: text (strings)")
        if path.suffix == ".csv":  # a CSV has no types: a column of numbers only is no text column either
            values = table.column(names[name]).to_pandas().dropna()
            values = values[values.str.strip() != ""]
            if len(values) and pd.to_numeric(values, errors="coerce").notna().all():
                raise ConfigError(f"column {names[name]!r} of {path} holds numbers only (e.g. {values.iloc[0]!r}); "
                                  "allowed: text (is another column the text?)")
    return table.select([names[c] for c in columns]).rename_columns(list(columns))


def read_local(directory: Path, *, pair: bool) -> RawSplits:
    """Read ``directory/{train,test}.parquet`` (or ``.csv``).

    Parameters
    ----------
    directory : Path
        The dataset's folder, ``<data_dir>/<name>``.
    pair : bool
        Whether the dataset is a pair task (a ``text_pair`` column is then required).

    Raises
    ------
    SourceUnavailable
        When the folder or one of the two files does not exist.
    ValueError
        When a file lacks a required column or holds missing values.
    """
    directory = Path(directory)
    paths = local_files(directory)
    if paths is None:
        raise SourceUnavailable(f"{directory}/train and test (.{' or .'.join(LOCAL_FORMATS)}) not found")
    columns = ("text", "text_pair", "label") if pair else ("text", "label")
    frames = {}
    for split, path in paths.items():
        frame = _local_table(path, columns).to_pandas()
        nulls = frame.isna().sum()
        if nulls.any():
            detail = ", ".join(f"{c}: {n}" for c, n in nulls.items() if n)
            raise ConfigError(f"{path} holds missing values ({detail}); remove or fill those rows")
        frames[split] = frame.astype(str)
    return RawSplits(frames["train"], frames["test"])


CLASSES_FILE = "classes.txt"
"""Optional file in a local dataset folder: the class names in label order, one per line."""


def local_spec(folder: Path, name: str | None = None) -> DatasetSpec | None:
    """A spec for a folder of ``train`` and ``test`` files (parquet or CSV), or ``None`` if it holds none.

    Classes are read from ``classes.txt`` when the folder has one (that order is the label order),
    else they are the labels found in both files, sorted. The spec's name is the folder's name
    unless given.
    """
    folder = Path(folder).expanduser().resolve()
    files = local_files(folder)
    if files is None:
        return None
    config = folder_config(folder)
    label = config.get("label", "label")
    order = folder / CLASSES_FILE
    if "classes" in config:
        classes, origin = tuple(config["classes"]), FOLDER_CONFIG
    elif order.is_file():
        classes = tuple(line.strip() for line in read_utf8(order).splitlines() if line.strip())
        origin = CLASSES_FILE
    else:
        labels = pd.concat([_labels_of(path, label) for path in files.values()])
        classes, origin = tuple(sorted(labels.unique())), "sorted"
    twice = sorted({c for c in classes if classes.count(c) > 1})
    if twice:
        raise ConfigError(f"the classes of {folder} ({origin}) name {', '.join(map(repr, twice))} more than once; "
                          "each class once")
    pair = config.get("text_pair", "text_pair") in _columns_of(files["train"])
    n_train = int(len(_labels_of(files["train"], label)))
    return DatasetSpec(name or folder.name, folder.name, "user", classes, n_train=n_train, pair=pair,
                       folder=str(folder), note=f"local folder {folder}; classes {origin}")


def _read_csv(path: Path, **kw) -> pd.DataFrame:
    try:
        return pd.read_csv(path, encoding="utf-8", **kw)
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None


def _columns_of(path: Path) -> list[str]:
    return pq.read_schema(path).names if path.suffix == ".parquet" else list(_read_csv(path, nrows=0).columns)


def _labels_of(path: Path, column: str) -> pd.Series:
    if column not in _columns_of(path):
        raise ConfigError(f"{path} has no label column {column!r}; its columns: {', '.join(_columns_of(path))} "
                          f"(name the label column in {FOLDER_CONFIG})")
    if path.suffix == ".parquet":
        return pq.read_table(path, columns=[column]).column(0).to_pandas().astype(str)
    return _read_csv(path, usecols=[column], dtype=str, keep_default_na=False)[column]


def find_dataset(name: str, data_dir: str | Path | None = None) -> str:
    """The registry name of ``name``: registered, a folder under the data directory, a path, or a
    ``hub:`` id (:mod:`almodules.datasets.hub`).

    A name not in :data:`~almodules.datasets.registry.DATASETS` whose folder
    ``<data_dir>/<name>/`` holds train and test files is registered from it (:func:`local_spec`);
    so is a path to such a folder, under the folder's name. Anything else is returned as it is,
    for the caller's check to refuse with the list of names.
    """
    if not isinstance(name, str) or name in DATASETS:
        return name
    if is_hub(name):
        return find_hub_dataset(name)
    candidates = [Path(name).expanduser()] if is_path(name) else []
    folder = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    if folder is not None and not candidates:
        candidates.append(folder / name)
    for candidate in candidates:
        if candidate.is_dir() and local_files(candidate) is None and is_path(name):
            found = sorted(p.name for p in candidate.iterdir() if p.suffix[1:] in LOCAL_FORMATS)
            raise ConfigError(f"dataset folder {str(candidate)!r} needs a train and a test file "
                              f"({' or '.join(f'train.{s} and test.{s}' for s in LOCAL_FORMATS)}); "
                              f"it holds {', '.join(found) or 'none of them'}")
        if candidate.is_dir() and (spec := local_spec(candidate)) is not None:
            if spec.name in DATASETS and DATASETS[spec.name].folder != spec.folder:
                raise ConfigError(f"dataset folder {str(candidate)!r} is named like the registered dataset "
                                  f"{spec.name!r}; rename the folder")
            register_dataset(spec, replace=True)
            return spec.name
    return name


def local_datasets(data_dir: str | Path | None = None) -> list[str]:
    """Folders of the data directory that hold a dataset no registry entry describes (registered now)."""
    folder = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    if folder is None or not folder.is_dir():
        return []
    return [find_dataset(p.name, folder) for p in sorted(folder.iterdir())
            if p.is_dir() and p.name not in DATASETS and local_files(p) is not None]
