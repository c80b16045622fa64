"""almodules.figures.study: each function returns a figure that shows what it promises."""

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from plotly.utils import PlotlyJSONEncoder
from synthetic_cycles import random_grid, run_rows, table

from almodules.figures import embeddings as embedding_figures
from almodules.figures import plot_style
from almodules.figures import study as figures
from almodules.study import analysis, rankings


@pytest.fixture(scope="module")
def grid():
    return random_grid()


def _legend_names(fig):
    return [t.name for t in fig.data if t.showlegend is not False]


def test_setup_plotly_for_book_registers_an_html_renderer_without_plotlyjs():
    before = pio.renderers.default
    try:
        plot_style.setup_plotly_for_book()
        assert pio.renderers.default == "plotly_mimetype+book"
        bundle = pio.renderers._build_mime_bundle(go.Figure(go.Scatter(x=[1], y=[1])).to_dict(),
                                                  renderers_string="plotly_mimetype+book")
        assert "application/vnd.plotly.v1+json" in bundle
        html = bundle["text/html"]
        assert "Plotly.newPlot" in html and len(html) < 100_000  # plotly.js itself is not inlined
        assert "mathjax" not in html.lower()  # no CDN request: the book is read offline
    finally:
        pio.renderers.default = before


def test_strategy_colors_are_fixed_distinct_and_random_is_grey():
    colors = plot_style.STRATEGY_COLORS
    assert colors["random"] == "#7F7F7F"
    assert len(set(colors.values())) == len(colors)
    assert plot_style.strategy_color("badge") == colors["badge"]
    others = ["tyrogue r=1", "tyrogue r=3", "badge"]
    assert plot_style.strategy_color("tyrogue r=1", others) != plot_style.strategy_color("tyrogue r=3", others)


def test_learning_curve_figure_has_bands_panels_and_one_legend_entry_per_strategy(grid):
    curves = analysis.learning_curves(grid[grid["ips"] == "random"])
    fig = figures.learning_curve_figure(curves)
    assert isinstance(fig, go.Figure)
    assert sorted(_legend_names(fig)) == ["badge", "margin", "random"]
    # 4 panels x 3 strategies x (band + line)
    assert len(fig.data) == 24
    bands = [t for t in fig.data if t.fill == "toself"]
    assert len(bands) == 12 and all(t.hoverinfo == "skip" for t in bands)
    # the same strategy shares its legend group (one click toggles every panel) and its colour
    margin = [t for t in fig.data if t.name == "margin" and t.mode]
    assert len({t.legendgroup for t in margin}) == 1 and len({t.line.color for t in margin}) == 1
    assert len(fig.layout.annotations) == 4  # panel titles


def test_past_many_curves_the_seed_spread_becomes_error_bars(grid, monkeypatch):
    curves = analysis.learning_curves(grid[grid["ips"] == "random"])
    with_bands = json.dumps([t.to_plotly_json() for t in figures.learning_curve_figure(curves).data], cls=PlotlyJSONEncoder)
    monkeypatch.setattr(plot_style, "MAX_BAND_CURVES", 11)  # the figure holds 12 curves
    fig = figures.learning_curve_figure(curves)
    assert len(fig.data) == 12 and not any(t.fill == "toself" for t in fig.data)
    # the bars carry the std; no second copy of it rides on each curve for the hover
    assert all(len(t.error_y.array) == len(t.y) and t.customdata is None for t in fig.data)
    assert "customdata" not in fig.layout.template.data.scatter[0].hovertemplate
    assert len(json.dumps([t.to_plotly_json() for t in fig.data], cls=PlotlyJSONEncoder)) < 0.6 * len(with_bands)  # the traces, which grow with the cells


def test_learning_curve_figure_distinguishes_ips_by_line_style(grid):
    fig = figures.learning_curve_figure(analysis.learning_curves(grid[grid["dataset"] == "d1"]))
    dashes = {t.line.dash for t in fig.data if t.mode}
    assert dashes == {"solid", "dash"}
    assert "badge (ips random)" in _legend_names(fig)


def test_difference_curve_figure_has_zero_line(grid):
    fig = figures.difference_curve_figure(analysis.ips_difference_curves(grid))
    assert any(s.type == "line" and s.y0 == 0 for s in fig.layout.shapes)


def test_win_rate_heatmap_shows_values_in_cells_and_hover(grid):
    m = rankings.win_rate_matrix(rankings.win_rates(grid[grid["ips"] == "random"]))
    fig = figures.win_rate_heatmap({"random IPS": m, "typiclust IPS": m})
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert len(heat) == 2
    assert "%{z" in heat[0].hovertemplate and "beats" in heat[0].hovertemplate
    assert heat[0].zmin == 0 and heat[0].zmax == 1
    np.testing.assert_allclose(np.asarray(heat[0].z, dtype=float), m.to_numpy(), equal_nan=True)
    assert heat[0].text[0][0] == ""  # diagonal left blank


