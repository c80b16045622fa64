"""Plotly figures of the book: functions from tidy analysis tables to ``go.Figure``.

Every function takes the output of an :mod:`almodules.analysis` (or :mod:`almodules.diagnostics`)
function and returns a :class:`plotly.graph_objects.Figure`; none of them computes results. A
strategy (or IPS) keeps one colour in every figure (:func:`strategy_color`). Figures with several
panels facet by dataset (rows) and embedder (columns); clicking a legend entry toggles that
strategy in every panel at once.

:func:`setup_plotly_for_book` makes figures render in Jupyter Book 1 after papermill execution;
every notebook of the book calls it first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io._base_renderers import HtmlRenderer
from plotly.subplots import make_subplots

from .strategies import STRATEGIES

__all__ = [
    "BOOK_RENDERER", "STRATEGY_COLORS", "setup_plotly_for_book", "strategy_color",
    "learning_curve_figure", "difference_curve_figure", "auc_figure", "ips_curve_figure",
    "ips_win_figure", "win_rate_heatmap", "top_frequency_figure", "gain_quality_figure",
    "quality_figure", "latency_figure", "labels_to_target_figure", "projection_figure", "table_figure",
]

BOOK_RENDERER = "book"

# Random is the baseline of every comparison, hence neutral grey; the rest follow the registry order.
_PALETTE = ["#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#BCBD22",
            "#17BECF", "#1B9E77", "#D95F02", "#7570B3", "#E7298A", "#66A61E", "#E6AB02", "#A6761D"]
_EXTRA = ["#393B79", "#AD494A", "#8CA252", "#BD9E39", "#7B4173", "#3182BD", "#E6550D", "#31A354"]
_CLASS_PALETTE = _PALETTE + _EXTRA

STRATEGY_COLORS: dict[str, str] = {"random": "#7F7F7F", **{
    name: color for name, color in zip([n for n in STRATEGIES if n != "random"], _PALETTE)}}
"""One fixed colour per registered strategy; IPS share the colour of the strategy of that name."""

_TEMPLATE = "plotly_white"
_PANEL_HEIGHT = 300


class _OfflineHtmlRenderer(HtmlRenderer):
    """``HtmlRenderer(connected=False, include_plotlyjs=False)`` that does not load MathJax.

    Plotly's own HTML renderer always adds a ``<script>`` fetching MathJax from a CDN, a failed
    request (and a console error) on every page of a book read offline; no figure here uses LaTeX.
    """

    def __init__(self) -> None:
        super().__init__(connected=False, include_plotlyjs=False)

    def to_mimebundle(self, fig_dict):
        html = pio.to_html(fig_dict, config=self.config, include_plotlyjs=False, include_mathjax=False,
                           full_html=False, default_width="100%", default_height=525, validate=False)
        return {"text/html": html}


def setup_plotly_for_book() -> None:
    """Make plotly figures show up in Jupyter Book 1 pages built from papermill outputs.

    Plotly 7 under papermill emits only ``application/vnd.plotly.v1+json``, which myst-nb drops.
    This registers an HTML renderer that writes a ``<div>`` plus a script but not plotly.js itself
    (the book loads ``_static/plotly.min.js`` on every page) and makes the default renderer emit
    both the plotly JSON (for Jupyter) and that HTML (for the book). Idempotent.
    """
    pio.renderers[BOOK_RENDERER] = _OfflineHtmlRenderer()
    pio.renderers.default = f"plotly_mimetype+{BOOK_RENDERER}"


def strategy_color(name: str, others: Sequence[str] = ()) -> str:
    """The colour of a strategy or IPS; names outside the registry take extra colours by position.

    Parameters
    ----------
    name : str
        A registry name, or another label (a TYROGUE variant such as ``"tyrogue r=1"``).
    others : sequence of str
        All labels of the figure, in order: a non-registry label gets the extra colour of its
        position among the non-registry labels, so colours stay distinct within a figure.
    """
    if name in STRATEGY_COLORS:
        return STRATEGY_COLORS[name]
    foreign = [o for o in dict.fromkeys(others) if o not in STRATEGY_COLORS]
    position = foreign.index(name) if name in foreign else 0
    return _EXTRA[position % len(_EXTRA)]


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs columns {missing}; got {list(frame.columns)}")


def _ordered(values: pd.Series) -> list:
    """Unique values in registry order for strategies, sorted otherwise."""
    unique = list(pd.unique(values.dropna()))
    known = [n for n in STRATEGY_COLORS if n in unique]
    return known + sorted((v for v in unique if v not in known), key=str)


def _facet_grid(frame: pd.DataFrame, row: str | None, col: str | None, *, x_title: str, y_title: str,
                shared_y: bool = True) -> tuple[go.Figure, list, list]:
    rows = sorted(frame[row].unique(), key=str) if row else [None]
    cols = sorted(frame[col].unique(), key=str) if col else [None]
    titles = [" · ".join(str(v) for v in (r, c) if v is not None) for r in rows for c in cols]
    fig = make_subplots(rows=len(rows), cols=len(cols), subplot_titles=titles if len(titles) > 1 else None,
                        shared_yaxes=shared_y, horizontal_spacing=0.06,
                        vertical_spacing=min(0.12, 0.3 / max(len(rows), 1)))
    fig.update_layout(template=_TEMPLATE, height=max(_PANEL_HEIGHT * len(rows) + 120, 380),
                      legend_title_text="", hovermode="closest")
    fig.update_xaxes(title_text=x_title, row=len(rows))
    fig.update_yaxes(title_text=y_title, col=1)
    return fig, rows, cols


def _panels(frame: pd.DataFrame, row: str | None, col: str | None, rows: list, cols: list):
    for i, r in enumerate(rows, start=1):
        for j, c in enumerate(cols, start=1):
            sub = frame
            if row:
                sub = sub[sub[row] == r]
            if col:
                sub = sub[sub[col] == c]
            if not sub.empty:
                yield i, j, sub


def _band_lines(frame: pd.DataFrame, *, x: str, color: str, title: str, y_title: str, x_title: str,
                dash: str | None, row: str | None, col: str | None, zero_line: bool = False,
                log_x: bool = False) -> go.Figure:
    """Mean lines with ±std bands, one legend group per (colour, dash) label across panels."""
    _require(frame, [x, color, "mean", "std"], title)
    fig, rows, cols = _facet_grid(frame, row, col, x_title=x_title, y_title=y_title)
    labels = _ordered(frame[color])
    dashes = _ordered(frame[dash]) if dash else [None]
    dash_styles = ["solid", "dash", "dot", "dashdot", "longdash"]
    shown: set[str] = set()
    for i, j, panel in _panels(frame, row, col, rows, cols):
        for label in labels:
            for k, d in enumerate(dashes):
                sub = panel[panel[color] == label]
                if d is not None:
                    sub = sub[sub[dash] == d]
                if sub.empty:
                    continue
                sub = sub.sort_values(x)
                name = f"{label} ({dash} {d})" if d is not None and len(dashes) > 1 else str(label)
                hue = strategy_color(label, labels)
                xs = sub[x].to_numpy()
                lo, hi = (sub["mean"] - sub["std"]).to_numpy(), (sub["mean"] + sub["std"]).to_numpy()
                fig.add_trace(go.Scatter(
                    x=np.concatenate([xs, xs[::-1]]), y=np.concatenate([hi, lo[::-1]]), fill="toself",
                    fillcolor=_rgba(hue, 0.15), line=dict(width=0), hoverinfo="skip", legendgroup=name,
                    showlegend=False, name=name), row=i, col=j)
                n_seeds = sub["n_seeds"] if "n_seeds" in sub else pd.Series(np.nan, index=sub.index)
                fig.add_trace(go.Scatter(
                    x=xs, y=sub["mean"], mode="lines+markers", name=name, legendgroup=name,
                    showlegend=name not in shown, marker=dict(size=4),
                    line=dict(color=hue, dash=dash_styles[k % len(dash_styles)]),
                    customdata=np.column_stack([sub["std"], n_seeds]),
                    hovertemplate=(f"<b>{name}</b><br>{x_title} %{{x}}<br>{y_title} %{{y:.4f}} "
                                   "± %{customdata[0]:.4f}<br>seeds %{customdata[1]}<extra></extra>")),
                    row=i, col=j)
                shown.add(name)
    if zero_line:
        fig.add_hline(y=0, line=dict(color="black", width=1, dash="dot"), row="all", col="all")
    if log_x:
        fig.update_xaxes(type="log")
    fig.update_layout(title_text=title)
    return fig


def learning_curve_figure(curves: pd.DataFrame, *, metric: str = "accuracy", x: str = "n_labeled",
                          row: str | None = "dataset", col: str | None = "embedder",
                          title: str = "Learning curves (mean ± std over seeds)") -> go.Figure:
    """Learning curves with seed bands, one colour per strategy, one panel per dataset × embedder.

    Parameters
    ----------
    curves : DataFrame
        :func:`almodules.analysis.learning_curves` output (filter to the curves to show). When it
        holds several IPS, each IPS gets its own line style.
    metric : str
        Label of the y axis.
    x : {"n_labeled", "cycle"}
    row, col : str or None
        Facet columns (None: a single panel).
    """
    dash = "ips" if "ips" in curves and curves["ips"].nunique() > 1 else None
    return _band_lines(curves, x=x, color="strategy", dash=dash, title=title, y_title=metric,
                       x_title="labels" if x == "n_labeled" else x, row=row, col=col)


def difference_curve_figure(diff: pd.DataFrame, *, treatment: str = "typiclust", control: str = "random",
                            x: str = "n_labeled", row: str | None = "dataset", col: str | None = "embedder",
                            metric: str = "accuracy") -> go.Figure:
    """IPS difference curves (Figure 3): ``treatment`` minus ``control`` IPS, per query strategy.

    Parameters
    ----------
    diff : DataFrame
        :func:`almodules.analysis.ips_difference_curves` output.
    """
    return _band_lines(diff, x=x, color="strategy", dash=None, row=row, col=col, zero_line=True,
                       title=f"{treatment} IPS minus {control} IPS (paired per seed; above 0: {treatment} helps)",
                       y_title=f"Δ {metric}", x_title="labels" if x == "n_labeled" else x)


def auc_figure(auc: pd.DataFrame, *, row: str | None = "dataset", col: str | None = "embedder",
               title: str = "Area under the learning curve (mean accuracy over the budget)") -> go.Figure:
    """Bars of mean normalised AUC per strategy (± std over seeds), one colour per IPS.

    Parameters
    ----------
    auc : DataFrame
        :func:`almodules.analysis.summarise_seeds` of :func:`~almodules.analysis.area_under_curve`
        by setting, ips and strategy (columns ``ips``, ``strategy``, ``mean``, ``std``).
    """
    _require(auc, ["ips", "strategy", "mean", "std"], "auc_figure")
    fig, rows, cols = _facet_grid(auc, row, col, x_title="strategy", y_title="AUC", shared_y=False)
    ips_names = _ordered(auc["ips"])
    shown: set[str] = set()
    for i, j, panel in _panels(auc, row, col, rows, cols):
        for ips in ips_names:
            sub = panel[panel["ips"] == ips]
            if sub.empty:
                continue
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
        :func:`almodules.analysis.ips_accuracy` output.
    """
    frame = ips_acc.rename(columns={"ips": "strategy"})
    return _band_lines(frame, x="k0", color="strategy", dash=None, row=row, col=col, log_x=True,
                       title="Initial pool selection: accuracy after training on the k0 initial labels",
                       y_title=metric, x_title="k0 (initial pool size)")


