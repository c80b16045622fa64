"""Figures: functions that return a plotly go.Figure, and the book's plot style."""

from almodules.figures.plot_style import (BOOK_RENDERER, STRATEGY_COLORS, PALETTE, CLASS_PALETTE, TEMPLATE,
                                          PANEL_HEIGHT, MAX_PANELS, WRAP, setup_plotly_for_book, strategy_color, rgba,
                                          ordered, facet_grid, panel_groups, faceted, dataset_menu, band_lines)
from almodules.figures.study import (learning_curve_figure, difference_curve_figure, auc_figure, ips_curve_figure,
                                     ips_win_figure, win_rate_heatmap, top_frequency_figure, latency_figure,
                                     labels_to_target_figure, table_figure, MAX_TABLE_ROWS, MAX_SIDE_BY_SIDE)
from almodules.figures.claims import VERDICT_COLORS, claims_figure, ips_gap_figure
from almodules.figures.embeddings import MAX_BARS, quality_figure, gain_quality_figure, projection_figure
from almodules.figures.properties import correlation_heatmap, measure_gain_scatter, ladder_figure

__all__ = ['BOOK_RENDERER', 'STRATEGY_COLORS', 'PALETTE', 'CLASS_PALETTE', 'TEMPLATE', 'PANEL_HEIGHT', 'MAX_PANELS',
           'WRAP', 'setup_plotly_for_book', 'strategy_color', 'rgba', 'ordered', 'facet_grid', 'panel_groups',
           'faceted', 'dataset_menu', 'band_lines', 'learning_curve_figure', 'difference_curve_figure', 'auc_figure',
           'ips_curve_figure', 'ips_win_figure', 'win_rate_heatmap', 'top_frequency_figure', 'latency_figure',
           'labels_to_target_figure', 'table_figure', 'MAX_TABLE_ROWS', 'MAX_SIDE_BY_SIDE', 'VERDICT_COLORS',
           'claims_figure', 'ips_gap_figure', 'MAX_BARS', 'quality_figure', 'gain_quality_figure', 'projection_figure',
           'correlation_heatmap', 'measure_gain_scatter', 'ladder_figure']
