"""Runs told apart by a strategy parameter in tables and figures."""

import pandas as pd

from almodules.chapters import plans, run_labels


def test_param_labels_and_relabel():
    configs = plans.tyrogue_r_configs("bbc_news", "tfidf-svd", [1, 10], [0])
    labels = run_labels.param_labels(configs, "r")
    assert sorted(labels.values()) == ["tyrogue r=1", "tyrogue r=10"]
    cycles = pd.DataFrame({"config_hash": [configs[0].config_hash, "other"], "strategy": ["tyrogue", "margin"]})
    out = run_labels.relabel(cycles, labels)
    assert list(out["strategy"]) == [labels[configs[0].config_hash], "margin"]
    assert list(cycles["strategy"]) == ["tyrogue", "margin"]  # input untouched