def ips_win_figure(freq: pd.DataFrame) -> go.Figure:
    """How often each IPS gives the best initial pool, per k0 (Figure 1), stacked bars.

    Parameters
    ----------
    freq : DataFrame
        :func:`almodules.analysis.ips_win_frequency` output.
    """
    _require(freq, ["k0", "ips", "frequency", "wins", "groups"], "ips_win_figure")
    fig = go.Figure()
    names = _ordered(freq["ips"])
    for ips in names:
        sub = freq[freq["ips"] == ips].sort_values("k0")
        fig.add_trace(go.Bar(
            x=sub["k0"].astype(str), y=sub["frequency"], name=ips, marker_color=strategy_color(ips, names),
            customdata=np.column_stack([sub["wins"], sub["groups"]]),
            hovertemplate=(f"<b>{ips}</b>, k0 %{{x}}<br>best in %{{y:.0%}} "
                           "(%{customdata[0]:.1f} of %{customdata[1]})<extra></extra>")))
    fig.update_layout(template=_TEMPLATE, barmode="stack", title_text="How often each IPS is best, per k0",
                      xaxis_title="k0", yaxis_title="share of dataset × embedder pairs", yaxis_tickformat=".0%",
                      xaxis_type="category")
    return fig


def win_rate_heatmap(matrices: pd.DataFrame | Mapping[str, pd.DataFrame], *,
                     title: str = "Pairwise win rates: row strategy beats column strategy") -> go.Figure:
    """Win-rate matrices (Figure 4) as heatmaps; hovering a cell shows its value.

    Parameters
    ----------
    matrices : DataFrame or mapping of str to DataFrame
        :func:`almodules.analysis.win_rate_matrix` output, or several keyed by panel title
        (e.g. ``{"random IPS": m1, "typiclust IPS": m2}``).
    """
    if isinstance(matrices, pd.DataFrame):
        matrices = {"": matrices}
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
    fig.update_layout(template=_TEMPLATE, title_text=title, height=max(360, 40 * n + 200),
                      width=None)
    fig.update_xaxes(tickangle=-45)
    return fig


