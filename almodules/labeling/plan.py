"""What a labeling session does and reads: its plan, the answers that are not a class, unlabeled texts.

A :class:`SessionPlan` names the data, embedder, strategies, seed and budget of a session
(:mod:`almodules.labeling.session`); :func:`load_session_inputs` reads what it labels, either a
dataset the project accepts (with gold labels and a test split) or bare texts from a CSV, parquet
or text file with the class names.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from almodules.core.validation import ConfigError, check_choice, check_int, not_utf8, read_utf8
from almodules.datasets.checks import dataset_fingerprint
from almodules.datasets.loading import TextDataset, load_dataset
from almodules.datasets.local import find_dataset
from almodules.datasets.registry import DATASETS
from almodules.embeddings.compute import embed_dataset
from almodules.engine.config import RunConfig, complete_params
from almodules.engine.experiment import load_inputs
from almodules.engine.strategies import IPS_STRATEGIES, QUERY_STRATEGIES

__all__ = ["SKIP", "UNSURE", "NON_LABELS", "SessionPlan", "SessionInputs", "load_session_inputs",
           "read_unlabeled_texts", "parse_answer", "data_location", "relocated"]

SKIP, UNSURE = "skip", "unsure"
NON_LABELS: tuple[str, ...] = (SKIP, UNSURE)
"""Answers that are not a class: they spend budget and remove the point from later batches."""

_TEXT_SUFFIXES = (".csv", ".parquet", ".txt")


@dataclass(frozen=True)
class SessionPlan:
    """What a session does: data, embedder, strategies, seed and label budget.

    ``k0`` labels come from the initial-pool strategy ``ips``, then batches of ``batch_size`` from
    ``strategy`` until ``budget`` texts have been answered. ``classes`` is set for unlabeled texts
    (their class names) and ``None`` for a dataset with gold labels.
    """

    dataset: str
    embedder: str
    ips: str = "random"
    strategy: str = "margin"
    seed: int = 0
    k0: int = 10
    batch_size: int = 10
    budget: int = 100
    strategy_params: tuple = ()
    ips_params: tuple = ()
    classes: tuple | None = None

    def __post_init__(self) -> None:
        check_choice("ips", self.ips, IPS_STRATEGIES)
        check_choice("strategy", self.strategy, QUERY_STRATEGIES)
        for name, minimum in (("seed", 0), ("k0", 1), ("batch_size", 1), ("budget", 1)):
            object.__setattr__(self, name, check_int(name, getattr(self, name), minimum=minimum))
        if self.budget < self.k0:
            raise ConfigError(f"budget ({self.budget}) must be >= k0 ({self.k0}): the budget counts the initial pool")
        object.__setattr__(self, "ips_params", complete_params(self.ips, self.ips_params, role="ips", batch=self.k0))
        object.__setattr__(self, "strategy_params",
                           complete_params(self.strategy, self.strategy_params, batch=self.batch_size))
        if self.classes is not None:
            classes = tuple(str(c) for c in self.classes)
            if len(classes) < 2 or len(set(classes)) != len(classes):
                raise ConfigError(f"classes must name at least two distinct classes, got {list(classes)}")
            clash = [c for c in classes if c in NON_LABELS]
            if clash:
                raise ConfigError(f"classes must not be named {' or '.join(NON_LABELS)} (answers of their own), "
                                  f"got {clash}")
            object.__setattr__(self, "classes", classes)

    @property
    def gold(self) -> bool:
        """Whether the data has gold labels (a dataset the project accepts) rather than bare texts."""
        return self.classes is None

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["strategy_params"] = dict(self.strategy_params)
        out["ips_params"] = dict(self.ips_params)
        out["classes"] = list(self.classes) if self.classes is not None else None
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "SessionPlan":
        return cls(**{**data, "classes": tuple(data["classes"]) if data.get("classes") is not None else None})

    def run_config(self) -> RunConfig:
        """The simulated run of this plan: the same data, strategies, seed and batch size, the
        dataset's own labels as the answers, for ``(budget - k0) // batch_size`` full batches."""
        if not self.gold:
            raise ConfigError("unlabeled texts have no simulated run: there are no stored labels to answer with")
        cycles = (self.budget - self.k0) // self.batch_size
        return RunConfig(dataset=self.dataset, embedder=self.embedder, ips=self.ips, strategy=self.strategy,
                         seed=self.seed, k0=self.k0, budget=self.k0 + cycles * self.batch_size, cycles=cycles,
                         strategy_params=self.strategy_params, ips_params=self.ips_params)