def test_ips_figures(grid):
    runs = [run_rows([a], ips=i, k0=k, seed=s) for i, k, s, a in
            [("random", 10, 0, 0.5), ("typiclust", 10, 0, 0.6), ("random", 50, 0, 0.7), ("typiclust", 50, 0, 0.65)]]
    cycles = table(runs)
    fig = figures.ips_curve_figure(rankings.ips_accuracy(cycles))
    assert fig.layout.xaxis.type == "log"
    bars = figures.ips_win_figure(rankings.ips_win_frequency(cycles))
    assert [t.name for t in bars.data] == ["random", "typiclust"]
    assert list(bars.data[1].y) == [1.0, 0.0]


def test_top_frequency_figure_stacks_to_one(grid):
    freq = rankings.top_strategy_frequency(grid, by=("embedder",))
    fig = figures.top_frequency_figure(freq, "embedder")
    total = sum(np.asarray(t.y, dtype=float) for t in fig.data)
    np.testing.assert_allclose(total, 1.0)


def test_auc_gain_latency_and_label_figures(grid):
    auc = analysis.summarise_seeds(analysis.area_under_curve(grid), "auc", [*analysis.SETTING, "ips", "strategy"])
    assert len(figures.auc_figure(auc).data) == 8  # 4 panels x 2 IPS
    gains = analysis.al_gain(grid)
    quality = pd.DataFrame({"dataset": ["d1", "d1", "d2", "d2"], "embedder": ["e1", "e2", "e1", "e2"],
                            "probe_accuracy": [0.6, 0.7, 0.8, 0.9]})
    fig = embedding_figures.gain_quality_figure(gains[gains["ips"] == "random"].merge(quality), "probe_accuracy")
    assert [t.name for t in fig.data] == ["margin", "badge"]
    lat = analysis.acquisition_latency(grid, by=("strategy",))
    assert figures.latency_figure(lat).data[0].type == "bar"
    lat_pool = analysis.acquisition_latency(grid.assign(pool_size=100), by=("pool_size", "strategy"))
    assert figures.latency_figure(lat_pool, x="pool_size", log=True).layout.xaxis.type == "log"
    ref = pd.DataFrame({"dataset": ["d1", "d2"], "embedder": ["e1", "e1"], "accuracy": [0.9, 0.9]})
    sub = grid[grid["embedder"] == "e1"]
    labels = analysis.labels_to_target(sub, ref)
    summary = analysis.summarise_seeds(labels, "labels", ["dataset", "embedder", "strategy", "fraction"])
    fig = figures.labels_to_target_figure(summary)
    assert {t.name for t in fig.data} == {"random", "margin", "badge"}


def test_projection_and_table_figures():
    points = pd.DataFrame({"x": [0, 1, 2, 3.0], "y": [1, 0, 1, 0.0], "label": ["a", "b", "a", "b"],
                           "dataset": "d", "embedder": ["e1", "e1", "e2", "e2"]})
    fig = embedding_figures.projection_figure(points)
    assert len(fig.data) == 4 and _legend_names(fig) == ["a", "b"]
    table_fig = figures.table_figure(pd.DataFrame({"model": ["m1", "m2"], "mteb": [72.314, None]}),
                                     formats={"mteb": ".2f"})
    assert list(table_fig.data[0].cells.values[1]) == ["72.31", ""]


def test_figures_reject_tables_without_required_columns():
    with pytest.raises(ValueError, match="mean"):
        figures.learning_curve_figure(pd.DataFrame({"strategy": ["a"], "n_labeled": [1]}))


def test_quality_figure_has_one_panel_per_measure_and_a_colour_per_embedder():
    quality = pd.DataFrame({"dataset": ["a", "a", "b", "b"], "embedder": ["e1", "e2", "e1", "e2"],
                            "probe_accuracy": [0.9, 0.8, 0.7, 0.6], "knn_accuracy": [0.8, 0.7, 0.6, 0.5]})
    fig = embedding_figures.quality_figure(quality)
    assert len(fig.data) == 4 and _legend_names(fig) == ["e1", "e2"]
    assert fig.data[0].marker.color != fig.data[1].marker.color
    assert fig.data[0].marker.color == fig.data[2].marker.color


