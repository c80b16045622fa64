"""A stand-in person: the scripted annotator of recorded sessions and demonstrations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from almodules.core.validation import ConfigError, check_int
from almodules.labeling.plan import UNSURE
from almodules.labeling.session import LabelingSession

__all__ = ["ScriptedAnnotator"]


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
