"""What a loaded dataset is and whether a probe can learn from it: its fingerprint and its checks.

:func:`dataset_fingerprint` hashes a dataset's content (classes, texts, labels) for run keys;
:func:`check_content` refuses a train split a classifier cannot learn from and warns
(:class:`DataWarning`) about absent classes, blank texts and many dropped label conflicts.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from almodules.core.atomic import array_digest, canonical_hash, text_digest
from almodules.core.validation import ConfigError
from almodules.datasets.registry import DatasetSpec

__all__ = ["CONFLICT_WARNING_SHARE", "DataWarning", "check_content", "dataset_fingerprint"]


def dataset_fingerprint(dataset: Any) -> str:
    """Hash of a dataset's content: its classes and, per split, its texts (and pairs) and labels.

    Anything with ``classes`` and ``<split>_labels`` works; texts are included where present, so
    a change of one text, one label or the class order gives another fingerprint.
    """
    splits = {}
    for split in ("train", "test", "val"):
        labels = getattr(dataset, f"{split}_labels", None)
        if labels is None:
            continue
        texts = getattr(dataset, f"{split}_text", None)
        splits[split] = {"labels": array_digest(np.asarray(labels, dtype=np.int64)),
                         "texts": None if texts is None else text_digest(texts, getattr(dataset, f"{split}_pair", None))}
    return canonical_hash({"classes": [str(c) for c in dataset.classes], "splits": splits})


class DataWarning(UserWarning):
    """Loaded data that is usable but suspicious: absent classes, empty texts, many conflicts."""


CONFLICT_WARNING_SHARE = 0.01
"""Share of rows dropped as label conflicts above which loading warns."""


def check_content(spec: DatasetSpec, source: str, train: pd.DataFrame, test: pd.DataFrame,
                   train_labels: np.ndarray, n_dropped: int, n_rows: int) -> None:
    """Refuse a train split a probe cannot learn from; warn about what looks wrong."""
    present = np.unique(train_labels)
    if len(present) < 2:
        raise ConfigError(f"dataset {spec.name!r} ({source}): the train split holds "
                          f"{'no rows' if not len(present) else f'one class only ({spec.classes[present[0]]!r})'}; "
                          "a classifier needs at least two classes")
    absent = [c for i, c in enumerate(spec.classes) if i not in set(present.tolist())]
    if absent:
        shown = ", ".join(map(repr, absent[:10])) + (" ..." if len(absent) > 10 else "")
        warnings.warn(f"dataset {spec.name!r}: {len(absent)} of {spec.n_classes} classes have no train rows "
                      f"({shown}); no run can predict them", DataWarning, stacklevel=4)
    for split, frame in (("train", train), ("test", test)):
        empty = int((frame["text"].str.strip() == "").sum())
        if empty:
            warnings.warn(f"dataset {spec.name!r}: {empty} empty or blank texts in the {split} split",
                          DataWarning, stacklevel=4)
    if n_rows and n_dropped / n_rows > CONFLICT_WARNING_SHARE:
        warnings.warn(f"dataset {spec.name!r}: {n_dropped} of {n_rows} rows ({n_dropped / n_rows:.1%}) dropped as "
                      "label conflicts (the same text with different labels)", DataWarning, stacklevel=4)
