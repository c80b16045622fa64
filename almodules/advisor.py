"""The advisor: which initial pool and query strategy to use on a new pool, before labeling anything.

:func:`advise` computes the label-free measures of :mod:`almodules.embedding_measures` on the
user's pool, finds the study's nearest cells in those measures (each standardised over the
study's cells), and recommends the query strategy with the highest mean AUC gain over random there
and the initial pool (TypiClust or random) with the higher mean small-k0 accuracy. It reports the
evidence (the nearest cells and their gains) and its own track record: the leave-one-dataset-out
hit rate and regret of the same rule on the study (:func:`almodules.property_analysis.leave_one_dataset_out`),
next to always choosing Margin, Badge or random, so the user knows how far to trust it.

With ``initial_labels=True`` the advisor also reads what the first labels tell
(:data:`almodules.embedding_properties.INITIAL_LABEL`: the labels of a few random pool points, here the
dataset's own, standing in for the random initial pool the user labels first) and matches cells on
both; its track record is then that rule's.

The study is the claims chapter's (``book/parameters.yaml``, ``06_claims``): its stored runs and its
cached measures. Nothing of the study is computed here; cells whose runs or data are missing are
left out and counted.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from .chapters import claims_plan, embedding_pairs
from .claim_measures import PAPER_STRATEGIES, ips_small_k0, Evidence
from .embedding_properties import (INITIAL_LABEL, LABEL_FREE, embedding_properties, initial_label_steps,
                                   label_free_steps)
from .experiment import load_inputs
from .grid import plan_runs
from .local_datasets import find_dataset
from .local_embedders import find_embedder
from .notebooks import load_book_parameters
from .property_analysis import cell_outcomes, leave_one_dataset_out, nearest_cells
from .store import ResultStore
from .validation import ConfigError, check_int

__all__ = ["MIN_POOL", "Advice", "advise", "study_reference", "print_advice"]

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


def study_reference(*, study: str = "06_claims") -> pd.DataFrame:
    """One row per study cell with stored runs: its label-free measures, outcomes and small-k0 IPS gain."""
    parameters = load_book_parameters()[study]
    pairs = embedding_pairs(parameters.get("datasets", []), parameters.get("embedders", []), parameters.get("cells"))
    keywords = {k: v for k, v in parameters.items() if k in claims_plan.__code__.co_varnames}
    plan = claims_plan(**{"datasets": [], "embedders": [], **keywords})
    store = ResultStore()
    frames = {}
    for part in ("al", "ips"):
        planned = plan_runs(plan[part])
        missing = set(store.missing(p.run_key for p in planned))
        frames[part] = store.load(p.run_key for p in planned if p.run_key not in missing)
    outcomes = cell_outcomes(frames["al"], PAPER_STRATEGIES)
    empty = frames["al"].iloc[:0]
    ips = ips_small_k0(Evidence(empty, frames["ips"], empty, pd.DataFrame())).rename(columns={"value": "ips_gain"})
    properties = pd.concat([embedding_properties(d, e) for d, e in pairs], ignore_index=True)
    return properties.merge(outcomes, on=["dataset", "embedder"]).merge(ips, on=["dataset", "embedder"], how="left")


def advise(dataset: str, embedder: str, *, k: int = 3, initial_labels: bool = False,
           reference: pd.DataFrame | None = None) -> Advice:
    """Recommend an initial pool and a query strategy for ``dataset`` embedded with ``embedder``.

    ``initial_labels``: also match cells on what the labels of a few random pool points tell
    (the dataset's labels stand in for the user's first labels).

    Raises
    ------
    ConfigError
        Unknown names, a pool of fewer than :data:`MIN_POOL` points, or a study without cells.
    """
    k = check_int("k", k, minimum=1)
    if not isinstance(initial_labels, bool):
        raise ConfigError(f"initial_labels must be True or False, got {initial_labels!r}")
    dataset, embedder = find_dataset(dataset), find_embedder(embedder)
    inputs = load_inputs(dataset, embedder)
    X = inputs.train
    if len(X) < MIN_POOL:
        raise ConfigError(f"the pool of {dataset!r} has {len(X)} points; the advisor's measures need at least {MIN_POOL}")
    steps = label_free_steps(X, inputs.n_classes)
    if initial_labels:
        steps.update(initial_label_steps(X, inputs.train_labels, inputs.n_classes))
    columns = [*LABEL_FREE, *(INITIAL_LABEL if initial_labels else ())]
    measures = {name: step() for name, step in steps.items()}
    reference = study_reference() if reference is None else reference
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


def print_advice(dataset: str, embedder: str, *, k: int = 3, initial_labels: bool = False,
                 as_json: bool = False) -> int:
    """``python -m almodules advise``: the advice as text, or as JSON."""
    advice = advise(dataset, embedder, k=k, initial_labels=initial_labels)
    if as_json:
        print(json.dumps(asdict(advice), indent=2, allow_nan=False, default=float))
        return 0
    print(f"{advice.dataset} x {advice.embedder}: measures "
          + ", ".join(f"{m} {v:g}" for m, v in advice.measures.items()))
    print(f"query strategy: {advice.query_strategy} (expected AUC gain over random {advice.expected_gain:+.4f})")
    ips = "n/a" if advice.expected_ips_gain is None else f"{advice.expected_ips_gain:+.4f}"
    print(f"initial pool: {advice.initial_pool} (expected TypiClust - random accuracy at small k0: {ips})")
    print(f"evidence, the {len(advice.nearest)} nearest of {advice.n_study_cells} study cells "
          f"({advice.n_study_datasets} datasets): " + "; ".join(f"{c['dataset']} x {c['embedder']} (top {c['top']})"
                                                               for c in advice.nearest))
    print("track record, leave one dataset out: " + "; ".join(
        f"{r['policy']} hits {r['hit_rate']:.0%}, regret {r['mean_regret']:.4f}" for r in advice.track_record))
    return 0