def top_frequency_figure(freq: pd.DataFrame, by: str, *, contender: str = "strategy",
                         title: str | None = None) -> go.Figure:
    """Stacked bars: share of competitions each strategy wins, per ``by`` (Figures 5 and 7).

    Parameters
    ----------
    freq : DataFrame
        :func:`almodules.analysis.top_strategy_frequency` output with ``by=(by,)``.
    by : str
        The x axis (``"cycle"``, ``"embedder"``, ``"dataset"``).
    contender : str
        Column naming the competitors.
    """
    _require(freq, [by, contender, "frequency", "wins", "groups"], "top_frequency_figure")
    fig = go.Figure()
    names = _ordered(freq[contender])
    for name in names:
        sub = freq[freq[contender] == name].sort_values(by)
        fig.add_trace(go.Bar(
            x=sub[by].astype(str), y=sub["frequency"], name=name, marker_color=strategy_color(name, names),
            customdata=np.column_stack([sub["wins"], sub["groups"]]),
            hovertemplate=(f"<b>{name}</b>, {by} %{{x}}<br>top in %{{y:.0%}} "
                           "(%{customdata[0]:.1f} of %{customdata[1]})<extra></extra>")))
    fig.update_layout(template=_TEMPLATE, barmode="stack", xaxis_type="category", yaxis_tickformat=".0%",
                      title_text=title or f"How often each strategy is top, per {by}",
                      xaxis_title=by, yaxis_title="share of competitions won")
    return fig


