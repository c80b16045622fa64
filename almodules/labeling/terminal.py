"""A plain terminal front end of :class:`~almodules.labeling.session.LabelingSession`: one ``input()`` per text.

``python -m almodules label SESSION.jsonl --dataset D --embedder E ...`` starts a session (or reopens
it when the file exists) and asks for one answer at a time: a class number or name, ``s`` (skip),
``u`` (unsure), ``z`` (undo the last answer), ``q`` (quit; everything answered is saved).
"""

from __future__ import annotations

from collections.abc import Callable

from almodules.core.validation import ConfigError
from almodules.engine.stopping import StopHistory, check_criterion, live_status
from almodules.labeling.session import SKIP, UNSURE, LabelingSession

__all__ = ["KEYS", "label_in_terminal", "round_summary", "stop_status"]

KEYS = {"s": SKIP, "u": UNSURE}
"""Shortcut letters of the answers that are not a class."""


def round_summary(row: dict) -> str:
    """One line on a finished batch: labels so far, latency, accuracy or confidence."""
    parts = [f"batch {row['round']} done: {row['n_labeled']} labels ({row['n_answered']} answered)",
             f"next batch chosen in {row['select_s'] * 1000:.0f} ms"]
    if row.get("accuracy") is not None:
        parts.append(f"test accuracy {row['accuracy']:.3f}")
    if row.get("agreement") is not None:
        parts.append(f"agreement with gold {row['agreement']:.0%}")
    if row.get("mean_confidence") is not None:
        parts.append(f"mean confidence on the unlabeled pool {row['mean_confidence']:.3f}")
    return "; ".join(parts)


def stop_status(session: LabelingSession, criterion: str, params: dict | None = None) -> tuple[bool, str]:
    """Whether stopping criterion ``criterion`` fires after the session's latest batch, and what to tell
    the person (:func:`~almodules.engine.stopping.live_status`); it never stops the session."""
    rounds = session.rounds()
    history = StopHistory.from_rows(rounds, n_pool=int(session.header["n_pool"]), n_classes=len(session.classes))
    return live_status(criterion, history, **(params or {}))


def label_in_terminal(session: LabelingSession, *, ask: Callable[[str], str] = input,
                      say: Callable[[str], None] = print, stop: str | None = None,
                      stop_params: dict | None = None) -> int:
    """Ask for answers until the budget is spent, ``q`` or end of input; returns the answers given.

    ``stop``: a stopping criterion (``python -m almodules stopping``) whose signal is shown after
    every batch, saying plainly when it fires; labeling goes on as long as the person wants.
    """
    if stop is not None:
        stop_params = check_criterion(stop, stop_params, n_classes=len(session.classes))
    menu = "  ".join(f"{k}={c}" for k, c in enumerate(session.classes)) + "  s=skip  u=unsure  z=undo  q=quit"
    given, shown_rounds = 0, len(session.rounds())
    while not session.finished:
        index = session.pending[0]
        say(f"\n[batch {session.round}, {session.n_answered + 1}/{session.plan.budget}] {session.text(index)}")
        try:
            reply = ask(f"{menu}\n> ").strip()
        except EOFError:
            break
        if reply == "q":
            break
        try:
            if reply == "z":
                session.undo()
                given -= 1
                continue
            value: str | int = KEYS.get(reply, reply)
            session.answer(int(value) if isinstance(value, str) and value.isdigit() else value)
            given += 1
        except ConfigError as exc:
            say(f"  {exc}")
            continue
        rounds = session.rounds()
        if len(rounds) > shown_rounds:
            say("  " + round_summary(rounds.iloc[-1].to_dict()))
            if stop is not None:
                say("  " + stop_status(session, stop, stop_params)[1])
            shown_rounds = len(rounds)
    say(f"saved in {session.path} ({session.n_answered} answers)" + (": finished" if session.finished else ""))
    return given
