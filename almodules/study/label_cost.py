"""Label cost with censoring: how many labels each strategy needs, counting the runs that never get there.

:func:`almodules.study.analysis.labels_to_target` gives, per run, the labels at which the test accuracy
first reaches a share of the fully supervised score, or NaN when the budget runs out first. A mean
over the runs that did reach it flatters a strategy that often fails; here every run counts: the
share of runs that reached the target, and the median labels with a run that did not counted as
"more than the budget" (so the median itself can read "> B"). Budgets differ between datasets, so
the summary is per dataset and embedder, never pooled over datasets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from almodules.core.validation import require_columns

__all__ = ["censored_label_cost"]


def censored_label_cost(labels: pd.DataFrame) -> pd.DataFrame:
    """Per dataset, embedder, strategy and fraction: the share of runs that reached the target and
    the median labels with unreached runs counted above the budget.

    Parameters
    ----------
    labels : DataFrame
        :func:`~almodules.study.analysis.labels_to_target` output.

    Returns
    -------
    DataFrame
        ``dataset``, ``embedder``, ``strategy``, ``fraction``, ``budget``, ``n_runs``, ``share_reached``,
        ``median_labels`` (NaN when the median run did not reach the target) and ``median_text``
        (the median, or ``"> B"``).
    """
    require_columns(labels, ["dataset", "embedder", "strategy", "fraction", "budget", "labels", "reached"],
                    "censored_label_cost")
    rows = []
    for key, grp in labels.groupby(["dataset", "embedder", "strategy", "fraction"], sort=True):
        budget = int(grp["budget"].max())
        censored = np.where(grp["reached"].to_numpy(dtype=bool), grp["labels"].to_numpy(dtype=float), np.inf)
        median = float(np.median(censored))  # inf (or the mean of a value and inf) when half or more failed
        text = f"> {budget}" if not np.isfinite(median) else f"{median:.0f}"
        rows.append((*key, budget, len(grp), float(grp["reached"].mean()),
                     median if np.isfinite(median) else np.nan, text))
    return pd.DataFrame(rows, columns=["dataset", "embedder", "strategy", "fraction", "budget", "n_runs",
                                       "share_reached", "median_labels", "median_text"])
