"""Advice on a new pool from the book's committed study: ``python -m almodules advise``.

The study is the claims chapter's (``book/parameters.yaml``, ``06_claims``): its stored runs and its
cached measures. Nothing of the study is computed here; cells whose runs or data are missing are
left out and counted. The rule itself is :func:`almodules.study.advisor.advise_pool`.
"""

from __future__ import annotations

import json
from dataclasses import asdict

import pandas as pd

from almodules.chapters.parameters import chapter_configs, load_book_parameters
from almodules.chapters.plans import claims_plan, embedding_pairs
from almodules.results.planning import plan_runs
from almodules.results.store import ResultStore
from almodules.study.advisor import Advice, advise_pool, check_advice_inputs, reference_table
from almodules.study.stopping_evaluation import stop_advice, stored_run_stops

__all__ = ["study_reference", "stop_evidence", "advise", "print_advice"]


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
    return reference_table(frames["al"], frames["ips"], pairs)


def stop_evidence(*, study: str = "09_when_to_stop") -> dict | None:
    """When to stop, from the stopping chapter's stored runs (their signals replayed): the criterion with
    the least regret among those that lose at most 0.01 accuracy (:func:`~almodules.study.stopping_evaluation.stop_advice`)."""
    parameters = load_book_parameters().get(study)
    if not parameters:
        return None
    configs = chapter_configs(study, parameters)
    store = ResultStore()
    planned = plan_runs(configs)
    missing = set(store.missing(p.run_key for p in planned))
    cycles = store.load(p.run_key for p in planned if p.run_key not in missing)
    return stop_advice(stored_run_stops(cycles, store)) if len(cycles) else None


def advise(dataset: str, embedder: str, *, k: int = 3, initial_labels: bool = False,
           reference: pd.DataFrame | None = None) -> Advice:
    """:func:`~almodules.study.advisor.advise_pool` against the book's study (or ``reference``)."""
    check_advice_inputs(dataset, embedder, k, initial_labels)  # before the study is read
    return advise_pool(dataset, embedder, study_reference() if reference is None else reference, k=k,
                       initial_labels=initial_labels)


def print_advice(dataset: str, embedder: str, *, k: int = 3, initial_labels: bool = False,
                 as_json: bool = False) -> int:
    """``python -m almodules advise``: the advice as text, or as JSON."""
    advice = advise(dataset, embedder, k=k, initial_labels=initial_labels)
    stop = stop_evidence()
    if as_json:
        print(json.dumps({**asdict(advice), "stop": stop}, indent=2, allow_nan=False, default=float))
        return 0
    print(f"{advice.dataset} x {advice.embedder}: measures "
          + ", ".join(f"{m} {v:g}" for m, v in advice.measures.items()))
    print(f"query strategy: {advice.query_strategy} ("
          + ("the advisor's pick" if advice.follows_advisor else
             f"the best fixed rule; the advisor ({advice.advisor_policy}) would pick {advice.advisor_pick}") + ")")
    print(f"  why: {advice.reason}")
    ips = "n/a" if advice.expected_ips_gain is None else f"{advice.expected_ips_gain:+.4f}"
    print(f"initial pool: {advice.initial_pool} (nearest cells' TypiClust - random accuracy at small k0: {ips}); "
          "its record, leave one dataset out: " + "; ".join(
              f"{r['policy']} regret {r['mean_regret']:.4f}" for r in advice.ips_track_record))
    print(f"evidence, the {len(advice.nearest)} nearest of {advice.n_study_cells} study cells "
          f"({advice.n_study_datasets} datasets): " + "; ".join(f"{c['dataset']} x {c['embedder']} (top {c['top']})"
                                                               for c in advice.nearest))
    print("track record, nested leave one dataset out (mean regret, advisor minus policy): " + "; ".join(
        f"{r['policy']} {r['mean_regret']:.4f} ({r['advisor_minus_this']:+.4f})" for r in advice.track_record))
    if stop is not None:
        print(f"stop when: {stop['criterion']} fires (label with --stop {stop['criterion']}); on the study it saved "
              f"{stop['labels_saved']:.0%} of the budget for {stop['accuracy_lost']:.3f} accuracy (means over "
              f"{stop['n_datasets']} datasets, chapter 9)")
    else:
        print("stop when: no stopping criterion has evidence here yet (chapter 9's runs are not in the store)")
    return 0
