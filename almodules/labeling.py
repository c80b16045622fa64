"""Label it yourself: an active-learning session a person answers, one batch at a time.

A :class:`LabelingSession` proposes a batch (the initial-pool strategy first, then the query
strategy), takes one answer per text — a class, ``"skip"`` or ``"unsure"`` — and, once the batch is
answered, refits the linear probe and proposes the next batch. It is the AL cycle of
:func:`almodules.experiment.execute_run` with a person in place of the stored labels: the same
strategies, seed streams and probe, so a session answered with the dataset's own labels picks the
same points and reaches the same accuracies as the simulated run of :meth:`SessionPlan.run_config`
(tested), and both can be drawn on one learning-curve figure.

The session is a JSON-lines file, appended and flushed to disk after every answer: a header (the
plan, the classes, the fingerprints of the data and the embeddings, the code's version), then one
event per line (``batch``, ``answer``, ``undo``, ``round``). Reopening the file replays it; a line
cut short by a crash is the one answer that was never acknowledged. A session is only reopened on
the data and embeddings it was started on.

Two kinds of data:

* a dataset the project accepts (registry name, folder, ``hub:`` id) — its gold labels give each
  round's test accuracy and the annotator's agreement with gold;
* **unlabeled texts** (a CSV, parquet or text file, one text per row, plus the class names): no
  test split, so each round reports the probe's confidence on the pool and the label counts;
  :meth:`LabelingSession.labeled_set` exports what was labeled.

Answers ``"skip"`` and ``"unsure"`` spend budget (the person read the text) and take the point out
of later batches; only class answers train the probe. Until the first class answer, batches come
from the initial-pool strategy (the query strategies need a probe).

Why one module: a session's answers, undo and replay from its file are one state machine over one
event list; split, the event list would become an interface between modules. The plan, the
unlabeled-text reader and the scripted annotator are the session's own inputs and stand-in.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score
from threadpoolctl import threadpool_limits

from .config import RunConfig, complete_params
from .dataset_checks import dataset_fingerprint
from .datasets import TextDataset, load_dataset
from .embeddings import embed_dataset
from .experiment import load_inputs
from .local_datasets import find_dataset
from .local_embedders import find_embedder
from .probe import LinearProbe
from .provenance import git_commit, package_version
from .strategies import IPS_STRATEGIES, QUERY_STRATEGIES, PoolState, select_batch
from .validation import ConfigError, check_choice, check_int

__all__ = ["SKIP", "UNSURE", "NON_LABELS", "FORMAT", "SessionPlan", "LabelingSession", "ScriptedAnnotator",
           "read_unlabeled_texts"]

SKIP, UNSURE = "skip", "unsure"
NON_LABELS: tuple[str, ...] = (SKIP, UNSURE)
"""Answers that are not a class: they spend budget and remove the point from later batches."""

FORMAT = 1
"""Version of the session file's layout."""

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
        texts = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False) if path.suffix == ".csv" else pd.read_parquet(path)
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
class _Inputs:
    texts: tuple[str, ...]
    X: np.ndarray
    gold: np.ndarray | None
    X_test: np.ndarray | None
    y_test: np.ndarray | None
    classes: tuple[str, ...]
    data_fingerprint: str
    embedding_fingerprint: str


def _load(plan: SessionPlan) -> _Inputs:
    if plan.gold:
        data = load_dataset(plan.dataset)
        inputs = load_inputs(plan.dataset, plan.embedder, data=data)
        if data.pair:
            raise ConfigError(f"dataset {plan.dataset!r} is a text-pair task; a labeling session shows single texts")
        return _Inputs(data.train_text, inputs.train, inputs.train_labels, inputs.test, inputs.test_labels,
                       tuple(data.classes), inputs.data_fingerprint, inputs.embedding_fingerprint)
    data = _unlabeled_dataset(Path(plan.dataset), plan.classes)
    embeddings = embed_dataset(data, plan.embedder, progress=False)
    return _Inputs(data.train_text, np.asarray(embeddings.train, dtype=np.float32), None, None, None, plan.classes,
                   dataset_fingerprint(data), embeddings.fingerprint)


