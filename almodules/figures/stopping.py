"""Figures of the stopping chapter: where each criterion stops a learning curve, what stopping there
saves and loses, and whether a better embedding stops earlier."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from almodules.core.validation import require_columns
from almodules.engine.stopping import CRITERIA
from almodules.figures.plot_style import PALETTE, TEMPLATE

__all__ = ["CRITERION_COLORS", "stop_curve_figure", "stop_tradeoff_figure", "stop_quality_figure"]

CRITERION_COLORS: dict[str, str] = dict(zip(CRITERIA, PALETTE, strict=False))
"""One colour per registered criterion, in every figure."""


def stop_curve_figure(cycles: pd.DataFrame, stops: pd.DataFrame, *, title: str = "") -> go.Figure:
    """The mean learning curve of some runs (over seeds) with each criterion's mean stop marked.

    ``cycles``: cycle rows of the runs (``n_labeled``, ``accuracy``); ``stops``: their rows of
    :func:`~almodules.study.stopping_evaluation.run_stops`.
    """
    require_columns(cycles, ["cycle", "n_labeled", "accuracy"], "cycles")
    require_columns(stops, ["criterion", "labels_used", "accuracy_at_stop", "fired"], "stops")
    curve = cycles.groupby("cycle", as_index=False)[["n_labeled", "accuracy"]].mean()
    fig = go.Figure(go.Scatter(x=curve["n_labeled"], y=curve["accuracy"], mode="lines+markers", name="mean accuracy",
                               line={"color": "#444"}, marker={"size": 4},
                               hovertemplate="%{x:.0f} labels: accuracy %{y:.3f}<extra></extra>"))
    means = stops.groupby("criterion", sort=False)[["labels_used", "accuracy_at_stop", "fired"]].mean()
    for name, row in means.iterrows():
        fig.add_trace(go.Scatter(
            x=[row["labels_used"]], y=[row["accuracy_at_stop"]], mode="markers", name=name,
            marker={"size": 13, "symbol": "diamond", "color": CRITERION_COLORS.get(name, "#000"),
                    "line": {"width": 1, "color": "white"}},
            hovertemplate=(f"{name}: stops at %{{x:.0f}} labels (mean), accuracy %{{y:.3f}}; fired in "
                           f"{row['fired']:.0%} of the runs<extra></extra>")))
    fig.update_layout(template=TEMPLATE, title=title, height=420, xaxis_title="labels", yaxis_title="test accuracy",
                      legend_title="stopping criterion")
    return fig


def stop_tradeoff_figure(summary: pd.DataFrame, *, title: str = "What stopping saves and what it costs") -> go.Figure:
    """Labels saved (share of the budget) against accuracy lost, one point per criterion, with the
    95 % intervals over datasets of :func:`~almodules.study.stopping_evaluation.stop_summary`."""
    need = ["criterion", "labels_share", "labels_share_low", "labels_share_high", "accuracy_lost",
            "accuracy_lost_low", "accuracy_lost_high", "n_datasets"]
    require_columns(summary, need, "summary")
    fig = go.Figure()
    for _, row in summary.iterrows():
        saved = 1 - row["labels_share"]
        fig.add_trace(go.Scatter(
            x=[saved], y=[row["accuracy_lost"]], mode="markers+text", name=row["criterion"],
            text=[row["criterion"]], textposition="top center",
            marker={"size": 11, "color": CRITERION_COLORS.get(row["criterion"], "#000")},
            error_x={"type": "data", "symmetric": False, "array": [row["labels_share"] - row["labels_share_low"]],
                     "arrayminus": [row["labels_share_high"] - row["labels_share"]]},
            error_y={"type": "data", "symmetric": False, "array": [row["accuracy_lost_high"] - row["accuracy_lost"]],
                     "arrayminus": [row["accuracy_lost"] - row["accuracy_lost_low"]]},
            hovertemplate=(f"{row['criterion']}: saves %{{x:.0%}} of the labels, loses %{{y:.3f}} accuracy "
                           f"(means over {row['n_datasets']} datasets)<extra></extra>")))
    fig.update_layout(template=TEMPLATE, title=title, height=460, showlegend=False,
                      xaxis={"title": "labels saved (share of the budget)", "tickformat": ".0%"},
                      yaxis_title="accuracy lost against the full budget")
    return fig


def stop_quality_figure(effect: pd.DataFrame, *, title: str = "Does a better embedding stop earlier?") -> go.Figure:
    """Per criterion, the mean within-dataset rank correlation of embedding quality with the labels
    used at the stop (:func:`~almodules.study.stopping_evaluation.quality_effect`), with its interval."""
    require_columns(effect, ["criterion", "spearman", "low", "high", "n_datasets"], "effect")
    fig = go.Figure(go.Scatter(
        x=effect["spearman"], y=effect["criterion"], mode="markers",
        marker={"size": 11, "color": [CRITERION_COLORS.get(c, "#000") for c in effect["criterion"]]},
        error_x={"type": "data", "symmetric": False, "array": effect["high"] - effect["spearman"],
                 "arrayminus": effect["spearman"] - effect["low"]},
        customdata=effect[["n_datasets"]],
        hovertemplate="%{y}: Spearman %{x:.2f} (mean over %{customdata[0]} datasets)<extra></extra>"))
    fig.add_vline(x=0, line={"color": "#999", "dash": "dot"})
    fig.update_layout(template=TEMPLATE, title=title, height=120 + 40 * len(effect), xaxis={"range": [-1.05, 1.05]},
                      xaxis_title="rank correlation of quality with labels used (negative: better stops earlier)")
    return fig
