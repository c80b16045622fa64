"""Label it yourself: an active-learning session a person answers, one batch at a time.

A :class:`LabelingSession` proposes a batch (the initial-pool strategy first, then the query
strategy), takes one answer per text — a class, ``"skip"`` or ``"unsure"`` — and, once the batch is
answered, refits the linear probe and proposes the next batch. It is the AL cycle of
:func:`almodules.engine.experiment.execute_run` with a person in place of the stored labels: the same
strategies, seed streams and probe, so a session answered with the dataset's own labels picks the
same points and reaches the same accuracies as the simulated run of :meth:`SessionPlan.run_config`
(tested), and both can be drawn on one learning-curve figure.

The session is a JSON-lines file, appended and flushed to disk after every answer: a header (the
plan, the classes, the fingerprints of the data and the embeddings, the code's version), then one
event per line (``batch``, ``answer``, ``undo``, ``round``). Reopening the file replays it; a line
cut short by a crash is the one answer that was never acknowledged. A session is only reopened on
the data and embeddings it was started on.

Data: a dataset the project accepts (its gold labels give each round's test accuracy and the
annotator's agreement), or **unlabeled texts** plus class names (each round reports the probe's
confidence and the label counts; :meth:`LabelingSession.labeled_set` exports the labels). Every
round also records the stopping signals (:mod:`almodules.engine.stop_signals`), so a resumed session
shows the same history. ``"skip"`` and ``"unsure"`` spend budget and take the point out of later
batches; only class answers train the probe, and until the first one batches come from the IPS.
Plan: :mod:`~almodules.labeling.plan`; file: :mod:`~almodules.labeling.session_file`.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from almodules.core.validation import ConfigError, check_choice, check_int
from almodules.datasets.local import find_dataset
from almodules.embeddings.local import find_embedder
from almodules.engine.probe import LinearProbe
from almodules.engine.scores import accuracy, macro_f1
from almodules.engine.stop_signals import step_signals
from almodules.engine.strategies import PoolState, select_batch
from almodules.labeling.plan import (SKIP, UNSURE, SessionInputs, SessionPlan, data_location, load_session_inputs,
                                     parse_answer, relocated)
from almodules.labeling.session_file import append_event, read_events, rewrite_events, session_header

__all__ = ["LabelingSession"]


class LabelingSession:
    """An AL session answered by a person, saved to ``path`` after every answer.

    Start one with :meth:`start`, reopen it with :meth:`open`. Then :attr:`pending` lists the pool
    indices of the current batch still to answer (:meth:`text` shows one), :meth:`answer` takes an
    answer, :meth:`undo` takes the last one back, :meth:`rounds` is the learning curve and
    :meth:`labeled_set` the labels given.
    """

    def __init__(self, path: Path, plan: SessionPlan, inputs: SessionInputs, header: dict, events: list[dict]):
        self.path, self.plan, self._inputs, self.header = path, plan, inputs, header
        self._run_cache: dict = {}
        self._shared_cache: dict = {}
        self._events: list[dict] = []
        self._reset()
        for event in events:
            self._apply(event)

    @classmethod
    def start(cls, path: str | Path, dataset: str, embedder: str, *, classes: Any = None, annotator: str = "",
              **plan: Any) -> "LabelingSession":
        """Start a new session in ``path`` (a ``.jsonl`` file that must not exist yet).

        Parameters
        ----------
        path, dataset, embedder : str or Path, str, str
            The session file; a dataset the project accepts (or, with ``classes``, a file of unlabeled
            texts and their class names); an embedder.
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
        inputs = load_session_inputs(plan)
        if plan.budget > len(inputs.texts):
            raise ConfigError(f"budget {plan.budget} is larger than the pool ({len(inputs.texts)} texts); "
                              f"budget must be <= {len(inputs.texts)}")
        header = session_header(plan.to_dict(), inputs, annotator, location=data_location(plan))
        path.parent.mkdir(parents=True, exist_ok=True)
        session = cls(path, plan, inputs, header, [])
        append_event(path, header)
        session._propose()
        return session

    @classmethod
    def open(cls, path: str | Path, *, dataset: str | None = None) -> "LabelingSession":
        """Reopen a session file and replay it (after a crash or a closed tab, nothing is lost).

        The data is found where the session recorded it (a folder or file of texts is reopened from
        any working directory); ``dataset`` names where it is now when it moved. Either way the data
        must be what the session was labeled on (its fingerprint), or the session is refused.
        """
        path = Path(path)
        records, cut = read_events(path)
        header = records[0]
        plan = SessionPlan.from_dict(header["plan"])
        plan = relocated(plan, dataset if dataset is not None else header.get("dataset_location"), dataset is not None)
        inputs = load_session_inputs(plan)
        for name in ("data_fingerprint", "embedding_fingerprint"):
            if header[name] != getattr(inputs, name):
                raise ConfigError(f"{path} was labeled on other {name.split('_')[0]} ({name} {header[name][:12]}, now "
                                  f"{getattr(inputs, name)[:12]}): its labels are not served for this data")
        if cut:
            rewrite_events(path, records)  # drop the cut line, so later appends stay valid JSON lines
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
        elif kind == "undo":  # events of a file were checked when it was read (session_file.read_events)
            self._undo_events()
            return
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
        answer = parse_answer(value, self.classes)
        event = {"event": "answer", "round": self._round, "index": int(index), "answer": answer,
                 "annotator": self.header["annotator"] if annotator is None else str(annotator),
                 "at": datetime.now(UTC).isoformat()}
        append_event(self.path, event)
        self._apply(event)
        if not self.pending:
            self._close_round()
            if not self.finished:
                self._propose()

    def undo(self) -> None:
        """Take back the last answer (and the batch it completed, if any); saved like an answer."""
        if not any(e["event"] == "answer" for e in self._events):
            raise ConfigError("there is no answer to undo")
        event = {"event": "undo", "at": datetime.now(UTC).isoformat()}
        append_event(self.path, event)
        self._apply(event)

    def _labeled(self) -> tuple[np.ndarray, np.ndarray]:
        index = {c: k for k, c in enumerate(self.classes)}
        rows = sorted(i for i, (a, _) in self._answers.items() if a in index)
        return np.asarray(rows, dtype=np.int64), np.asarray([index[self._answers[i][0]] for i in rows], dtype=np.int64)

    def _state(self) -> PoolState:
        rows, labels = self._labeled()
        # The session is one run: one scratch cache for all of it, as execute_run keeps per run.
        state = PoolState(X=self._inputs.X, labeled=self._seen.copy(), y=np.full(len(self._seen), -1, dtype=np.int64),
                          n_classes=len(self.classes), cache=self._run_cache, cycle=self._round + 1,
                          shared=self._shared_cache)
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
        append_event(self.path, event)
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
                proba, unseen = self._probe.predict_proba(self._inputs.X), ~self._seen
                row["mean_confidence"] = float(proba[unseen].max(axis=1).mean()) if unseen.any() else None
                row |= self._signals(proba, rows, labels)
        if self._inputs.gold is not None:
            given = [(i, a) for i, a in zip(self._batch, answers) if a in self.classes]
            row["agreement"] = (float(np.mean([self.gold(i) == a for i, a in given]))
                                if given else None)
            if self._probe is not None:
                with threadpool_limits(limits=1):
                    predicted = self._probe.predict(self._inputs.X_test)
                row["accuracy"] = accuracy(self._inputs.y_test, predicted)
                row["macro_f1"] = macro_f1(self._inputs.y_test, predicted, len(self.classes))
        event = {"event": "round", **row}
        append_event(self.path, event)
        self._apply(event)

    def _signals(self, proba: np.ndarray, rows: np.ndarray, labels: np.ndarray) -> dict:
        """Stopping signals of this round: this probe against the one fitted without the round's batch."""
        new, X = np.isin(rows, self._batch), self._inputs.X
        previous = (LinearProbe(len(self.classes)).fit(X[rows[~new]], labels[~new]).predict_proba(X)
                    if self._round > 0 and (~new).any() else None)
        return step_signals(previous, proba, self._seen, rows[new], labels[new], self.plan.seed)

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
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False) if path.suffix == ".csv" else frame.to_parquet(path, index=False)
        return path
