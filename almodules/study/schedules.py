"""A schedule of query strategies by AL cycle, chosen on training datasets and run for real on a held-out one.

The study's top strategy moves with the cycle (diversity early, uncertainty late; chapter 4). A
*schedule* (the ``schedule`` strategy, :data:`~almodules.engine.strategies.SCHEDULE_PHASES`) uses up to
three strategies in consecutive phases. :func:`choose_schedule` picks the phases that minimise the
per-cycle regret on the training runs: at each cycle, a cell's best mean accuracy (over seeds) minus
the strategy's, averaged over the cells of each dataset and then over datasets, summed over the
cycles of each phase (an exact search over every split into at most three phases). The regret of
stitched curves only guides the choice: a schedule changes which points get labeled, so its worth is
measured by running it (:func:`held_out_schedule_configs`: each dataset's schedule is chosen on the
other datasets only, the nested leave-one-dataset-out of chapter 7).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from almodules.core.validation import ConfigError, require_columns
from almodules.engine.config import RunConfig
from almodules.engine.strategies import SCHEDULE_PHASES
from almodules.results.planning import with_protocol

__all__ = ["SCHEDULE_PHASES", "MAX_PHASES", "cycle_regrets", "choose_schedule", "describe_schedule", "held_out_schedules",
           "held_out_schedule_configs"]

MAX_PHASES = 3
"""Phases a schedule may have (the ``schedule`` strategy's ``first``, ``second`` and ``third``)."""


def cycle_regrets(al_cycles: pd.DataFrame, strategies: Sequence[str] = SCHEDULE_PHASES) -> pd.DataFrame:
    """Per query cycle and strategy: the mean over datasets (of the mean over their cells) of the cell's
    best mean accuracy among ``strategies`` minus the strategy's (random initial pools only).

    Returns
    -------
    DataFrame
        One row per cycle (``1 ...``), one column per strategy present.
    """
    require_columns(al_cycles, ["dataset", "embedder", "ips", "strategy", "seed", "cycle", "accuracy"], "cycle_regrets")
    runs = al_cycles[(al_cycles["ips"] == "random") & al_cycles["strategy"].isin(strategies) & (al_cycles["cycle"] >= 1)]
    if runs.empty:
        raise ConfigError(f"cycle_regrets: no AL runs from a random initial pool of {', '.join(strategies)}")
    mean = runs.groupby(["dataset", "embedder", "cycle", "strategy"])["accuracy"].mean().unstack("strategy")
    regret = (-mean).add(mean.max(axis=1), axis=0)
    return regret.groupby(["dataset", "cycle"]).mean().groupby("cycle").mean()


def choose_schedule(al_cycles: pd.DataFrame, strategies: Sequence[str] = SCHEDULE_PHASES) -> dict[str, Any]:
    """The schedule of at most :data:`MAX_PHASES` phases with the least summed per-cycle regret.

    Returns
    -------
    dict
        The ``schedule`` strategy's parameters (``first``, ``second``, ``third``, ``first_cycles``,
        ``second_cycles``); a schedule of fewer phases repeats its last strategy. Ties go to fewer
        phases, then to the earlier strategy in ``strategies``.
    """
    regret = cycle_regrets(al_cycles, strategies)
    names = [s for s in strategies if s in regret.columns]
    cost = regret[names].to_numpy(float)
    cost = np.where(np.isfinite(cost), cost, np.nanmax(cost[np.isfinite(cost)]) if np.isfinite(cost).any() else 0.0)
    prefix = np.vstack([np.zeros(len(names)), np.cumsum(cost, axis=0)])
    n = len(cost)

    def phase(a: int, b: int) -> tuple[float, int]:  # best strategy for cycles a..b-1 (0-based rows)
        sums = prefix[b] - prefix[a]
        j = int(np.argmin(sums))
        return float(sums[j]), j

    best = None
    for cuts in itertools.chain([()], *(itertools.combinations(range(1, n), k) for k in range(1, MAX_PHASES))):
        bounds = (0, *cuts, n)
        parts = [phase(a, b) for a, b in zip(bounds, bounds[1:])]
        key = (round(sum(c for c, _ in parts), 12), len(parts))
        if best is None or key < best[0]:
            best = (key, bounds, [names[j] for _, j in parts])
    _, bounds, picks = best
    picks = picks + [picks[-1]] * (MAX_PHASES - len(picks))
    lengths = [b - a for a, b in zip(bounds, bounds[1:])] + [0] * (MAX_PHASES - len(bounds) + 1)
    return {"first": picks[0], "second": picks[1], "third": picks[2], "first_cycles": int(lengths[0]),
            "second_cycles": int(lengths[1])}


def describe_schedule(params: Mapping[str, Any]) -> str:
    """``typiclust (cycles 1-2), dropquery (3-10), margin (11-)`` from a schedule's parameters."""
    a, b = int(params["first_cycles"]), int(params["second_cycles"])
    parts = [(params["first"], 1, a), (params["second"], a + 1, a + b), (params["third"], a + b + 1, None)]
    shown = [(s, lo, hi) for s, lo, hi in parts if hi is None or hi >= lo]
    merged: list[list] = []
    for s, lo, hi in shown:
        if merged and merged[-1][0] == s:
            merged[-1][2] = hi
        else:
            merged.append([s, lo, hi])
    return ", ".join(f"{s} (cycles {lo}-{'' if hi is None else hi})" for s, lo, hi in merged)


def held_out_schedules(al_cycles: pd.DataFrame, strategies: Sequence[str] = SCHEDULE_PHASES) -> dict[str, dict]:
    """Per dataset: the schedule chosen on the AL runs of every other dataset (never its own)."""
    datasets = sorted(al_cycles["dataset"].unique())
    if len(datasets) < 2:
        raise ConfigError(f"held-out schedules need AL runs of at least 2 datasets, got {len(datasets)}")
    return {d: choose_schedule(al_cycles[al_cycles["dataset"] != d], strategies) for d in datasets}


def held_out_schedule_configs(al_cycles: pd.DataFrame, seeds: Sequence[int], *,
                              strategies: Sequence[str] = SCHEDULE_PHASES, protocol: Any = None) -> list[RunConfig]:
    """The ``schedule`` runs of the nested comparison: every cell of ``al_cycles`` with its dataset's
    held-out schedule, from a random initial pool, with the cell's own budget, k0, cycles and pool."""
    schedules = held_out_schedules(al_cycles, strategies)
    settings = al_cycles[al_cycles["ips"] == "random"][["dataset", "embedder", "k0", "budget", "cycles", "pool_size"]]
    configs = []
    for row in settings.drop_duplicates(["dataset", "embedder"]).itertuples(index=False):
        pool = None if pd.isna(row.pool_size) else int(row.pool_size)
        configs += [RunConfig.create(dataset=row.dataset, embedder=row.embedder, ips="random", strategy="schedule",
                                     seed=int(seed), k0=int(row.k0), budget=int(row.budget), cycles=int(row.cycles),
                                     pool_size=pool, strategy_params=schedules[row.dataset]) for seed in seeds]
    return with_protocol(configs, protocol)