def gain_quality_figure(table: pd.DataFrame, measure: str, *, measure_title: str | None = None) -> go.Figure:
    """AL gain over random (AUC difference) against an embedding-quality measure, per strategy.

    Parameters
    ----------
    table : DataFrame
        :func:`almodules.analysis.al_gain` output merged with a quality table on dataset and
        embedder (columns ``strategy``, ``mean``, ``std``, ``dataset``, ``embedder``, ``measure``).
    measure : str
        Column of the x axis.
    """
    _require(table, ["strategy", "mean", "std", "dataset", "embedder", measure], "gain_quality_figure")
    fig = go.Figure()
    names = _ordered(table["strategy"])
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
    fig.update_layout(template=_TEMPLATE, title_text="AL gain over random against embedding quality",
                      xaxis_title=measure_title or measure, yaxis_title="AUC gain over random")
    return fig


def quality_figure(quality: pd.DataFrame, measures: Mapping[str, str] | None = None) -> go.Figure:
    """Grouped bars of embedding-quality measures: one panel per measure, one colour per embedder.

    Parameters
    ----------
    quality : DataFrame
        :func:`almodules.diagnostics.embedding_quality_table` output.
    measures : mapping of column to panel title, optional
        Default: full-pool probe accuracy and k-NN accuracy.
    """
    measures = dict(measures or {"probe_accuracy": "full-pool probe accuracy", "knn_accuracy": "k-NN accuracy"})
    _require(quality, ["dataset", "embedder", *measures], "quality_figure")
    fig = make_subplots(rows=1, cols=len(measures), subplot_titles=list(measures.values()), shared_yaxes=True)
    embedders = list(pd.unique(quality["embedder"]))
    for j, measure in enumerate(measures, start=1):
        for k, name in enumerate(embedders):
            sub = quality[quality["embedder"] == name]
            fig.add_trace(go.Bar(x=sub["dataset"], y=sub[measure], name=name, legendgroup=name, showlegend=j == 1,
                                 marker_color=_CLASS_PALETTE[k % len(_CLASS_PALETTE)],
                                 hovertemplate=f"<b>{name}</b> on %{{x}}<br>{measures[measure]} %{{y:.3f}}"
                                               "<extra></extra>"), row=1, col=j)
    fig.update_layout(template=_TEMPLATE, barmode="group", title_text="Embedding quality on each task",
                      yaxis_title="test accuracy", yaxis_range=[0, 1])
    return fig


