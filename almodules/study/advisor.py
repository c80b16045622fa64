"""The advisor: which initial pool and query strategy to use on a new pool, before labeling anything.

:func:`advise_pool` computes the label-free measures of :mod:`almodules.study.embedding_measures` on the
user's pool, finds the study's nearest cells in those measures (each standardised over the
study's cells), and recommends the query strategy with the highest mean AUC gain over random there
and the initial pool (TypiClust or random) with the higher mean small-k0 accuracy. It reports the
evidence (the nearest cells and their gains) and its own track record: the leave-one-dataset-out
hit rate and regret of the same rule on the study (:func:`almodules.study.property_analysis.leave_one_dataset_out`),
next to always choosing Margin, Badge or random, so the user knows how far to trust it.

With ``initial_labels=True`` the advisor also reads what the first labels tell
(:data:`almodules.study.properties.INITIAL_LABEL`: the labels of a few random pool points, here the
dataset's own, standing in for the random initial pool the user labels first) and matches cells on
both; its track record is then that rule's.

The reference is a table of study cells (:func:`reference_table`);
:mod:`almodules.chapters.advice` builds it from the book's committed study.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from almodules.core.validation import ConfigError, check_choice, check_int
from almodules.datasets.local import find_dataset
from almodules.datasets.registry import DATASETS
from almodules.embeddings.local import find_embedder
from almodules.embeddings.registry import EMBEDDERS
from almodules.engine.experiment import load_inputs
from almodules.study.claim_measures import PAPER_STRATEGIES, Evidence, ips_small_k0
from almodules.study.properties import (
    INITIAL_LABEL,
    LABEL_FREE,
    embedding_properties,
    initial_label_steps,
    label_free_steps,
)
from almodules.study.property_analysis import cell_outcomes, leave_one_dataset_out, nearest_cells

__all__ = ["MIN_POOL", "Advice", "check_advice_inputs", "reference_table", "advise_pool"]

MIN_POOL = 50
"""Fewest pool points the measures are computed on (below, TwoNN and the silhouette are noise)."""


@dataclass(frozen=True)
class Advice:
    """A recommendation with its evidence and the advisor's own leave-one-dataset-out record."""

    dataset: str
    embedder: str
    measures: dict
    query_strategy: str
    expected_gain: float
    initial_pool: str
    expected_ips_gain: float
    nearest: list
    track_record: list
    n_study_cells: int
    n_study_datasets: int


def reference_table(al_runs: pd.DataFrame, ips_runs: pd.DataFrame, pairs: list[tuple[str, str]]) -> pd.DataFrame:
    """One row per study cell: its label-free measures, outcomes and small-k0 IPS gain.

    ``al_runs`` and ``ips_runs`` are the stored runs of the study's AL and IPS parts, ``pairs`` its
    (dataset, embedder) cells; the measures come from the per-cell cache.
    """
    if al_runs.empty:
        raise ConfigError("the study has no stored runs to compare with (compute them: python -m almodules grid --book)")
    outcomes = cell_outcomes(al_runs, PAPER_STRATEGIES)
    empty = al_runs.iloc[:0]
    ips = ips_small_k0(Evidence(empty, ips_runs, empty, pd.DataFrame())).rename(columns={"value": "ips_gain"})
    properties = pd.concat([embedding_properties(d, e) for d, e in pairs], ignore_index=True)
    return properties.merge(outcomes, on=["dataset", "embedder"]).merge(ips, on=["dataset", "embedder"], how="left")


def check_advice_inputs(dataset: str, embedder: str, k: int, initial_labels: bool) -> tuple[str, str, int]:
    """The registry names of ``dataset`` and ``embedder`` and ``k``, checked before any work."""
    k = check_int("k", k, minimum=1)
    if not isinstance(initial_labels, bool):
        raise ConfigError(f"initial_labels must be True or False, got {initial_labels!r}")
    dataset, embedder = find_dataset(dataset), find_embedder(embedder)
    return check_choice("dataset", dataset, DATASETS), check_choice("embedder", embedder, EMBEDDERS), k


def advise_pool(dataset: str, embedder: str, reference: pd.DataFrame, *, k: int = 3,
                initial_labels: bool = False) -> Advice:
    """Recommend an initial pool and a query strategy for ``dataset`` embedded with ``embedder``.

    ``reference``: the study cells to match, as :func:`reference_table` builds them.

    ``initial_labels``: also match cells on what the labels of a few random pool points tell
    (the dataset's labels stand in for the user's first labels).

    Raises
    ------
    ConfigError
        Unknown names, a pool of fewer than :data:`MIN_POOL` points, or a study without cells.
    """
    dataset, embedder, k = check_advice_inputs(dataset, embedder, k, initial_labels)
    inputs = load_inputs(dataset, embedder)
    X = inputs.train
    if len(X) < MIN_POOL:
        raise ConfigError(f"the pool of {dataset!r} has {len(X)} points; the advisor's measures need at least {MIN_POOL}")
    steps = label_free_steps(X, inputs.n_classes)
    if initial_labels:
        steps.update(initial_label_steps(X, inputs.train_labels, inputs.n_classes))
    columns = [*LABEL_FREE, *(INITIAL_LABEL if initial_labels else ())]
    measures = {name: step() for name, step in steps.items()}
    others = reference[~((reference["dataset"] == dataset) & (reference["embedder"] == embedder))]
    if others.empty:
        raise ConfigError("the study has no computed cells to compare with (python -m almodules grid --book)")
    near = nearest_cells(others, pd.Series(measures), columns, k)
    gains = {s: float(near[f"gain_{s}"].mean()) for s in PAPER_STRATEGIES if s != "random"}
    best = max(gains, key=gains.get)
    strategy, gain = (best, gains[best]) if gains[best] > 0 else ("random", 0.0)
    ips_gain = float(near["ips_gain"].mean()) if "ips_gain" in near else float("nan")
    record = leave_one_dataset_out(others, columns, PAPER_STRATEGIES, k=k)
    evidence = near[["dataset", "embedder", "distance", "top"] + [f"gain_{s}" for s in (strategy,) if s != "random"]]
    return Advice(dataset, embedder, {m: round(float(v), 4) for m, v in measures.items()}, strategy, round(gain, 4),
                  "typiclust" if ips_gain > 0 else "random", round(ips_gain, 4) if np.isfinite(ips_gain) else None,
                  evidence.round(4).to_dict("records"), record.round(4).to_dict("records"), len(others),
                  others["dataset"].nunique())
