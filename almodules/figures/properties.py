"""Plotly figures of what in an embedding makes AL work: correlations, scatters, the controlled ladder.

Every function takes a table of :mod:`almodules.study.property_analysis` (or the per-cell table behind
it) and returns a ``go.Figure``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from almodules.core.validation import require_columns
from almodules.figures.plot_style import CLASS_PALETTE, TEMPLATE, strategy_color

__all__ = ["correlation_heatmap", "measure_gain_scatter", "ladder_figure"]


def correlation_heatmap(correlations: pd.DataFrame, *, title: str = "Spearman correlation of each measure with "
                        "each outcome, over cells") -> go.Figure:
    """Measures (rows) × outcomes (columns); hover shows the 95 % interval over datasets.

    Parameters
    ----------
    correlations : DataFrame
        :func:`almodules.study.property_analysis.measure_correlations` output.
    """
    require_columns(correlations, ["measure", "outcome", "spearman", "low", "high"], "correlation_heatmap")
    z = correlations.pivot(index="measure", columns="outcome", values="spearman")
    order_rows = list(pd.unique(correlations["measure"]))
    order_cols = list(pd.unique(correlations["outcome"]))
    z = z.loc[order_rows, order_cols]
    low = correlations.pivot(index="measure", columns="outcome", values="low").loc[order_rows, order_cols]
    high = correlations.pivot(index="measure", columns="outcome", values="high").loc[order_rows, order_cols]
    text = np.vectorize(lambda v: "" if np.isnan(v) else f"{v:+.2f}")(z.to_numpy(float))
    interval = np.stack([low.to_numpy(float), high.to_numpy(float)], axis=-1)
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(float), x=order_cols, y=order_rows, text=text, texttemplate="%{text}", zmin=-1, zmax=1, zmid=0,
        colorscale="RdBu", customdata=interval, colorbar=dict(title="Spearman"),
        hovertemplate="<b>%{y}</b> vs <b>%{x}</b><br>ρ = %{z:+.2f}, 95 %% interval [%{customdata[0]:+.2f}, "
                      "%{customdata[1]:+.2f}]<extra></extra>"))
    fig.update_layout(template=TEMPLATE, title_text=title, height=max(360, 34 * len(order_rows) + 200),
                      xaxis_tickangle=-30, yaxis_autorange="reversed")
    return fig


def measure_gain_scatter(table: pd.DataFrame, measure: str, strategies: Sequence[str], *,
                         measure_title: str | None = None) -> go.Figure:
    """One point per cell: ``measure`` against each strategy's AUC gain over random; hover names the cell."""
    columns = [f"gain_{s}" for s in strategies]
    require_columns(table, ["dataset", "embedder", measure, *columns], "measure_gain_scatter")
    fig = go.Figure()
    for s in strategies:
        fig.add_trace(go.Scatter(
            x=table[measure], y=table[f"gain_{s}"], mode="markers", name=s, marker=dict(color=strategy_color(s), size=9),
            customdata=np.stack([table["dataset"], table["embedder"]], axis=1),
            hovertemplate="%{customdata[0]} × %{customdata[1]}<br>" + (measure_title or measure)
                          + " %{x:.3g}<br>gain %{y:+.4f}<extra>" + s + "</extra>"))
    fig.add_hline(y=0, line=dict(color="#9E9E9E", dash="dot"))
    fig.update_layout(template=TEMPLATE, title_text=f"AUC gain over random against {measure_title or measure}",
                      xaxis_title=measure_title or measure, yaxis_title="AUC gain over random (paired per seed)",
                      height=460)
    return fig


def ladder_figure(table: pd.DataFrame, quality: str, outcome: str, *, base_of: dict[str, str]) -> go.Figure:
    """The controlled ladder: within each dataset, ``outcome`` against ``quality`` over a base embedder
    and its derived ones (``base_of`` maps each embedder to its base), joined in quality order."""
    require_columns(table, ["dataset", "embedder", quality, outcome], "ladder_figure")
    fig = go.Figure()
    rows = table[table["embedder"].isin(base_of)].assign(base=lambda f: f["embedder"].map(base_of))
    for k, ((dataset, base), grp) in enumerate(rows.groupby(["dataset", "base"], sort=True)):
        grp = grp.sort_values(quality)
        fig.add_trace(go.Scatter(
            x=grp[quality], y=grp[outcome], mode="lines+markers", name=f"{dataset} · {base}",
            line=dict(color=CLASS_PALETTE[k % len(CLASS_PALETTE)]), text=grp["embedder"],
            hovertemplate="%{text}<br>" + quality + " %{x:.3f}<br>" + outcome + " %{y:+.4f}<extra></extra>"))
    fig.update_layout(template=TEMPLATE, title_text=f"Controlled ladder: {outcome} as the quality of one embedder "
                      "is lowered (same texts)", xaxis_title=quality, yaxis_title=outcome, height=460)
    return fig
