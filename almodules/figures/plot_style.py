"""The book's plotting style: offline rendering, one colour per strategy, faceted panels.

:func:`setup_plotly_for_book` makes figures render in Jupyter Book 1 after papermill execution;
every notebook of the book calls it first. The helpers below are what every figure of
:mod:`almodules.figures.study` is drawn with: a strategy (or IPS) keeps one colour in every figure
(:func:`strategy_color`), and figures with several panels facet by dataset (rows) and embedder
(columns). A study of many cells would make that grid unreadable (46 cells: 46 tiny panels), so
beyond :data:`MAX_PANELS` panels :func:`faceted` shows one dataset at a time, its embedders as
panels, chosen from a dropdown (:func:`dataset_menu`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.io._base_renderers import HtmlRenderer
from plotly.subplots import make_subplots

from almodules.core.validation import require_columns
from almodules.engine.strategies import STRATEGIES

__all__ = [
    "BOOK_RENDERER", "STRATEGY_COLORS", "PALETTE", "CLASS_PALETTE", "TEMPLATE", "PANEL_HEIGHT", "MAX_PANELS",
    "WRAP", "setup_plotly_for_book", "strategy_color", "rgba", "ordered", "facet_grid", "panel_groups",
    "faceted", "dataset_menu", "MAX_BAND_CURVES", "band_lines",
]

BOOK_RENDERER = "book"

# Random is the baseline of every comparison, hence neutral grey; the rest follow the registry order.
PALETTE = ["#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#BCBD22",
            "#17BECF", "#1B9E77", "#D95F02", "#7570B3", "#E7298A", "#66A61E", "#E6AB02", "#A6761D"]
_EXTRA = ["#393B79", "#AD494A", "#8CA252", "#BD9E39", "#7B4173", "#3182BD", "#E6550D", "#31A354"]
CLASS_PALETTE = PALETTE + _EXTRA

STRATEGY_COLORS: dict[str, str] = {"random": "#7F7F7F", **{
    name: color for name, color in zip([n for n in STRATEGIES if n != "random"], PALETTE)}}
"""One fixed colour per registered strategy; IPS share the colour of the strategy of that name."""

TEMPLATE = "plotly_white"
PANEL_HEIGHT = 300
MAX_PANELS = 16
"""Most panels a faceted figure shows at once; beyond, one dataset at a time (:func:`faceted`)."""
WRAP = 4
"""Panels per row when a single facet column is wrapped."""


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


def rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def ordered(values: pd.Series) -> list:
    """Unique values in registry order for strategies, sorted otherwise."""
    unique = list(pd.unique(values.dropna()))
    known = [n for n in STRATEGY_COLORS if n in unique]
    return known + sorted((v for v in unique if v not in known), key=str)


def facet_grid(frame: pd.DataFrame, row: str | None, col: str | None, *, x_title: str, y_title: str,
               shared_y: bool = True) -> tuple[go.Figure, list[tuple[int, int, pd.DataFrame]]]:
    """An empty subplot grid for ``frame`` and its non-empty panels as ``(row index, column index, rows)``.

    Panels are ``row`` values (grid rows) × ``col`` values (grid columns); with ``row=None`` the
    ``col`` values wrap after :data:`WRAP` panels, so eight embedders make two rows of four.
    """
    rows = sorted(frame[row].unique(), key=str) if row else [None]
    cols = sorted(frame[col].unique(), key=str) if col else [None]
    if row is None and len(cols) > WRAP:
        slots = [(k // WRAP + 1, k % WRAP + 1, None, c) for k, c in enumerate(cols)]
    else:
        slots = [(i, j, r, c) for i, r in enumerate(rows, start=1) for j, c in enumerate(cols, start=1)]
    panels, titles = [], {}
    for i, j, r, c in slots:
        sub = frame
        if row:
            sub = sub[sub[row] == r]
        if col:
            sub = sub[sub[col] == c]
        if not sub.empty:
            panels.append((i, j, sub))
            # Dataset and embedder on two lines, so narrow panels' titles do not run into each
            # other; a single panel is titled too, so every figure says what it shows.
            titles[i, j] = "<br>".join(str(v) for v in (r, c) if v is not None)
    n_rows, n_cols = max(s[0] for s in slots), max(s[1] for s in slots)
    fig = make_subplots(rows=n_rows, cols=n_cols, shared_yaxes=shared_y, horizontal_spacing=0.06,
                        vertical_spacing=min(0.16, 0.36 / n_rows),
                        subplot_titles=[titles.get((i, j), "") for i in range(1, n_rows + 1)
                                        for j in range(1, n_cols + 1)] if any(titles.values()) else None)
    fig.update_annotations(font_size=11)
    fig.update_layout(template=TEMPLATE, height=max(PANEL_HEIGHT * n_rows + 120, 380),
                      legend_title_text="", hovermode="closest")
    for i, j in titles:  # the x title under each panel with no panel below it
        if (i + 1, j) not in titles:
            fig.update_xaxes(title_text=x_title, row=i, col=j)
    for i in range(1, n_rows + 1):  # no empty frames where a dataset lacks an embedder
        for j in range(1, n_cols + 1):
            if (i, j) not in titles:
                fig.update_xaxes(visible=False, row=i, col=j)
                fig.update_yaxes(visible=False, row=i, col=j)
    fig.update_yaxes(title_text=y_title, col=1)
    return fig, panels


def panel_groups(panels: list[tuple[int, int, pd.DataFrame]], key: str,
                 levels: Sequence) -> Iterator[tuple[int, int, object, pd.DataFrame]]:
    """``(row index, column index, level, rows)`` for each level of ``key`` present in each panel."""
    for i, j, panel in panels:
        for level in levels:
            sub = panel[panel[key] == level]
            if not sub.empty:
                yield i, j, level, sub


def faceted(frame: pd.DataFrame, row: str | None, col: str | None,
            build: Callable[[pd.DataFrame, str | None, str | None], go.Figure]) -> go.Figure:
    """``build(frame, row, col)``, or, when that grid would hold more than :data:`MAX_PANELS` panels,
    one ``build(rows of one row value, None, col)`` per ``row`` value behind a dropdown."""
    n_panels = len(frame.groupby([k for k in (row, col) if k], sort=False)) if row or col else 1
    if row is None or n_panels <= MAX_PANELS:
        return build(frame, row, col)
    return dataset_menu({value: build(frame[frame[row] == value], None, col)
                         for value in sorted(frame[row].unique(), key=str)}, label=row)


def dataset_menu(figures: Mapping[object, go.Figure], *, label: str | None = "dataset") -> go.Figure:
    """One figure whose dropdown shows one of ``figures`` at a time (traces, axes, titles, height).

    Each figure keeps its own subplot grid: choosing an entry swaps in its axes, panel titles and
    shapes, so datasets with different numbers of embedders each get their own panels. Entries
    read ``"<label>: <key>"`` (just the key without ``label``).
    """
    items = list(figures.items())
    specs = [fig.layout.to_plotly_json() for _, fig in items]
    axes = sorted({k for spec in specs for k in spec if k.startswith(("xaxis", "yaxis"))})
    out = go.Figure(layout=items[0][1].layout)
    owner, shown = [], []
    for n, (_, fig) in enumerate(items):
        for trace in fig.data:
            owner.append(n)
            shown.append(True if trace.visible is None else trace.visible)  # keeps "legendonly"
            out.add_trace(trace.update(visible=shown[-1] if n == 0 else False))
    buttons = []
    for n, ((name, _), spec) in enumerate(zip(items, specs)):
        layout = {"annotations": spec.get("annotations", []), "shapes": spec.get("shapes", []),
                  "height": spec.get("height"), "title": spec.get("title", {}),
                  **{a: spec.get(a, _hidden_axis(a)) for a in axes}}
        visible = [v if o == n else False for o, v in zip(owner, shown)]
        buttons.append(dict(label=f"{label}: {name}" if label else str(name), method="update",
                            args=[{"visible": visible}, layout]))
    out.update_layout(buttons[0]["args"][1])
    out.update_layout(updatemenus=[dict(type="dropdown", buttons=buttons, direction="down", showactive=True,
                                        x=0, xanchor="left", y=1.0, yanchor="bottom", pad=dict(b=30))],
                      margin=dict(t=140))
    return out


def _hidden_axis(name: str) -> dict:
    """An axis a menu entry does not use: hidden, anchored to its own partner in a corner. (A bare
    ``{"visible": False}`` anchors it to the first subplot, and plotly.js then draws no trace at all.)"""
    number = name[5:]
    partner = ("y" if name.startswith("x") else "x") + number
    return {"visible": False, "anchor": partner, "domain": [0.0, 0.001]}


MAX_BAND_CURVES = 200
"""Above this many curves in one figure, the seed spread is drawn as error bars on each curve, not
as a shaded band: a band is a second trace as large as its curve, and a chapter holding every cell
of the study (a thousand curves and more) must stay a page a browser loads at once."""


def band_lines(frame: pd.DataFrame, *, x: str, color: str, title: str, y_title: str, x_title: str,
                dash: str | None, row: str | None, col: str | None, zero_line: bool = False,
                log_x: bool = False) -> go.Figure:
    """Mean lines with their ±std spread (bands; error bars past :data:`MAX_BAND_CURVES` curves), one
    legend group per (colour, dash) label across panels."""
    require_columns(frame, [x, color, "mean", "std"], title)
    as_bands = len(frame.groupby([k for k in (row, col, color, dash) if k], sort=False)) <= MAX_BAND_CURVES
    return faceted(frame, row, col, lambda f, r, c: _band_lines(
        f, r, c, x=x, color=color, title=title, y_title=y_title, x_title=x_title, dash=dash, zero_line=zero_line,
        log_x=log_x, as_bands=as_bands))


def _compact(values: np.ndarray) -> np.ndarray:
    """Whole numbers as int16 or int32, other numbers as float32 (what a figure needs, in fewer bytes)."""
    values = np.asarray(values)
    if values.dtype.kind in "iu" or (values.dtype.kind == "f" and np.all(np.mod(values, 1) == 0)):
        largest = np.abs(values).max(initial=0)
        if largest < 2**15:
            return values.astype(np.int16)
        if largest < 2**31:
            return values.astype(np.int32)
    return values.astype(np.float32) if values.dtype.kind == "f" else values


def _band_lines(frame: pd.DataFrame, row: str | None, col: str | None, *, x: str, color: str, title: str,
                y_title: str, x_title: str, dash: str | None, zero_line: bool, log_x: bool,
                as_bands: bool) -> go.Figure:
    fig, panels = facet_grid(frame, row, col, x_title=x_title, y_title=y_title)
    labels = ordered(frame[color])
    dashes = ordered(frame[dash]) if dash else [None]
    dash_styles = ["solid", "dash", "dot", "dashdot", "longdash"]
    shown: set[str] = set()
    for i, j, panel in panels:
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
                # float32 (and integer x as int32) travel as typed arrays half the size of float64 ones:
                # a chapter with a thousand curves stays a page a browser loads at once.
                xs = _compact(sub[x].to_numpy())
                mean, std = sub["mean"].to_numpy(np.float32), sub["std"].to_numpy(np.float32)
                if as_bands:
                    fig.add_trace(go.Scatter(
                        x=np.concatenate([xs, xs[::-1]]), y=np.concatenate([mean + std, (mean - std)[::-1]]),
                        fill="toself", fillcolor=rgba(hue, 0.15), line=dict(width=0), hoverinfo="skip",
                        legendgroup=name, showlegend=False, name=name), row=i, col=j)
                fig.add_trace(go.Scatter(
                    x=xs, y=mean, mode="lines+markers", name=name, legendgroup=name,
                    showlegend=name not in shown, line=dict(color=hue, dash=dash_styles[k % len(dash_styles)]),
                    # With bands the hover tells the std; error bars show it themselves, and a copy of it
                    # on each of up to a thousand curves would be a sixth of the page.
                    customdata=std if as_bands else None,
                    error_y=None if as_bands else dict(array=std, color=rgba(hue, 0.35))),
                    row=i, col=j)
                shown.add(name)
    # What every curve shares is said once, in the figure's template, not on each of up to a thousand traces.
    seeds = sorted(frame["n_seeds"].dropna().unique()) if "n_seeds" in frame else []
    seeds_text = f"<br>seeds {seeds[0]:g}" if len(seeds) == 1 else (
        f"<br>seeds {seeds[0]:g}-{seeds[-1]:g}" if seeds else "")
    fig.layout.template.data.scatter = [go.Scatter(
        marker=dict(size=4), error_y=dict(thickness=1, width=0), hovertemplate=(
            f"<b>%{{fullData.name}}</b><br>{x_title} %{{x}}<br>{y_title} %{{y:.4f}}"
            + (" ± %{customdata:.4f}" if as_bands else "") + f"{seeds_text}<extra></extra>"))]
    if zero_line:
        fig.add_hline(y=0, line=dict(color="black", width=1, dash="dot"), row="all", col="all")
    if log_x:  # ticks at the values shown, not plotly's "2 5 100 2 5 1000"
        ticks = sorted(frame[x].dropna().unique())
        fig.update_xaxes(type="log", tickmode="array", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    fig.update_layout(title_text=title)
    return fig
