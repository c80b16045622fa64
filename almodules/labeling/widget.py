"""The notebook front end of :class:`~almodules.labeling.session.LabelingSession`, and its learning-curve figure.

:class:`LabelingWidget` shows the text to label, one button per class (numbered: type the number
in the answer box and press Enter to label from the keyboard), *skip*, *unsure* and *undo*, the
progress through the budget, the last batch's acquisition latency and accuracy, and the live
learning curve (:func:`session_figure`), next to the simulated run of the same plan when the data
has gold labels. Every click is saved before the widget moves on, so closing the tab loses nothing:
``LabelingSession.open(path)`` and a new widget continue.

``ipywidgets`` comes with the ``notebook`` extra (``pip install -e '.[notebook]'``); it is imported
when a widget is built, so the rest of the package does not need it.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from almodules.core.validation import ConfigError
from almodules.engine.stopping import check_criterion
from almodules.figures.plot_style import TEMPLATE, strategy_color
from almodules.labeling.session import SKIP, UNSURE, LabelingSession
from almodules.labeling.terminal import round_summary, stop_status

__all__ = ["session_figure", "LabelingWidget"]


def session_figure(sessions: dict[str, pd.DataFrame], simulated: dict[str, pd.DataFrame] | None = None, *,
                   metric: str = "accuracy", title: str = "Learning curves: people and simulated runs") -> go.Figure:
    """Test ``metric`` against labels given, one line per session, dashed for simulated runs.

    Parameters
    ----------
    sessions : dict of name -> DataFrame
        :meth:`LabelingSession.rounds` of each session (``n_labeled`` and ``metric``; rounds
        without the metric, before the first label, are left out).
    simulated : dict of name -> DataFrame, optional
        Cycle tables of simulated runs (``n_labeled`` and ``metric``), mean over their seeds.
    """
    fig = go.Figure()
    for k, (name, rounds) in enumerate(sessions.items()):
        if metric not in rounds:
            continue
        shown = rounds.dropna(subset=[metric])
        fig.add_trace(go.Scatter(x=shown["n_labeled"], y=shown[metric], mode="lines+markers", name=name,
                                 line=dict(color=strategy_color(name.split(" ")[0]), width=3),
                                 hovertemplate=f"{name}<br>%{{x}} labels: {metric} %{{y:.3f}}<extra></extra>"))
    for name, cycles in (simulated or {}).items():
        mean = cycles.groupby("n_labeled", as_index=False)[metric].mean()
        fig.add_trace(go.Scatter(x=mean["n_labeled"], y=mean[metric], mode="lines", name=f"{name} (simulated)",
                                 line=dict(color=strategy_color(name.split(" ")[0]), dash="dash"),
                                 hovertemplate=f"{name}, simulated<br>%{{x}} labels: {metric} %{{y:.3f}}"
                                               "<extra></extra>"))
    fig.update_layout(template=TEMPLATE, title_text=title, xaxis_title="labels given (class answers)",
                      yaxis_title=f"test {metric}", height=380, legend_title_text="")
    return fig


class LabelingWidget:
    """An ipywidgets labeler over ``session``; display :attr:`view`.

    :meth:`press` does what a click on a button does (``"0"``, ``"1"``, … for the classes,
    ``"skip"``, ``"unsure"``, ``"undo"``), so a notebook or a test can drive it from Python.
    ``simulated``: a cycle table to draw beside the person's curve (the simulated run of the plan).
    ``stop``: a stopping criterion (``python -m almodules stopping``) whose signal is shown after each
    batch, saying plainly when it fires; it never stops the session.
    """

    def __init__(self, session: LabelingSession, *, simulated: pd.DataFrame | None = None, stop: str | None = None,
                 stop_params: dict | None = None):
        import ipywidgets as w

        self.session, self.simulated = session, simulated
        self.stop = stop
        self.stop_params = check_criterion(stop, stop_params, n_classes=len(session.classes)) if stop else None
        self.stop_status = w.HTML()
        self.text = w.HTML(layout=w.Layout(border="1px solid #ccc", padding="10px", min_height="80px"))
        self.buttons = {str(k): w.Button(description=f"{k} · {c}", tooltip=f"label as {c} (type {k} + Enter)")
                        for k, c in enumerate(session.classes)}
        self.buttons.update({SKIP: w.Button(description="skip", tooltip="not shown again, no label"),
                             UNSURE: w.Button(description="unsure", tooltip="not shown again, no label"),
                             "undo": w.Button(description="undo", button_style="warning")})
        for key, button in self.buttons.items():
            button.on_click(lambda _, key=key: self.press(key))
        self.keys = w.Text(placeholder="type a class number (s = skip, u = unsure, z = undo) and press Enter",
                           continuous_update=False, layout=w.Layout(width="100%"))
        self.keys.observe(self._typed, names="value")
        self.progress = w.IntProgress(min=0, max=session.plan.budget, description="answered")
        self.status = w.HTML()
        self.curve = w.Output()
        self.view = w.VBox([self.progress, self.text, w.HBox(list(self.buttons.values())), self.keys, self.status,
                            self.stop_status, self.curve])
        self._refresh(redraw=True)

    def _typed(self, change) -> None:
        typed = str(change["new"]).strip()
        if not typed:
            return
        self.keys.value = ""
        self.press({"s": SKIP, "u": UNSURE, "z": "undo"}.get(typed, typed))

    def press(self, key: str) -> None:
        """Answer the shown text with ``key`` (a class number, ``skip``, ``unsure``) or ``undo``."""
        rounds_before = len(self.session.rounds())
        try:
            if key == "undo":
                self.session.undo()
            elif key in (SKIP, UNSURE):
                self.session.answer(key)
            elif key in self.buttons:
                self.session.answer(int(key))
            else:
                raise ConfigError(f"key must be a class number (0..{len(self.session.classes) - 1}), skip, unsure or "
                                  f"undo, got {key!r}")
        except ConfigError as exc:
            self.status.value = f"<span style='color:#b00'>{html.escape(str(exc))}</span>"
            return
        self._refresh(redraw=len(self.session.rounds()) != rounds_before)

    def _refresh(self, *, redraw: bool) -> None:
        session = self.session
        self.progress.value = session.n_answered
        done = session.finished
        for button in self.buttons.values():
            button.disabled = done and button.description != "undo"
        if done:
            self.text.value = f"<b>Finished</b>: {session.n_answered} answers saved in <code>{session.path}</code>."
        else:
            shown = html.escape(session.text(session.pending[0]))
            self.text.value = (f"<small>batch {session.round} · {len(session.pending)} left in this batch</small>"
                               f"<p style='font-size:1.1em'>{shown}</p>")
        rounds = session.rounds()
        if len(rounds):
            self.status.value = html.escape(round_summary(rounds.iloc[-1].to_dict()))
            if self.stop is not None:
                fired, message = stop_status(session, self.stop, self.stop_params)
                colour = "#1a7f37" if fired else "#555"
                self.stop_status.value = f"<span style='color:{colour}'>{html.escape(message)}</span>"
        if redraw and len(rounds):
            from IPython.display import display

            simulated = {session.plan.strategy: self.simulated} if self.simulated is not None else None
            with self.curve:
                self.curve.clear_output(wait=True)
                display(session_figure({f"{session.plan.strategy} (you)": rounds}, simulated))
