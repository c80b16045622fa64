"""Plotly figures of AL runs: functions from tidy analysis tables to ``go.Figure``.

Every function takes the output of an :mod:`almodules.study.analysis` or :mod:`almodules.study.rankings`
function and returns a :class:`plotly.graph_objects.Figure`; none of them computes results.
Colours, facets and the offline renderer come from :mod:`almodules.figures.plot_style`; clicking a
legend entry toggles that strategy in every panel at once.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from almodules.core.validation import require_columns
from almodules.figures.plot_style import (
    TEMPLATE,
    band_lines,
    dataset_menu,
    facet_grid,
    faceted,
    ordered,
    panel_groups,
    strategy_color,
)

__all__ = [
    "learning_curve_figure", "difference_curve_figure", "auc_figure", "ips_curve_figure",
    "ips_win_figure", "win_rate_heatmap", "top_frequency_figure", "latency_figure", "labels_to_target_figure",
    "table_figure", "MAX_TABLE_ROWS", "MAX_SIDE_BY_SIDE",
]

MAX_TABLE_ROWS = 48
"""Most rows :func:`table_figure` shows at once when the rows span several datasets."""
MAX_SIDE_BY_SIDE = 3
"""Most heatmaps :func:`win_rate_heatmap` puts side by side; more are shown one at a time from a menu."""



def learning_curve_figure(curves: pd.DataFrame, *, metric: str = "accuracy", x: str = "n_labeled",
                          row: str | None = "dataset", col: str | None = "embedder",
                          title: str = "Learning curves (mean ± std over seeds)") -> go.Figure:
    """Learning curves with seed bands, one colour per strategy, one panel per dataset × embedder.

    Parameters
    ----------
    curves : DataFrame
        :func:`almodules.study.analysis.learning_curves` output (filter to the curves to show). When it
        holds several IPS, each IPS gets its own line style.
    metric : str
        Label of the y axis.
    x : {"n_labeled", "cycle"}
    row, col : str or None
        Facet columns (None: a single panel).
    """
    dash = "ips" if "ips" in curves and curves["ips"].nunique() > 1 else None
    return band_lines(curves, x=x, color="strategy", dash=dash, title=title, y_title=metric,
                       x_title="labels" if x == "n_labeled" else x, row=row, col=col)


def difference_curve_figure(diff: pd.DataFrame, *, treatment: str = "typiclust", control: str = "random",
                            x: str = "n_labeled", row: str | None = "dataset", col: str | None = "embedder",
                            metric: str = "accuracy") -> go.Figure:
    """IPS difference curves (Figure 3): ``treatment`` minus ``control`` IPS, per query strategy.

    Parameters
    ----------
    diff : DataFrame
        :func:`almodules.study.analysis.ips_difference_curves` output.
    """
    return band_lines(diff, x=x, color="strategy", dash=None, row=row, col=col, zero_line=True,
                       title=f"{treatment} IPS minus {control} IPS (paired per seed; above 0: {treatment} helps)",
                       y_title=f"Δ {metric}", x_title="labels" if x == "n_labeled" else x)


def auc_figure(auc: pd.DataFrame, *, row: str | None = "dataset", col: str | None = "embedder",
               title: str = "Area under the learning curve (mean accuracy over the budget)") -> go.Figure:
    """Bars of mean normalised AUC per strategy (± std over seeds), one colour per IPS.

    Parameters
    ----------
    auc : DataFrame
        :func:`almodules.study.analysis.summarise_seeds` of :func:`~almodules.study.analysis.area_under_curve`
        by setting, ips and strategy (columns ``ips``, ``strategy``, ``mean``, ``std``).
    """
    require_columns(auc, ["ips", "strategy", "mean", "std"], "auc_figure")
    return faceted(auc, row, col, lambda f, r, c: _auc_panels(f, r, c, title))


def _auc_panels(auc: pd.DataFrame, row: str | None, col: str | None, title: str) -> go.Figure:
    fig, panels = facet_grid(auc, row, col, x_title="strategy", y_title="AUC", shared_y=False)
    ips_names = ordered(auc["ips"])
    shown: set[str] = set()
    for i, j, ips, sub in panel_groups(panels, "ips", ips_names):
        name = f"{ips} IPS"
        fig.add_trace(go.Bar(
            x=sub["strategy"], y=sub["mean"], error_y=dict(type="data", array=sub["std"]), name=name,
            legendgroup=name, showlegend=name not in shown,
            marker_color=strategy_color(ips, ips_names),
            hovertemplate=f"<b>%{{x}}</b>, {name}<br>AUC %{{y:.4f}}<extra></extra>"), row=i, col=j)
        shown.add(name)
    fig.update_layout(title_text=title, barmode="group")
    return fig


def ips_curve_figure(ips_acc: pd.DataFrame, *, metric: str = "accuracy", row: str | None = "dataset",
                     col: str | None = "embedder") -> go.Figure:
    """Accuracy of the probe on the initial pool alone against k0, one line per IPS (log x).

    Parameters
    ----------
    ips_acc : DataFrame
        :func:`almodules.study.rankings.ips_accuracy` output.
    """
    frame = ips_acc.rename(columns={"ips": "strategy"})
    return band_lines(frame, x="k0", color="strategy", dash=None, row=row, col=col, log_x=True,
                       title="Initial pool selection: accuracy after training on the k0 initial labels",
                       y_title=metric, x_title="k0 (initial pool size)")


def ips_win_figure(freq: pd.DataFrame) -> go.Figure:
    """How often each IPS gives the best initial pool, per k0 (Figure 1), stacked bars.

    Parameters
    ----------
    freq : DataFrame
        :func:`almodules.study.rankings.ips_win_frequency` output.
    """
    require_columns(freq, ["k0", "ips", "frequency", "wins", "groups"], "ips_win_figure")
    fig = go.Figure()
    names = ordered(freq["ips"])
    for ips in names:
        sub = freq[freq["ips"] == ips].sort_values("k0")
        fig.add_trace(go.Bar(
            x=sub["k0"].astype(str), y=sub["frequency"], name=ips, marker_color=strategy_color(ips, names),
            customdata=np.column_stack([sub["wins"], sub["groups"]]),
            hovertemplate=(f"<b>{ips}</b>, k0 %{{x}}<br>best in %{{y:.0%}} "
                           "(%{customdata[0]:.1f} of %{customdata[1]})<extra></extra>")))
    fig.update_layout(template=TEMPLATE, barmode="stack", title_text="How often each IPS is best, per k0",
                      xaxis_title="k0", yaxis_title="share of dataset × embedder pairs", yaxis_tickformat=".0%",
                      xaxis_type="category")
    return fig


def win_rate_heatmap(matrices: pd.DataFrame | Mapping[str, pd.DataFrame], *,
                     title: str = "Pairwise win rates: row strategy beats column strategy") -> go.Figure:
    """Win-rate matrices (Figure 4) as heatmaps; hovering a cell shows its value.

    Parameters
    ----------
    matrices : DataFrame or mapping of str to DataFrame
        :func:`almodules.study.rankings.win_rate_matrix` output, or several keyed by panel title
        (e.g. ``{"random IPS": m1, "typiclust IPS": m2}``).
    """
    if isinstance(matrices, pd.DataFrame):
        matrices = {"": matrices}
    if len(matrices) > MAX_SIDE_BY_SIDE:
        return dataset_menu({name: win_rate_heatmap(m, title=f"{title}: {name}") for name, m in matrices.items()},
                            label=None)
    fig = make_subplots(rows=1, cols=len(matrices), subplot_titles=[k for k in matrices] if len(matrices) > 1
                        else None, horizontal_spacing=0.2)  # room for the second panel's row labels
    for j, (panel, matrix) in enumerate(matrices.items(), start=1):
        z = matrix.to_numpy(dtype=float)
        text = np.where(np.isnan(z), "", np.vectorize(lambda v: f"{v:.2f}")(np.nan_to_num(z)))
        fig.add_trace(go.Heatmap(
            z=z, x=[str(c) for c in matrix.columns], y=[str(i) for i in matrix.index], text=text,
            texttemplate="%{text}", zmin=0, zmax=1, zmid=0.5, colorscale="RdBu",
            showscale=j == len(matrices), colorbar=dict(title="win rate", tickformat=".0%"),
            name=panel or "win rate",
            hovertemplate="<b>%{y}</b> beats <b>%{x}</b><br>win rate %{z:.1%}<extra>" + panel + "</extra>"),
            row=1, col=j)
        fig.update_yaxes(autorange="reversed", row=1, col=j)
    n = max(len(m) for m in matrices.values())
    fig.update_layout(template=TEMPLATE, title_text=title, height=max(360, 40 * n + 200),
                      width=None)
    fig.update_xaxes(tickangle=-45)
    return fig


def top_frequency_figure(freq: pd.DataFrame, by: str, *, contender: str = "strategy",
                         title: str | None = None) -> go.Figure:
    """Stacked bars: share of competitions each strategy wins, per ``by`` (Figures 5 and 7).

    Parameters
    ----------
    freq : DataFrame
        :func:`almodules.study.rankings.top_strategy_frequency` output with ``by=(by,)``.
    by : str
        The x axis (``"cycle"``, ``"embedder"``, ``"dataset"``).
    contender : str
        Column naming the competitors.
    """
    require_columns(freq, [by, contender, "frequency", "wins", "groups"], "top_frequency_figure")
    fig = go.Figure()
    names = ordered(freq[contender])
    for name in names:
        sub = freq[freq[contender] == name].sort_values(by)
        fig.add_trace(go.Bar(
            x=sub[by].astype(str), y=sub["frequency"], name=name, marker_color=strategy_color(name, names),
            customdata=np.column_stack([sub["wins"], sub["groups"]]),
            hovertemplate=(f"<b>{name}</b>, {by} %{{x}}<br>top in %{{y:.0%}} "
                           "(%{customdata[0]:.1f} of %{customdata[1]})<extra></extra>")))
    fig.update_layout(template=TEMPLATE, barmode="stack", xaxis_type="category", yaxis_tickformat=".0%",
                      title_text=title or f"How often each strategy is top, per {by}",
                      xaxis_title=by, yaxis_title="share of competitions won")
    return fig




def latency_figure(latency: pd.DataFrame, *, x: str = "strategy", log: bool = False,
                   title: str = "Acquisition latency per query") -> go.Figure:
    """Median seconds per query: bars per strategy, or lines against ``x`` (e.g. ``"pool_size"``).

    Parameters
    ----------
    latency : DataFrame
        :func:`almodules.study.analysis.acquisition_latency` output grouped by ``strategy`` (and ``x``).
    x : str
        ``"strategy"`` for bars; any numeric column for one line per strategy.
    log : bool
        Log-scaled axes (useful for latency against pool size).
    """
    require_columns(latency, ["strategy", "median_s", x], "latency_figure")
    fig = go.Figure()
    names = ordered(latency["strategy"])
    if x == "strategy":
        order = latency.groupby("strategy")["median_s"].median().sort_values().index
        sub = latency.groupby("strategy")[["median_s", "max_s"]].median().reindex(order)
        fig.add_trace(go.Bar(x=list(order), y=sub["median_s"], marker_color=[strategy_color(n, names) for n in order],
                             name="median", customdata=sub["max_s"],
                             hovertemplate="<b>%{x}</b><br>median %{y:.3f} s<br>max %{customdata:.3f} s"
                                           "<extra></extra>"))
    else:
        for name in names:
            sub = latency[latency["strategy"] == name].sort_values(x)
            fig.add_trace(go.Scatter(x=sub[x], y=sub["median_s"], mode="lines+markers", name=name,
                                     line=dict(color=strategy_color(name, names)),
                                     hovertemplate=f"<b>{name}</b><br>{x} %{{x}}<br>%{{y:.3f}} s<extra></extra>"))
    fig.update_layout(template=TEMPLATE, title_text=title, xaxis_title=x, yaxis_title="seconds per query")
    if log:
        fig.update_yaxes(type="log")
        if x != "strategy":
            ticks = sorted(latency[x].dropna().unique())
            fig.update_xaxes(type="log", tickmode="array", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    return fig


def labels_to_target_figure(summary: pd.DataFrame, *, row: str | None = "dataset", col: str | None = "embedder",
                            title: str = "Labels needed to reach a share of the fully supervised accuracy"
                            ) -> go.Figure:
    """Grouped bars: mean labels (± std) to reach each target fraction, one colour per strategy.

    Parameters
    ----------
    summary : DataFrame
        :func:`almodules.study.analysis.summarise_seeds` of
        :func:`~almodules.study.analysis.labels_to_target`'s ``labels`` by (facets,) strategy, fraction;
        ``n_seeds`` counts the seeds that reached the target.
    """
    require_columns(summary, ["strategy", "fraction", "mean", "std", "n_seeds"], "labels_to_target_figure")
    return faceted(summary, row, col, lambda f, r, c: _labels_to_target_panels(f, r, c, title))


def _labels_to_target_panels(summary: pd.DataFrame, row: str | None, col: str | None, title: str) -> go.Figure:
    fig, panels = facet_grid(summary, row, col, x_title="target (share of fully supervised)", y_title="labels",
                             shared_y=False)
    names = ordered(summary["strategy"])
    shown: set[str] = set()
    for i, j, name, sub in panel_groups(panels, "strategy", names):
        sub = sub.sort_values("fraction")
        fig.add_trace(go.Bar(
            x=[f"{f:.0%}" for f in sub["fraction"]], y=sub["mean"], error_y=dict(type="data", array=sub["std"]),
            name=name, legendgroup=name, showlegend=name not in shown,
            marker_color=strategy_color(name, names), customdata=sub["n_seeds"],
            hovertemplate=(f"<b>{name}</b>, target %{{x}}<br>%{{y:.0f}} labels "
                           "(seeds reaching it: %{customdata})<extra></extra>")), row=i, col=j)
        shown.add(name)
    fig.update_layout(title_text=title, barmode="group")
    return fig


def table_figure(frame: pd.DataFrame, *, title: str = "", formats: Mapping[str, str] | None = None) -> go.Figure:
    """A styled table (used for the paper's MTEB table and summaries).

    Parameters
    ----------
    frame : DataFrame
        Rows to show, in order.
    formats : mapping of column to format spec, optional
        E.g. ``{"mteb": ".2f"}``; other columns are shown as text.

    A table of more than :data:`MAX_TABLE_ROWS` rows over several datasets shows one dataset at a
    time, chosen from a dropdown.
    """
    if "dataset" in frame and len(frame) > MAX_TABLE_ROWS and frame["dataset"].nunique() > 1:
        return dataset_menu({name: table_figure(part, title=title, formats=formats)
                             for name, part in frame.groupby("dataset", sort=False)})
    formats = dict(formats or {})
    cells = [[("" if pd.isna(v) else format(v, formats[c])) if c in formats else ("" if v is None else str(v))
              for v in frame[c]] for c in frame.columns]
    fig = go.Figure(go.Table(
        header=dict(values=[f"<b>{c}</b>" for c in frame.columns], fill_color="#E8EEF7", align="left"),
        cells=dict(values=cells, align="left",
                   fill_color=[["white" if r % 2 == 0 else "#F7F9FC" for r in range(len(frame))]] * len(frame.columns))))
    fig.update_layout(template=TEMPLATE, title_text=title, height=min(120 + 28 * len(frame), 900),
                      margin=dict(l=10, r=10, t=50 if title else 10, b=10))
    return fig
