"""Plotly figures of embeddings: quality, quality against AL gain, 2-D maps.

Like :mod:`almodules.figures.study`, every function takes a tidy table (from
:mod:`almodules.study.diagnostics` or :mod:`almodules.study.analysis`) and returns a ``go.Figure``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from almodules.core.validation import require_columns
from almodules.figures.plot_style import (
    CLASS_PALETTE,
    TEMPLATE,
    facet_grid,
    faceted,
    ordered,
    panel_groups,
    strategy_color,
)

__all__ = ["MAX_BARS", "quality_figure", "gain_quality_figure", "projection_figure"]


MAX_BARS = 6
"""Most embedders :func:`quality_figure` draws as grouped bars; more are drawn as grouped dots."""


def quality_figure(quality: pd.DataFrame, measures: Mapping[str, str] | None = None) -> go.Figure:
    """Grouped bars (dots beyond :data:`MAX_BARS` embedders) of embedding-quality measures: one panel
    per measure, one colour per embedder.

    Parameters
    ----------
    quality : DataFrame
        :func:`almodules.study.diagnostics.embedding_quality_table` output.
    measures : mapping of column to panel title, optional
        Default: full-pool probe accuracy and k-NN accuracy.
    """
    measures = dict(measures or {"probe_accuracy": "full-pool probe accuracy", "knn_accuracy": "k-NN accuracy"})
    require_columns(quality, ["dataset", "embedder", *measures], "quality_figure")
    fig = make_subplots(rows=1, cols=len(measures), subplot_titles=list(measures.values()), shared_yaxes=True)
    embedders = list(pd.unique(quality["embedder"]))
    dots = len(embedders) > MAX_BARS  # thin bars with gaps where a dataset lacks an embedder: dots read better
    for j, measure in enumerate(measures, start=1):
        for k, name in enumerate(embedders):
            sub = quality[quality["embedder"] == name]
            style = dict(x=sub["dataset"], y=sub[measure], name=name, legendgroup=name, showlegend=j == 1,
                         hovertemplate=f"<b>{name}</b> on %{{x}}<br>{measures[measure]} %{{y:.3f}}<extra></extra>")
            color = CLASS_PALETTE[k % len(CLASS_PALETTE)]
            fig.add_trace(go.Scatter(mode="markers", marker=dict(color=color, size=8, symbol=k % 12), **style) if dots
                          else go.Bar(marker_color=color, **style), row=1, col=j)
    fig.update_layout(template=TEMPLATE, barmode="group", scattermode="group", title_text="Embedding quality on each task",
                      yaxis_title="test accuracy", yaxis_range=[0, 1.02])
    return fig


def gain_quality_figure(table: pd.DataFrame, measure: str, *, measure_title: str | None = None) -> go.Figure:
    """AL gain over random (AUC difference) against an embedding-quality measure, per strategy.

    Parameters
    ----------
    table : DataFrame
        :func:`almodules.study.analysis.al_gain` output merged with a quality table on dataset and
        embedder (columns ``strategy``, ``mean``, ``std``, ``dataset``, ``embedder``, ``measure``).
    measure : str
        Column of the x axis.
    """
    require_columns(table, ["strategy", "mean", "std", "dataset", "embedder", measure], "gain_quality_figure")
    fig = go.Figure()
    names = ordered(table["strategy"])
    for name in names:
        sub = table[table["strategy"] == name].sort_values(measure)
        fig.add_trace(go.Scatter(
            x=sub[measure], y=sub["mean"], error_y=dict(type="data", array=sub["std"], thickness=1),
            mode="markers+lines", name=name, marker=dict(size=9, color=strategy_color(name, names)),
            line=dict(width=1, color=strategy_color(name, names)),
            customdata=np.column_stack([sub["dataset"], sub["embedder"]]),
            hovertemplate=(f"<b>{name}</b><br>%{{customdata[0]}} · %{{customdata[1]}}<br>"
                           f"{measure_title or measure} %{{x:.3f}}<br>gain %{{y:+.4f}}<extra></extra>")))
    fig.add_hline(y=0, line=dict(color="black", width=1, dash="dot"))
    fig.update_layout(template=TEMPLATE, title_text="AL gain over random against embedding quality",
                      xaxis_title=measure_title or measure, yaxis_title="AUC gain over random")
    return fig


def projection_figure(points: pd.DataFrame, *, row: str | None = "dataset", col: str | None = "embedder",
                      max_legend: int = 20, title: str = "2-D projection of the embeddings, coloured by class"
                      ) -> go.Figure:
    """Scatter of 2-D embedding coordinates coloured by class, one panel per dataset × embedder.

    Parameters
    ----------
    points : DataFrame
        Columns ``x``, ``y``, ``label`` (class name) plus the facet columns
        (:func:`almodules.study.diagnostics.projection_2d`).
    max_legend : int
        Hide the class legend beyond this many classes (hover still names the class).
    """
    require_columns(points, ["x", "y", "label"], "projection_figure")
    return faceted(points, row, col, lambda f, r, c: _projection_panels(f, r, c, max_legend, title))


def _projection_panels(points: pd.DataFrame, row: str | None, col: str | None, max_legend: int,
                       title: str) -> go.Figure:
    fig, panels = facet_grid(points, row, col, x_title="", y_title="", shared_y=False)
    classes = sorted(points["label"].unique(), key=str)
    color = {c: CLASS_PALETTE[k % len(CLASS_PALETTE)] for k, c in enumerate(classes)}
    shown: set[str] = set()
    for i, j, c, sub in panel_groups(panels, "label", classes):
        fig.add_trace(go.Scatter(
            x=sub["x"], y=sub["y"], mode="markers", name=str(c), legendgroup=str(c),
            showlegend=len(classes) <= max_legend and c not in shown,
            marker=dict(size=4, color=color[c], opacity=0.7),
            hovertemplate=f"class <b>{c}</b><extra></extra>"), row=i, col=j)
        shown.add(c)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    fig.update_layout(title_text=title)
    return fig