def read_unlabeled_texts(path: str | Path, *, column: str = "text") -> tuple[str, ...]:
    """The texts of a CSV or parquet file (column ``column``) or a text file (one per line)."""
    path = Path(path)
    if not path.is_file() or path.suffix not in _TEXT_SUFFIXES:
        raise ConfigError(f"texts must be a {', '.join(_TEXT_SUFFIXES)} file, got {str(path)!r}")
    if path.suffix == ".txt":
        texts = [line for line in read_utf8(path).splitlines() if line.strip()]
    else:
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False) if path.suffix == ".csv" else pd.read_parquet(path)
        except UnicodeDecodeError as exc:
            raise not_utf8(path, exc) from None
        if column not in frame.columns:
            raise ConfigError(f"{path} has no column {column!r}; its columns: {', '.join(map(str, frame.columns))}")
        texts = [str(t) for t in frame[column] if str(t).strip()]
    if len(texts) < 2:
        raise ConfigError(f"{path} holds {len(texts)} non-blank texts; a session needs at least 2")
    return tuple(texts)


def _unlabeled_dataset(path: Path, classes: tuple[str, ...]) -> TextDataset:
    texts = read_unlabeled_texts(path)
    # Labels are placeholders (never read: the session has no gold); the texts make the fingerprints.
    return TextDataset(name=f"unlabeled-{path.stem}", classes=classes, train_text=texts, train_pair=None,
                       train_labels=np.zeros(len(texts), dtype=np.int64), test_text=(), test_pair=None,
                       test_labels=np.zeros(0, dtype=np.int64), source=str(path))


@dataclass
class SessionInputs:
    """What a session reads: the pool's texts and embeddings, gold labels and test split when there are
    any, the classes and the fingerprints of the data and the embeddings."""

    texts: tuple[str, ...]
    X: np.ndarray
    gold: np.ndarray | None
    X_test: np.ndarray | None
    y_test: np.ndarray | None
    classes: tuple[str, ...]
    data_fingerprint: str
    embedding_fingerprint: str


def load_session_inputs(plan: SessionPlan) -> SessionInputs:
    """The inputs of ``plan``: a dataset's embeddings and gold, or the embedded unlabeled texts."""
    if plan.gold:
        data = load_dataset(plan.dataset)
        inputs = load_inputs(plan.dataset, plan.embedder, data=data)
        if data.pair:
            raise ConfigError(f"dataset {plan.dataset!r} is a text-pair task; a labeling session shows single texts")
        return SessionInputs(data.train_text, inputs.train, inputs.train_labels, inputs.test, inputs.test_labels,
                       tuple(data.classes), inputs.data_fingerprint, inputs.embedding_fingerprint)
    data = _unlabeled_dataset(Path(plan.dataset), plan.classes)
    embeddings = embed_dataset(data, plan.embedder, progress=False)
    return SessionInputs(data.train_text, np.asarray(embeddings.train, dtype=np.float32), None, None, None, plan.classes,
                   dataset_fingerprint(data), embeddings.fingerprint)


def parse_answer(value: str | int, classes: tuple[str, ...]) -> str:
    """A person's answer as stored: a class name (also from its 0-based number), ``"skip"`` or ``"unsure"``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if not 0 <= value < len(classes):
            raise ConfigError(f"answer {value} is not a class number; allowed: 0..{len(classes) - 1} "
                              f"({', '.join(classes)})")
        return classes[int(value)]
    if isinstance(value, str) and (value in classes or value in NON_LABELS):
        return value
    raise ConfigError(f"answer must be one of the classes ({', '.join(classes)}) or "
                      f"{' / '.join(NON_LABELS)}, got {value!r}")


def data_location(plan: SessionPlan) -> str | None:
    """Where the plan's data lies when it is a folder or a file (so a session reopens from anywhere)."""
    if not plan.gold:
        return plan.dataset
    folder = DATASETS[plan.dataset].folder if plan.dataset in DATASETS else None
    return str(Path(folder).resolve()) if folder else None


def relocated(plan: SessionPlan, location: str | None, given: bool) -> SessionPlan:
    """``plan`` with its data found at ``location``: when it is ``given`` (the data moved), or when the
    plan's dataset is not registered in this process (a folder registered by the process that started it)."""
    if location is None or not (given or plan.dataset not in DATASETS):
        return plan
    found = find_dataset(str(location)) if plan.gold else str(Path(location).expanduser().resolve())
    return dataclasses.replace(plan, dataset=found)