def latency_figure(latency: pd.DataFrame, *, x: str = "strategy", log: bool = False,
                   title: str = "Acquisition latency per query") -> go.Figure:
    """Median seconds per query: bars per strategy, or lines against ``x`` (e.g. ``"pool_size"``).

    Parameters
    ----------
    latency : DataFrame
        :func:`almodules.analysis.acquisition_latency` output grouped by ``strategy`` (and ``x``).
    x : str
        ``"strategy"`` for bars; any numeric column for one line per strategy.
    log : bool
        Log-scaled axes (useful for latency against pool size).
    """
    _require(latency, ["strategy", "median_s", x], "latency_figure")
    fig = go.Figure()
    names = _ordered(latency["strategy"])
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
    fig.update_layout(template=_TEMPLATE, title_text=title, xaxis_title=x, yaxis_title="seconds per query")
    if log:
        fig.update_yaxes(type="log")
        if x != "strategy":
            fig.update_xaxes(type="log")
    return fig


def labels_to_target_figure(summary: pd.DataFrame, *, row: str | None = "dataset", col: str | None = "embedder",
                            title: str = "Labels needed to reach a share of the fully supervised accuracy"
                            ) -> go.Figure:
    """Grouped bars: mean labels (± std) to reach each target fraction, one colour per strategy.

    Parameters
    ----------
    summary : DataFrame
        :func:`almodules.analysis.summarise_seeds` of
        :func:`~almodules.analysis.labels_to_target`'s ``labels`` by (facets,) strategy, fraction;
        ``n_seeds`` counts the seeds that reached the target.
    """
    _require(summary, ["strategy", "fraction", "mean", "std", "n_seeds"], "labels_to_target_figure")
    fig, rows, cols = _facet_grid(summary, row, col, x_title="target (share of fully supervised)",
                                  y_title="labels", shared_y=False)
    names = _ordered(summary["strategy"])
    shown: set[str] = set()
    for i, j, panel in _panels(summary, row, col, rows, cols):
        for name in names:
            sub = panel[panel["strategy"] == name].sort_values("fraction")
            if sub.empty:
                continue
            fig.add_trace(go.Bar(
                x=[f"{f:.0%}" for f in sub["fraction"]], y=sub["mean"], error_y=dict(type="data", array=sub["std"]),
                name=name, legendgroup=name, showlegend=name not in shown,
                marker_color=strategy_color(name, names), customdata=sub["n_seeds"],
                hovertemplate=(f"<b>{name}</b>, target %{{x}}<br>%{{y:.0f}} labels "
                               "(seeds reaching it: %{customdata})<extra></extra>")), row=i, col=j)
            shown.add(name)
    fig.update_layout(title_text=title, barmode="group")
    return fig


def projection_figure(points: pd.DataFrame, *, row: str | None = "dataset", col: str | None = "embedder",
                      max_legend: int = 20, title: str = "2-D projection of the embeddings, coloured by class"
                      ) -> go.Figure:
    """Scatter of 2-D embedding coordinates coloured by class, one panel per dataset × embedder.

    Parameters
    ----------
    points : DataFrame
        Columns ``x``, ``y``, ``label`` (class name) plus the facet columns
        (:func:`almodules.diagnostics.projection_2d`).
    max_legend : int
        Hide the class legend beyond this many classes (hover still names the class).
    """
    _require(points, ["x", "y", "label"], "projection_figure")
    fig, rows, cols = _facet_grid(points, row, col, x_title="", y_title="", shared_y=False)
    classes = sorted(points["label"].unique(), key=str)
    color = {c: _CLASS_PALETTE[k % len(_CLASS_PALETTE)] for k, c in enumerate(classes)}
    shown: set[str] = set()
    for i, j, panel in _panels(points, row, col, rows, cols):
        for c in classes:
            sub = panel[panel["label"] == c]
            if sub.empty:
                continue
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


def table_figure(frame: pd.DataFrame, *, title: str = "", formats: Mapping[str, str] | None = None) -> go.Figure:
    """A styled table (used for the paper's MTEB table and summaries).

    Parameters
    ----------
    frame : DataFrame
        Rows to show, in order.
    formats : mapping of column to format spec, optional
        E.g. ``{"mteb": ".2f"}``; other columns are shown as text.
    """
    formats = dict(formats or {})
    cells = [[("" if pd.isna(v) else format(v, formats[c])) if c in formats else ("" if v is None else str(v))
              for v in frame[c]] for c in frame.columns]
    fig = go.Figure(go.Table(
        header=dict(values=[f"<b>{c}</b>" for c in frame.columns], fill_color="#E8EEF7", align="left"),
        cells=dict(values=cells, align="left",
                   fill_color=[["white" if r % 2 == 0 else "#F7F9FC" for r in range(len(frame))]] * len(frame.columns))))
    fig.update_layout(template=_TEMPLATE, title_text=title, height=min(120 + 28 * len(frame), 900),
                      margin=dict(l=10, r=10, t=50 if title else 10, b=10))
    return fig
