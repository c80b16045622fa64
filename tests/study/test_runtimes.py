"""Run times against the paper's Table 5, as ratios to Random."""

from __future__ import annotations

import pytest
from synthetic_cycles import run_rows, table

from almodules.study import runtimes


def test_the_papers_table_is_read_in_seconds():
    assert runtimes.PAPER_RUNTIMES["banking77"]["typiclust"] == 55 * 60 + 36
    assert runtimes.PAPER_RUNTIMES["trec6"]["random"] == 39
    assert set(runtimes.PAPER_RUNTIMES) == set(runtimes.PAPER_DATASETS)


def test_ratios_to_random_on_the_same_dataset():
    runs = [run_rows([0.5, 0.6, 0.7], dataset="trec6", embedder="e", strategy=s, seed=seed, select_s=q)
            for s, q in (("random", 0.1), ("badge", 0.4)) for seed in (0, 1)]
    runs.append(run_rows([0.5, 0.6], dataset="bbc_news", embedder="e", strategy="badge"))  # not a paper dataset
    out = runtimes.runtime_table(table(runs)).set_index("strategy")
    assert list(out["dataset"].unique()) == ["trec6"]
    # per run: fits 3 x 0.1, inferences 3 x 0.01, queries 3 x 0.001 + 2 x select_s
    assert out.loc["badge", "ours_vs_random"] == pytest.approx((0.333 + 0.8) / (0.333 + 0.2))
    assert out.loc["badge", "paper_vs_random"] == pytest.approx((4 * 60 + 2) / 39)
    assert out.loc["random", "ours_vs_random"] == 1.0 and out.loc["badge", "n_runs"] == 2
