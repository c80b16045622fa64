"""The advisor: which initial pool and query strategy to use on a new pool, before labeling anything.

:func:`advise_pool` computes the label-free measures of :mod:`almodules.study.embedding_measures` on the
user's pool and compares two answers: the **advisor's** (the policy that nested leave-one-dataset-out
picks on the study, :mod:`almodules.study.advisor_selection`: a fixed rule, the best strategy of the
nearest cells in the measures, or the rule unless those cells expect more than a margin) and the
**best fixed rule** on the study. It recommends the advisor's pick only when its nested
leave-one-dataset-out regret is below the rule's with a paired 95 % interval over held-out datasets
that excludes zero; otherwise it recommends the rule and says why. The study cells of the user's own
dataset are left out, as in the evaluation. The initial pool (TypiClust or random) comes with its own
leave-one-dataset-out record.

With ``initial_labels=True`` the measures include what the first labels tell
(:data:`almodules.study.properties.INITIAL_LABEL`: the dataset's own labels of a few random pool
points stand in for the user's first labels).

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
from almodules.study.claim_measures import PAPER_STRATEGIES, Evidence, small_k0_gain
from almodules.study.properties import (
    INITIAL_LABEL,
    LABEL_FREE,
    embedding_properties,
    initial_label_steps,
    label_free_steps,
)
from almodules.study.advisor_selection import (choose_policy, compare_with_rules, dataset_regrets, ips_record,
                                               nested_evaluation, pick, task_features, with_task_features)
from almodules.study.property_analysis import cell_outcomes, nearest_cells
from almodules.study.verdicts import natural_cells

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
    advisor_pick: str
    advisor_policy: str
    best_rule: str
    follows_advisor: bool
    reason: str
    initial_pool: str
    expected_ips_gain: float | None
    nearest: list
    track_record: list
    ips_track_record: list
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
    ips = small_k0_gain(Evidence(empty, ips_runs, empty, pd.DataFrame())).rename(columns={"value": "ips_gain"})
    properties = pd.concat([embedding_properties(d, e) for d, e in pairs], ignore_index=True)
    return with_task_features(properties.merge(outcomes, on=["dataset", "embedder"])
                              .merge(ips, on=["dataset", "embedder"], how="left"))


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
    if len(X) < max(MIN_POOL, inputs.n_classes):
        raise ConfigError(f"the pool of {dataset!r} has {len(X)} points for {inputs.n_classes} classes; the advisor's "
                          f"measures need at least {max(MIN_POOL, inputs.n_classes)}")
    if np.unique(inputs.train_labels).size < 2:
        raise ConfigError(f"the pool of {dataset!r} holds a single class; there is nothing to choose a strategy for")
    steps = label_free_steps(X, inputs.n_classes)
    if initial_labels:
        steps.update(initial_label_steps(X, inputs.train_labels, inputs.n_classes))
    columns = [*LABEL_FREE, *(INITIAL_LABEL if initial_labels else ())]
    measures = {name: step() for name, step in steps.items()}
    # As in the evaluation: none of this dataset's cells, and no copies of one embedding (the ladder).
    others = natural_cells(reference[reference["dataset"] != dataset])
    if others["dataset"].nunique() < 3:
        raise ConfigError("the advisor needs study cells of at least 3 other datasets "
                          f"(the study has {others['dataset'].nunique()}); compute more: python -m almodules grid --book")
    if embedder not in set(reference["embedder"]):
        note = (f"the study has no runs with embedder {embedder!r}; the advice rests on the cells nearest in the "
                f"measures (embedders {', '.join(sorted(set(reference['embedder'])))})")
    else:
        note = ""
    query = pd.Series({**measures, **task_features(len(X), inputs.n_classes)})
    policy, _ = choose_policy(others, columns, PAPER_STRATEGIES)
    rule = min(PAPER_STRATEGIES, key=lambda s: (nested_rule_regret(others, s), s))
    chosen = pick(policy, query, others, columns, PAPER_STRATEGIES, rule)
    record = compare_with_rules(nested_evaluation(others, columns, PAPER_STRATEGIES))
    versus = record.set_index("policy").loc["best_rule"]
    follows = bool(versus["high"] < 0)
    reason = (f"nested leave-one-dataset-out regret: advisor {record['mean_regret'].iloc[0]:.4f}, best fixed rule "
              f"{versus['mean_regret']:.4f} (difference {versus['advisor_minus_this']:+.4f} "
              f"[{versus['low']:+.4f}, {versus['high']:+.4f}] over {int(versus['n_datasets'])} datasets): "
              + ("the advisor is better" if follows else "the advisor is not shown to be better, so the rule")
              + (f"; {note}" if note else ""))
    near = nearest_cells(others, query, columns, k)
    ips_gain = float(near["ips_gain"].mean()) if "ips_gain" in near else float("nan")
    evidence = near[["dataset", "embedder", "distance", "top"]]
    return Advice(dataset, embedder, {m: round(float(v), 4) for m, v in measures.items()},
                  chosen if follows else rule, chosen, f"{policy[0]} {policy[1]}", rule, follows, reason,
                  "typiclust" if ips_gain > 0 else "random", round(ips_gain, 4) if np.isfinite(ips_gain) else None,
                  evidence.round(4).to_dict("records"), record.round(4).to_dict("records"),
                  ips_record(others, columns, k).round(4).to_dict("records"), len(others), others["dataset"].nunique())


def nested_rule_regret(table: pd.DataFrame, strategy: str) -> float:
    """Mean over datasets of the regret of always choosing ``strategy``."""
    return float(dataset_regrets(table, [strategy] * len(table), PAPER_STRATEGIES).mean())