def test_property_figures_render_from_their_tables():
    from almodules.figures import properties as property_figures

    corr = pd.DataFrame({"measure": ["a", "a", "b", "b"], "outcome": ["x", "y", "x", "y"],
                         "spearman": [0.5, -0.2, np.nan, 0.1], "low": [0.1, -0.6, np.nan, -0.3],
                         "high": [0.8, 0.3, np.nan, 0.5]})
    heat = property_figures.correlation_heatmap(corr)
    assert list(heat.data[0].y) == ["a", "b"] and list(heat.data[0].x) == ["x", "y"]
    cells = pd.DataFrame({"dataset": ["d", "d", "d"], "embedder": ["e", "e+pca8", "e+noise0.5"],
                          "q": [0.9, 0.7, 0.8], "gain_badge": [0.02, 0.0, 0.01], "gain_margin": [0.01, 0.02, 0.0]})
    scatter = property_figures.measure_gain_scatter(cells, "q", ["badge", "margin"])
    assert [t.name for t in scatter.data] == ["badge", "margin"]
    ladder = property_figures.ladder_figure(cells, "q", "gain_badge", base_of={e: "e" for e in cells["embedder"]})
    assert list(ladder.data[0].x) == [0.7, 0.8, 0.9]  # joined in quality order


def _curves(datasets: int, embedders: int) -> pd.DataFrame:
    return pd.DataFrame([{"dataset": f"d{d}", "embedder": f"e{e}", "strategy": s, "n_labeled": n, "mean": 0.5,
                          "std": 0.1, "n_seeds": 3}
                         for d in range(datasets) for e in range(embedders - d % 2) for s in ("random", "badge")
                         for n in (10, 20)])


def test_many_cells_show_one_dataset_at_a_time_from_a_dropdown():
    fig = figures.learning_curve_figure(_curves(6, 4))  # 21 panels: more than MAX_PANELS
    (menu,) = fig.layout.updatemenus
    assert [b.label for b in menu.buttons] == [f"dataset: d{d}" for d in range(6)]
    per_dataset = [4 if d % 2 == 0 else 3 for d in range(6)]
    assert len(fig.data) == sum(per_dataset) * 2 * 2  # panels x strategies x (band + line)
    for d, button in enumerate(menu.buttons):
        visible, layout = button.args
        start = sum(per_dataset[:d]) * 4
        shown = [k for k, v in enumerate(visible["visible"]) if v]
        assert shown == list(range(start, start + per_dataset[d] * 4))  # exactly that dataset's traces
        titles = [a["text"] for a in layout["annotations"]]
        assert titles == [f"e{e}" for e in range(per_dataset[d])]  # its embedders are the panels
    assert [bool(t.visible) for t in fig.data] == menu.buttons[0].args[0]["visible"]  # opens on the first


def test_few_cells_stay_one_grid_and_a_long_facet_row_wraps():
    fig = figures.learning_curve_figure(_curves(2, 4))
    assert not fig.layout.updatemenus and len(fig.layout.annotations) == 7
    one = _curves(1, 8).assign(dataset=None)
    wrapped = figures.learning_curve_figure(one, row=None)
    axes = {t.xaxis for t in wrapped.data}
    assert len(axes) == 8 and wrapped.layout.height == 2 * plot_style.PANEL_HEIGHT + 120  # two rows of four


def test_many_win_rate_heatmaps_are_one_at_a_time():
    m = pd.DataFrame([[np.nan, 0.6], [0.4, np.nan]], index=["a", "b"], columns=["a", "b"])
    assert not figures.win_rate_heatmap({"x": m, "y": m}).layout.updatemenus  # side by side
    fig = figures.win_rate_heatmap({f"e{k}": m for k in range(5)}, title="T")
    (menu,) = fig.layout.updatemenus
    assert [b.label for b in menu.buttons] == [f"e{k}" for k in range(5)]
    assert menu.buttons[3].args[1]["title"]["text"] == "T: e3"
    assert [t.visible for t in fig.data] == [True, False, False, False, False]


def test_a_long_table_over_datasets_is_one_dataset_at_a_time():
    frame = pd.DataFrame({"dataset": np.repeat(["a", "b", "c"], 20), "value": np.arange(60.0)})
    fig = figures.table_figure(frame, formats={"value": ".1f"})
    (menu,) = fig.layout.updatemenus
    assert [b.label for b in menu.buttons] == ["dataset: a", "dataset: b", "dataset: c"]
    assert list(fig.data[1].cells.values[1]) == [f"{v:.1f}" for v in range(20, 40)]
    assert not figures.table_figure(frame.head(40)).layout.updatemenus


def test_axes_a_dataset_lacks_are_hidden_on_their_own_anchor():
    # a hidden axis anchored to the first subplot (plotly's default) stops plotly.js drawing any line
    fig = figures.learning_curve_figure(_curves(4, 5).pipe(lambda f: pd.concat(
        [f, _curves(1, 11).assign(dataset="z")])))
    first_layout = fig.layout.updatemenus[0].buttons[0].args[1]
    assert first_layout["xaxis12"] == {"visible": False, "anchor": "y12", "domain": [0.0, 0.001]}
    assert first_layout["yaxis9"]["anchor"] == "x9"
    assert not fig.layout.xaxis6.visible  # an empty slot of the grid is not framed
