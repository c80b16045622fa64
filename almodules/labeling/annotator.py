"""A stand-in person: the scripted annotator of demonstrations, and the sessions it recorded.

:func:`recorded_session` plays a whole session with a :class:`ScriptedAnnotator` and keeps its rounds
with the diagnostics (:func:`almodules.study.diagnostics.cached_frame`, keyed by the plan, the
annotator and the fingerprints of the data and the embeddings), so a book that shows a recorded
session shows the same one on every build, with or without the texts on the machine.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from almodules.core.validation import ConfigError, check_int
from almodules.datasets.local import find_dataset
from almodules.embeddings.local import find_embedder
from almodules.engine.experiment import pair_fingerprints
from almodules.labeling.plan import UNSURE, SessionPlan
from almodules.labeling.session import LabelingSession
from almodules.study.diagnostics import cached_frame

__all__ = ["ScriptedAnnotator", "RECORDED_COLUMNS", "recorded_session"]

RECORDED_COLUMNS = ("round", "n_answered", "n_labeled", "n_skip", "n_unsure", "select_s", "fit_s", "mean_confidence",
                    "agreement", "accuracy", "macro_f1")
"""Columns of a recorded session's rounds (:meth:`LabelingSession.rounds` without the label counts)."""


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


def recorded_session(dataset: str, embedder: str, annotator: ScriptedAnnotator, **plan) -> pd.DataFrame:
    """The rounds of a session on ``dataset`` × ``embedder`` answered by ``annotator`` (recorded once).

    ``plan``: the :class:`~almodules.labeling.plan.SessionPlan` fields (``ips``, ``strategy``, ``seed``,
    ``k0``, ``batch_size``, ``budget``). The waits (``select_s``, ``fit_s``) are those of the recording.
    """
    spec = SessionPlan(dataset=find_dataset(dataset), embedder=find_embedder(embedder), **plan)
    found = pair_fingerprints(spec.dataset, spec.embedder)
    key = {"plan": spec.to_dict(), "annotator": dataclasses.asdict(annotator), "dataset": spec.dataset,
           "embedder": spec.embedder, "data_fingerprint": found.data, "embedding_fingerprint": found.embedding}

    def play() -> pd.DataFrame:
        with tempfile.TemporaryDirectory(prefix="session-") as folder:
            session = LabelingSession.start(Path(folder) / "recorded.jsonl", spec.dataset, spec.embedder,
                                            annotator=annotator.name, **plan)
            rounds = annotator.play(session).rounds()
        return rounds[[c for c in RECORDED_COLUMNS if c in rounds.columns]]

    return cached_frame("recorded_sessions", key, play)