class LabelingSession:
    """An AL session answered by a person, saved to ``path`` after every answer.

    Start one with :meth:`start`, reopen it with :meth:`open`. Then :attr:`pending` lists the pool
    indices of the current batch still to answer (:meth:`text` shows one), :meth:`answer` takes an
    answer, :meth:`undo` takes the last one back, :meth:`rounds` is the learning curve and
    :meth:`labeled_set` the labels given.
    """

    def __init__(self, path: Path, plan: SessionPlan, inputs: _Inputs, header: dict, events: list[dict]):
        self.path, self.plan, self._inputs, self.header = path, plan, inputs, header
        self._pool_cache: dict = {}
        self._events: list[dict] = []
        self._reset()
        for event in events:
            self._apply(event)

    # ------------------------------------------------------------------------------------ opening

    @classmethod
    def start(cls, path: str | Path, dataset: str, embedder: str, *, classes: Any = None, annotator: str = "",
              **plan: Any) -> "LabelingSession":
        """Start a new session in ``path`` (a ``.jsonl`` file that must not exist yet).

        Parameters
        ----------
        path : str or Path
        dataset : str
            A dataset the project accepts, or, with ``classes``, a file of unlabeled texts.
        embedder : str
        classes : sequence of str, optional
            The class names of unlabeled texts.
        annotator : str
            Who answers (recorded with every answer; :meth:`answer` can name someone else).
        **plan
            ``ips``, ``strategy``, ``seed``, ``k0``, ``batch_size``, ``budget``, ``strategy_params``,
            ``ips_params`` (:class:`SessionPlan`).
        """
        path = Path(path)
        if path.suffix != ".jsonl":
            raise ConfigError(f"path must end in .jsonl (a JSON-lines session file), got {str(path)!r}")
        if path.exists():
            raise ConfigError(f"{path} exists: reopen it with LabelingSession.open (or choose another path)")
        for name in plan:
            check_choice("session parameter", name, [f.name for f in dataclasses.fields(SessionPlan)
                                                     if f.name not in ("dataset", "embedder", "classes")])
        embedder = find_embedder(embedder)
        if classes is None:
            dataset = find_dataset(dataset)
        else:
            dataset = str(Path(dataset).resolve())
            classes = tuple(classes) if not isinstance(classes, str) else tuple(c.strip() for c in classes.split(","))
        plan = SessionPlan(dataset=dataset, embedder=embedder, classes=classes, **plan)
        inputs = _load(plan)
        if plan.budget > len(inputs.texts):
            raise ConfigError(f"budget {plan.budget} is larger than the pool ({len(inputs.texts)} texts); "
                              f"budget must be <= {len(inputs.texts)}")
        header = {"event": "session", "format": FORMAT, "plan": plan.to_dict(), "classes": list(inputs.classes),
                  "annotator": str(annotator), "n_pool": len(inputs.texts),
                  "data_fingerprint": inputs.data_fingerprint, "embedding_fingerprint": inputs.embedding_fingerprint,
                  "created_at": datetime.now(UTC).isoformat(), "package_version": package_version(),
                  "git_commit": git_commit()}
        path.parent.mkdir(parents=True, exist_ok=True)
        session = cls(path, plan, inputs, header, [])
        _append(path, header)
        session._propose()
        return session

    @classmethod
    def open(cls, path: str | Path) -> "LabelingSession":
        """Reopen a session file and replay it (after a crash or a closed tab, nothing is lost)."""
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"no session file at {str(path)!r}")
        lines = path.read_text(encoding="utf-8").splitlines()
        records = []
        for number, line in enumerate(lines):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                if number == len(lines) - 1:  # cut short by a crash: never acknowledged
                    break
                raise ConfigError(f"{path} line {number + 1} is not JSON: the file was edited by hand") from None
        if not records or records[0].get("event") != "session" or records[0].get("format") != FORMAT:
            raise ConfigError(f"{path} is not a session file of format {FORMAT}")
        header = records[0]
        plan = SessionPlan.from_dict(header["plan"])
        inputs = _load(plan)
        for name in ("data_fingerprint", "embedding_fingerprint"):
            if header[name] != getattr(inputs, name):
                raise ConfigError(f"{path} was labeled on other {name.split('_')[0]} ({name} {header[name][:12]}, now "
                                  f"{getattr(inputs, name)[:12]}): its labels are not served for this data")
        if len(records) < len(lines):
            _rewrite(path, records)  # drop the cut line, so later appends stay valid JSON lines
        session = cls(path, plan, inputs, header, records[1:])
        session._resume()
        return session

    def _resume(self) -> None:
        """Finish what a crash interrupted between an answer and the next batch being saved."""
        if self._round < 0:
            self._propose()
            return
        if self.pending:
            return
        closed = bool(self._rows) and self._rows[-1]["round"] == self._round
        if not closed:
            self._close_round()
        else:
            self._fit()
        if not self.finished:
            self._propose()

    # ------------------------------------------------------------------------------------- state

    def _reset(self) -> None:
        n = len(self._inputs.texts)
        self._events = []
        self._answers: dict[int, tuple[str, str]] = {}   # pool index -> (answer, annotator)
        self._batch: list[int] = []
        self._round = -1
        self._rows: list[dict] = []
        self._seen = np.zeros(n, dtype=bool)
        self._probe: LinearProbe | None = None

    def _apply(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "batch":
            self._round, self._batch = int(event["round"]), [int(i) for i in event["indices"]]
            self._seen[self._batch] = True
        elif kind == "answer":
            self._answers[int(event["index"])] = (event["answer"], event.get("annotator", ""))
        elif kind == "round":
            self._rows.append({k: v for k, v in event.items() if k != "event"})
        elif kind == "undo":
            self._undo_events()
            return
        else:
            raise ConfigError(f"{self.path}: unknown event {kind!r}")
        self._events.append(event)

    def _undo_events(self) -> None:
        kept = list(self._events)
        while kept and kept[-1]["event"] != "answer":
            kept.pop()
        if not kept:
            return
        kept.pop()
        self._reset()
        for event in kept:
            self._apply(event)

    @property
    def classes(self) -> tuple[str, ...]:
        return self._inputs.classes

    @property
    def n_answered(self) -> int:
        """Texts answered so far (skips and unsure included: they spent the person's time)."""
        return len(self._answers)

    @property
    def finished(self) -> bool:
        """Whether the budget is spent (or the pool exhausted)."""
        return self.n_answered >= min(self.plan.budget, len(self._inputs.texts))

    @property
    def pending(self) -> list[int]:
        """Pool indices of the current batch still to answer, in the order proposed."""
        return [i for i in self._batch if i not in self._answers]

    @property
    def round(self) -> int:
        """Index of the current batch: 0 is the initial pool."""
        return self._round

    def gold(self, index: int) -> str | None:
        """The stored label of pool point ``index`` (``None`` for unlabeled texts)."""
        if self._inputs.gold is None:
            return None
        return self.classes[self._inputs.gold[check_int("index", index, minimum=0, maximum=len(self._inputs.texts) - 1)]]

    def text(self, index: int) -> str:
        """The text of pool point ``index``."""
        return self._inputs.texts[check_int("index", index, minimum=0, maximum=len(self._inputs.texts) - 1)]

    # ---------------------------------------------------------------------------------- answering

    def answer(self, value: str | int, *, index: int | None = None, annotator: str | None = None) -> None:
        """Record an answer for ``index`` (default: the first pending text) and save it.

        ``value`` is a class name, a class number (0-based), ``"skip"`` or ``"unsure"``. When it
        completes the batch, the probe is refitted and the next batch proposed.
        """
        if self.finished:
            raise ConfigError(f"the session is finished: its budget of {self.plan.budget} answers is spent")
        pending = self.pending
        if index is None:
            index = pending[0]
        elif index not in pending:
            raise ConfigError(f"index must be a text of the current batch still to answer, got {index}; "
                              f"pending: {pending}")
        answer = self._answer_value(value)
        event = {"event": "answer", "round": self._round, "index": int(index), "answer": answer,
                 "annotator": self.header["annotator"] if annotator is None else str(annotator),
                 "at": datetime.now(UTC).isoformat()}
        _append(self.path, event)
        self._apply(event)
        if not self.pending:
            self._close_round()
            if not self.finished:
                self._propose()

    def _answer_value(self, value: str | int) -> str:
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            if not 0 <= value < len(self.classes):
                raise ConfigError(f"answer {value} is not a class number; allowed: 0..{len(self.classes) - 1} "
                                  f"({', '.join(self.classes)})")
            return self.classes[int(value)]
        if isinstance(value, str) and (value in self.classes or value in NON_LABELS):
            return value
        raise ConfigError(f"answer must be one of the classes ({', '.join(self.classes)}) or "
                          f"{' / '.join(NON_LABELS)}, got {value!r}")

    def undo(self) -> None:
        """Take back the last answer (and the batch it completed, if any); saved like an answer."""
        if not any(e["event"] == "answer" for e in self._events):
            raise ConfigError("there is no answer to undo")
        event = {"event": "undo", "at": datetime.now(UTC).isoformat()}
        _append(self.path, event)
        self._apply(event)

    # ------------------------------------------------------------------------------------ the cycle

    def _labeled(self) -> tuple[np.ndarray, np.ndarray]:
        index = {c: k for k, c in enumerate(self.classes)}
        rows = sorted(i for i, (a, _) in self._answers.items() if a in index)
        return np.asarray(rows, dtype=np.int64), np.asarray([index[self._answers[i][0]] for i in rows], dtype=np.int64)

    def _state(self) -> PoolState:
        rows, labels = self._labeled()
        # One scratch cache for the whole session, as execute_run keeps one per run: what strategies
        # store there (row norms, neighbour graphs) depends only on the pool, not on the labels.
        state = PoolState(X=self._inputs.X, labeled=self._seen.copy(), y=np.full(len(self._seen), -1, dtype=np.int64),
                          n_classes=len(self.classes), cache=self._pool_cache)
        state.y[rows] = labels
        return state

    def _propose(self) -> None:
        t = self._round + 1
        remaining = min(self.plan.budget, len(self._inputs.texts)) - self.n_answered
        size = min(self.plan.k0 if t == 0 else self.plan.batch_size, remaining)
        state = self._state()
        rows, _ = self._labeled()
        with threadpool_limits(limits=1):
            start = time.perf_counter()
            if t == 0 or rows.size == 0:
                name, params, role = self.plan.ips, dict(self.plan.ips_params), "ips"
            else:
                name, params, role = self.plan.strategy, dict(self.plan.strategy_params), "strategy"
                state.probe, state.proba = self._probe, self._probe.predict_proba(self._inputs.X)
            # Child t of the seed's SeedSequence: the stream execute_run gives cycle t.
            rng = np.random.default_rng(np.random.SeedSequence(self.plan.seed, spawn_key=(t,)))
            picked = select_batch(name, state, size, rng, role=role, **params)
            select_s = time.perf_counter() - start
        event = {"event": "batch", "round": t, "strategy": name, "indices": [int(i) for i in picked],
                 "select_s": round(select_s, 6)}
        _append(self.path, event)
        self._apply(event)

    def _fit(self) -> float:
        rows, labels = self._labeled()
        start = time.perf_counter()
        with threadpool_limits(limits=1):
            self._probe = LinearProbe(len(self.classes)).fit(self._inputs.X[rows], labels) if rows.size else None
        return time.perf_counter() - start

    def _close_round(self) -> None:
        fit_s = self._fit()
        answers = [self._answers[i][0] for i in self._batch]
        rows, labels = self._labeled()
        row = {"round": self._round, "n_answered": self.n_answered, "n_labeled": int(rows.size),
               "n_skip": answers.count(SKIP), "n_unsure": answers.count(UNSURE),
               "select_s": next(e["select_s"] for e in reversed(self._events) if e["event"] == "batch"),
               "fit_s": round(fit_s, 6), "label_counts": {c: int((labels == k).sum()) for k, c in enumerate(self.classes)}}
        if self._probe is not None:
            with threadpool_limits(limits=1):
                unseen = ~self._seen
                row["mean_confidence"] = (float(self._probe.predict_proba(self._inputs.X[unseen]).max(axis=1).mean())
                                          if unseen.any() else None)
        if self._inputs.gold is not None:
            given = [(i, a) for i, a in zip(self._batch, answers) if a in self.classes]
            row["agreement"] = (float(np.mean([self.gold(i) == a for i, a in given]))
                                if given else None)
            if self._probe is not None:
                with threadpool_limits(limits=1):
                    predicted = self._probe.predict(self._inputs.X_test)
                row["accuracy"] = float(accuracy_score(self._inputs.y_test, predicted))
                row["macro_f1"] = float(f1_score(self._inputs.y_test, predicted, labels=np.arange(len(self.classes)),
                                                 average="macro", zero_division=0))
        event = {"event": "round", **row}
        _append(self.path, event)
        self._apply(event)

    # ------------------------------------------------------------------------------------- results

    def rounds(self) -> pd.DataFrame:
        """One row per completed batch: answers, labels, latency, fit time, and accuracy with gold."""
        return pd.DataFrame(self._rows)

    def labeled_set(self) -> pd.DataFrame:
        """Every answer: ``index`` (in the pool), ``text``, ``answer``, ``annotator``, ``gold`` (when known)."""
        rows = [{"index": i, "text": self._inputs.texts[i], "answer": a, "annotator": who}
                for i, (a, who) in self._answers.items()]
        frame = pd.DataFrame(rows, columns=["index", "text", "answer", "annotator"])
        if self._inputs.gold is not None:
            frame["gold"] = [self.gold(i) for i in frame["index"]]
        return frame

    def export(self, path: str | Path) -> Path:
        """Write :meth:`labeled_set` (class answers only) to a ``.csv`` or ``.parquet`` file."""
        path = Path(path)
        check_choice("export suffix", path.suffix, (".csv", ".parquet"))
        frame = self.labeled_set()
        frame = frame[frame["answer"].isin(self.classes)].rename(columns={"answer": "label"})
        frame.to_csv(path, index=False) if path.suffix == ".csv" else frame.to_parquet(path, index=False)
        return path


@dataclass(frozen=True)
class ScriptedAnnotator:
    """A stand-in for a person, for demonstrations and recorded sessions: the gold label, except
    ``unsure_rate`` of the texts answered *unsure* and ``error_rate`` given a wrong class (drawn
    uniformly), from a generator seeded by ``seed`` and the text's pool index (so the same text
    always gets the same answer, whichever strategy shows it)."""

    unsure_rate: float = 0.0
    error_rate: float = 0.0
    seed: int = 0
    name: str = "scripted"

    def __post_init__(self) -> None:
        for attr in ("unsure_rate", "error_rate"):
            value = getattr(self, attr)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{attr} must lie in [0, 1], got {value}")
        if self.unsure_rate + self.error_rate > 1.0:
            raise ConfigError(f"unsure_rate + error_rate must be at most 1, got {self.unsure_rate + self.error_rate}")
        check_int("seed", self.seed, minimum=0)

    def __call__(self, session: LabelingSession, index: int) -> str:
        gold = session.gold(index)
        if gold is None:
            raise ConfigError("a scripted annotator needs gold labels; unlabeled texts need a person")
        draw = np.random.default_rng([self.seed, int(index)])
        u = draw.random()
        if u < self.unsure_rate:
            return UNSURE
        if u < self.unsure_rate + self.error_rate:
            wrong = [c for c in session.classes if c != gold]
            return wrong[int(draw.integers(len(wrong)))]
        return gold

    def play(self, session: LabelingSession) -> LabelingSession:
        """Answer ``session`` to the end of its budget."""
        while not session.finished:
            index = session.pending[0]
            session.answer(self(session, index), index=index, annotator=self.name)
        return session


def _append(path: Path, record: dict) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, allow_nan=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _rewrite(path: Path, records: list[dict]) -> None:
    tmp = path.with_suffix(".jsonl.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, allow_nan=False) + "\n" for r in records)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
