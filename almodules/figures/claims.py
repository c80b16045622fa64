"""The claims figure: each claim of the papers with its measured effect and interval, oriented to its threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from almodules.core.validation import require_columns
from almodules.figures.plot_style import TEMPLATE
from almodules.study.verdicts import CLAIMS

__all__ = ["VERDICT_COLORS", "claims_figure", "ips_gap_figure"]

VERDICT_COLORS = {"reproduced": "#2E7D32", "not reproduced": "#C62828", "inconclusive": "#757575"}


def claims_figure(claims: pd.DataFrame) -> go.Figure:
    """Each claim's measured effect and 95 % interval, as the distance from its threshold.

    The axis is oriented per claim so that the side the paper claims is always to the right of
    zero: an interval wholly right of the line is a reproduction, wholly left a contradiction.

    Parameters
    ----------
    claims : DataFrame
        :func:`almodules.study.verdicts.claim_table` output.
    """
    require_columns(claims, ["claim", "statement", "effect", "low", "high", "threshold", "verdict", "n_units", "unit"],
                    "claims_figure")
    sign = claims["claim"].map({c.key: c.direction for c in CLAIMS}).fillna(1).to_numpy()
    centre = (claims["effect"] - claims["threshold"]).to_numpy() * sign
    lo = (claims["low"] - claims["threshold"]).to_numpy() * sign
    hi = (claims["high"] - claims["threshold"]).to_numpy() * sign
    left, right = np.minimum(lo, hi), np.maximum(lo, hi)
    fig = go.Figure()
    for verdict, color in VERDICT_COLORS.items():
        rows = np.flatnonzero((claims["verdict"] == verdict).to_numpy())
        if not len(rows):
            continue
        fig.add_trace(go.Scatter(
            x=centre[rows], y=claims["claim"].to_numpy()[rows], mode="markers", name=verdict,
            marker=dict(color=color, size=10),
            error_x=dict(type="data", symmetric=False, array=np.nan_to_num(right[rows] - centre[rows]),
                         arrayminus=np.nan_to_num(centre[rows] - left[rows]), color=color),
            customdata=np.stack([claims["statement"].to_numpy()[rows], claims["n_units"].to_numpy()[rows],
                                 claims["unit"].to_numpy()[rows]], axis=1),
            hovertemplate="%{customdata[0]}<br>%{x:.3f} from the threshold, %{customdata[1]} %{customdata[2]}s"
                          "<extra>%{fullData.name}</extra>"))
    fig.add_vline(x=0, line=dict(color="#424242", dash="dash"))
    fig.update_layout(template=TEMPLATE, title_text="The papers' claims: effect and 95 % interval, claimed side right",
                      xaxis_title="effect minus the claim's threshold (oriented: the claimed side is positive)",
                      height=140 + 34 * len(claims), yaxis=dict(autorange="reversed"), legend_title_text="verdict")
    return fig


def ips_gap_figure(gaps: pd.DataFrame, *, faded_by: tuple[int, int] = (5, 10), margin: float = 0.01) -> go.Figure:
    """The TypiClust − random IPS gap per cycle with its 95 % interval, and the claim's window and margin.

    Parameters
    ----------
    gaps : DataFrame
        :func:`almodules.study.claim_measures.ips_gap_by_cycle` output (``cycle``, ``gap``, ``low``, ``high``).
    faded_by : tuple of int
        The cycles by which the paper says the gap approaches zero (shaded).
    margin : float
        The band around zero that counts as "approached zero".
    """
    require_columns(gaps, ["cycle", "gap", "low", "high"], "ips_gap_figure")
    fig = go.Figure()
    fig.add_vrect(x0=faded_by[0], x1=faded_by[1], fillcolor="#E3F2FD", line_width=0, layer="below")
    fig.add_hrect(y0=-margin, y1=margin, fillcolor="#EEEEEE", line_width=0, layer="below")
    fig.add_trace(go.Scatter(
        x=gaps["cycle"], y=gaps["gap"], mode="lines+markers", name="mean gap", line=dict(color="#1565C0"),
        error_y=dict(type="data", symmetric=False, array=(gaps["high"] - gaps["gap"]).to_numpy(),
                     arrayminus=(gaps["gap"] - gaps["low"]).to_numpy(), color="#1565C0"),
        hovertemplate="cycle %{x}: %{y:.4f}<extra></extra>"))
    fig.add_hline(y=0, line=dict(color="#424242", dash="dash"))
    fig.update_layout(template=TEMPLATE, title_text="TypiClust − random initial pool, cycle by cycle (95 % interval "
                      f"over datasets and seeds; shaded: cycles {faded_by[0]}–{faded_by[1]}, ±{margin})",
                      xaxis_title="AL cycle", yaxis_title="accuracy gap", height=380, showlegend=False)
    return fig
