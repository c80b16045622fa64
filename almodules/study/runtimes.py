"""Run times of the query strategies: this study's against the paper's Table 5, as ratios to Random.

Rauch et al. (2025), Table 5, report the mean run time of one AL run per strategy and dataset (random
initial pool, over all their embedding models). Their absolute times (7B embeddings, their hardware)
and ours (a 2-core CPU, runs computed two at a time) cannot be compared; each strategy's time over
Random's on the same dataset can: it says what a strategy costs beyond retraining the probe.
"""

from __future__ import annotations

import pandas as pd

from almodules.core.validation import require_columns

__all__ = ["PAPER_DATASETS", "PAPER_RUNTIMES", "runtime_table"]

PAPER_DATASETS: dict[str, str] = {"ag_news_10k": "AGNews", "banking77": "Banks77", "fnc1_10k": "FNC1",
                                  "sst2_10k": "SST2", "trec6": "TREC6"}
"""This study's datasets that are (subsets of) the paper's, with the paper's name."""

_TABLE5 = {  # mm:ss, the paper's Table 5, in the order of PAPER_DATASETS
    "coreset": ("02:17", "15:25", "08:21", "01:17", "02:09"),
    "badge": ("04:43", "22:50", "20:16", "01:36", "04:02"),
    "random": ("00:44", "08:07", "03:19", "00:25", "00:39"),
    "dropquery": ("06:20", "23:08", "13:06", "05:33", "03:48"),
    "entropy": ("01:16", "18:19", "07:04", "00:30", "00:11"),
    "typiclust": ("22:57", "55:36", "32:34", "11:47", "10:58"),
    "probcover": ("03:16", "16:19", "09:35", "02:20", "01:31"),
    "margin": ("02:09", "08:35", "04:13", "01:04", "02:10"),
}


def _seconds(mmss: str) -> float:
    minutes, seconds = mmss.split(":")
    return 60.0 * int(minutes) + int(seconds)


PAPER_RUNTIMES: dict[str, dict[str, float]] = {
    dataset: {strategy: _seconds(times[i]) for strategy, times in _TABLE5.items()}
    for i, dataset in enumerate(PAPER_DATASETS)}
"""Per dataset (this study's name) and strategy: the paper's mean seconds per AL run (Table 5)."""


def runtime_table(al_cycles: pd.DataFrame) -> pd.DataFrame:
    """Per dataset in :data:`PAPER_DATASETS` and paper strategy: the run time over Random's, the
    paper's and this study's (a run's time: its probe fits, pool inferences and queries, summed; mean
    over the runs from a random initial pool).

    Returns
    -------
    DataFrame
        ``dataset``, ``paper_name``, ``strategy``, ``paper_vs_random``, ``ours_vs_random``, ``n_runs``;
        empty without runs of a paper dataset and its Random.
    """
    require_columns(al_cycles, ["dataset", "ips", "strategy", "config_hash", "fit_s", "infer_s", "select_s"],
                    "runtime_table")
    runs = al_cycles[(al_cycles["ips"] == "random") & al_cycles["dataset"].isin(PAPER_DATASETS)]
    seconds = (runs.assign(total=runs["fit_s"] + runs["infer_s"] + runs["select_s"])
               .groupby(["dataset", "strategy", "config_hash"])["total"].sum().groupby(["dataset", "strategy"])
               .agg(["mean", "size"]))
    rows = []
    for (dataset, strategy), (mean, size) in seconds.iterrows():
        paper = PAPER_RUNTIMES[dataset]
        if strategy not in paper or (dataset, "random") not in seconds.index:
            continue
        rows.append({"dataset": dataset, "paper_name": PAPER_DATASETS[dataset], "strategy": strategy,
                     "paper_vs_random": paper[strategy] / paper["random"],
                     "ours_vs_random": mean / seconds.loc[(dataset, "random"), "mean"], "n_runs": int(size)})
    return pd.DataFrame(rows, columns=["dataset", "paper_name", "strategy", "paper_vs_random", "ours_vs_random",
                                       "n_runs"])
