"""What each chapter of the book runs: its grids of run configs, validated up front.

Each notebook calls one of these right after its ``parameters`` cell, so a bad parameter (an
unknown dataset or strategy, a negative budget) stops the notebook there with a message naming
the parameter and the allowed values, before anything is computed. The grids are plain
:func:`almodules.results.planning.expand_grid` grids; the result store then returns the stored runs and
computes only the missing ones.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from almodules.core.validation import ConfigError, check_choice, check_int
from almodules.datasets.loading import DatasetUnavailableError, load_dataset
from almodules.datasets.local import find_dataset
from almodules.datasets.registry import DATASETS
from almodules.embeddings.derived import DERIVED_SEPARATOR
from almodules.embeddings.local import find_embedder
from almodules.embeddings.registry import EMBEDDERS
from almodules.engine.config import RunConfig
from almodules.engine.fingerprints import recorded_train_rows
from almodules.labeling.plan import SessionPlan
from almodules.engine.strategies import SCHEDULE_PHASES
from almodules.results.grid import stored_cycles
from almodules.results.planning import expand_grid, with_protocol
from almodules.study.diagnostics import embedding_quality
from almodules.study.schedules import held_out_schedule_configs

__all__ = [
    "IPS_STUDY_K0", "as_list", "embedding_pairs", "mteb_table", "fully_supervised", "al_configs", "ips_study_configs", "capped_k0", "tyrogue_r_configs",
    "latency_configs", "TYROGUE_PROTOCOL", "TYROGUE_BASELINES", "tyrogue_protocol_configs", "tyrogue_plan", "claims_plan", "properties_plan", "labeling_plan", "PLANS", "plan_configs",
    "CELL_LISTS", "merge_parameters",
]

IPS_STUDY_K0: tuple[int, ...] = (20, 50, 100, 200, 300, 500, 1000, 2000, 5000)
"""Initial pool sizes of the paper's IPS study (Figure 1)."""


def as_list(param: str, value: Any) -> list:
    """``value`` as a non-empty list (a single value becomes a one-element list)."""
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise ConfigError(f"{param} must name at least one value, got an empty list")
    return values


def embedding_pairs(datasets: Any, embedders: Any, cells: Any = None) -> list[tuple[str, str]]:
    """Every (dataset, embedder) pair, each name checked against its registry; or, when ``cells`` is
    given, exactly those pairs (``"dataset:embedder"`` strings or two-element lists)."""
    if cells is None:
        ds = [check_choice("dataset", find_dataset(d), DATASETS) for d in as_list("datasets", datasets)]
        es = [check_choice("embedder", find_embedder(e), EMBEDDERS) for e in as_list("embedders", embedders)]
        return [(d, e) for d in ds for e in es]
    pairs = []
    for cell in as_list("cells", cells):
        parts = cell.split(":", 1) if isinstance(cell, str) else list(cell) if isinstance(cell, (list, tuple)) else []
        if len(parts) != 2:
            raise ConfigError(f"cells entries read 'dataset:embedder' (or [dataset, embedder]), got {cell!r}")
        pairs.append((check_choice("dataset", find_dataset(parts[0]), DATASETS),
                      check_choice("embedder", find_embedder(parts[1]), EMBEDDERS)))
    return list(dict.fromkeys(pairs))


def mteb_table() -> pd.DataFrame:
    """The paper's embedders (Table 3) with their MTEB scores, best first."""
    frame = pd.DataFrame([{"name": s.name, "params_m": s.params_m, "dim": s.dim, "pooling": s.pooling,
                           "mteb": s.mteb} for s in EMBEDDERS.values() if s.mteb is not None])
    return frame.sort_values("mteb", ascending=False).reset_index(drop=True)


def fully_supervised(datasets: Any, embedders: Any, seeds: Any, *, pool_size: int | None = None,
                     k: int = 10, cells: Any = None) -> pd.DataFrame:
    """Full-pool probe scores to compare AL runs against (TYROGUE's label-cost reference).

    Without ``pool_size`` every seed shares the whole train split, so there is one score per
    dataset × embedder (no ``seed`` column). With ``pool_size`` each seed has its own subsample,
    so there is one score per seed, matched to runs by seed.
    """
    rows = []
    for d, e in embedding_pairs(datasets, embedders, cells):
        for s in (as_list("seeds", seeds) if pool_size is not None else [0]):
            rows.append(embedding_quality(d, e, pool_size=pool_size, seed=s, k=k))
    frame = pd.concat(rows, ignore_index=True)
    return frame if pool_size is not None else frame.drop(columns="seed")


def _grid(**axes: Any) -> dict:
    """A grid dict without the axes left at ``None`` (those take the paper's defaults)."""
    return {k: v for k, v in axes.items() if v is not None}


def al_configs(datasets: Any, embedders: Any, ips: Any, strategies: Any, seeds: Any, *, budget: int | None = None,
               k0: int | None = None, cycles: int | None = None, pool_size: int | None = None,
               cells: Any = None, protocol: Any = None) -> list[RunConfig]:
    """AL runs: every dataset × embedder × IPS × strategy × seed, validated.

    ``budget``, ``k0`` and ``cycles`` default to the paper's protocol (Table 2 budget, k0 = number
    of classes, 20 cycles); ``pool_size`` to the whole train split; ``protocol`` (probe settings
    and strategy parameters that differ from the defaults, :func:`~almodules.results.planning.with_protocol`)
    applies to every run of every plan here.
    """
    return with_protocol(expand_grid([_grid(dataset=d, embedder=e, ips=as_list("ips", ips), strategy=as_list("strategies", strategies),
                              seed=as_list("seeds", seeds), budget=budget, k0=k0, cycles=cycles, pool_size=pool_size)
                        for d, e in embedding_pairs(datasets, embedders, cells)]), protocol)


def capped_k0(dataset: str, k0s: Sequence[int], pool_size: int | None = None) -> list[int]:
    """The ``k0s`` that fit in the pool of ``dataset`` (its ``pool_size`` or its train split)."""
    spec = DATASETS[check_choice("dataset", dataset, DATASETS)]
    limit = pool_size if pool_size is not None else spec.n_train
    ks = [check_int("k0s", k, minimum=1) for k in k0s]
    return [k for k in ks if limit is None or k <= limit]


def ips_study_configs(datasets: Any, embedders: Any, ips: Any, k0s: Sequence[int], seeds: Any, *,
                      pool_size: int | None = None, cells: Any = None, protocol: Any = None) -> list[RunConfig]:
    """IPS-only runs (``cycles=0``, budget = k0) for the IPS study, k0 capped by each pool.

    A k0 larger than the pool (``pool_size``, else the dataset's train split) is left out for that
    dataset; a dataset left with no k0 at all is an error.
    """
    blocks = []
    for dataset, embedder in embedding_pairs(datasets, embedders, cells):
        ks = capped_k0(dataset, as_list("k0s", k0s), pool_size)
        if not ks:
            raise ConfigError(f"k0s {list(k0s)}: none fits in the pool of {dataset!r}; choose smaller k0s")
        blocks.append(_grid(dataset=dataset, embedder=embedder, ips=as_list("ips", ips), k0=ks,
                            seed=as_list("seeds", seeds), cycles=0, pool_size=pool_size))
    return with_protocol(expand_grid(blocks), protocol)


def tyrogue_r_configs(datasets: Any, embedders: Any, rs: Any, seeds: Any, *, ips: str = "random",
                      budget: int | None = None, k0: int | None = None, cycles: int | None = None,
                      pool_size: int | None = None, cells: Any = None) -> list[RunConfig]:
    """TYROGUE runs with each ``r`` in ``rs`` (k-means with r·b clusters before the entropy filter)."""
    params = [{"r": check_int("rs", r, minimum=1)} for r in as_list("rs", rs)]
    return expand_grid([_grid(dataset=d, embedder=e, ips=ips, strategy="tyrogue", strategy_params=params,
                              seed=as_list("seeds", seeds), budget=budget, k0=k0, cycles=cycles, pool_size=pool_size)
                        for d, e in embedding_pairs(datasets, embedders, cells)])


def latency_configs(dataset: str, embedder: str, strategies: Any, pool_sizes: Any, *, seed: int = 0,
                    batch_size: int = 20, cycles: int = 3, k0: int | None = None,
                    strategy_params: Mapping[str, Mapping] | None = None) -> list[RunConfig]:
    """Short runs over growing pools to time one query of each strategy (latency vs pool size).

    Each run labels ``k0`` (default: the number of classes) then queries ``cycles`` batches of
    ``batch_size``; only ``select_s`` of the query cycles is of interest. ``strategy_params``
    maps a strategy name to its parameters for these runs (e.g. a smaller TYROGUE pre-filter).
    """
    spec = DATASETS[check_choice("dataset", dataset, DATASETS)]
    k0 = spec.n_classes if k0 is None else check_int("k0", k0, minimum=1)
    check_int("batch_size", batch_size, minimum=1)
    sizes = [check_int("pool_sizes", n, minimum=k0 + cycles * batch_size) for n in as_list("pool_sizes", pool_sizes)]
    params = dict(strategy_params or {})
    names = as_list("strategies", strategies)
    for name in params:
        check_choice("strategy_params key (a strategy of this study)", name, names)
    return expand_grid([_grid(dataset=dataset, embedder=embedder, strategy=name, pool_size=sizes, seed=seed, k0=k0,
                              cycles=cycles, budget=k0 + cycles * batch_size, strategy_params=params.get(name))
                        for name in names])


def _tyrogue_latency(dataset: str, embedder: str, names: list, pool_sizes: Any, n_random: int,
                     seeds: Sequence[int] = (0,)) -> list[RunConfig]:
    """:func:`latency_configs` with TYROGUE's pre-filter set to ``n_random`` points (when it is compared)."""
    params = {"tyrogue": {"n_random": check_int("latency_n_random", n_random, minimum=1)}} if "tyrogue" in names else None
    return [c for seed in seeds for c in latency_configs(dataset, embedder, names, pool_sizes, seed=seed,
                                                         strategy_params=params)]


TYROGUE_PROTOCOL: dict[str, int] = {"budget": 1000, "k0": 50, "cycles": 19}
"""TYROGUE's paper: 1,000 labels in batches of 50, a first batch of 50 (its cold start or a random one)."""

TYROGUE_BASELINES: tuple[str, ...] = ("entropy", "badge", "contrastive", "random")
"""The baselines of TYROGUE's paper that run here (CAL is ``contrastive``), each from a random first batch."""


def tyrogue_protocol_configs(cells: Any, seeds: Any) -> list[RunConfig]:
    """TYROGUE as its paper runs it: :data:`TYROGUE_PROTOCOL`, TYROGUE from its own cold start (IPS
    ``tyrogue``, ``r = 1``), :data:`TYROGUE_BASELINES` from a random first batch (warm start).

    Cells of the controlled ladder (derived embedders, ``<base>+<transform>``) are left out: the claims
    are judged on natural embedders only, so a study can pass all its cells.
    """
    pairs = [(d, e) for d, e in (embedding_pairs([], [], cells) if cells else []) if DERIVED_SEPARATOR not in e]
    seeds = as_list("tyrogue_seeds", seeds)
    return expand_grid([g for d, e in pairs for g in (
        _grid(dataset=d, embedder=e, ips="tyrogue", strategy="tyrogue", seed=seeds, **TYROGUE_PROTOCOL),
        _grid(dataset=d, embedder=e, ips="random", strategy=list(TYROGUE_BASELINES), seed=seeds, **TYROGUE_PROTOCOL))])


def tyrogue_plan(datasets: Any, embedders: Any, strategies: Any, ips: str, seeds: Any, *, budget: int | None = None,
                 k0: int | None = None, cycles: int | None = None, pool_size: int | None = None, rs: Any = (1, 3, 10),
                 latency_dataset: str = "bbc_news", latency_embedder: str = "tfidf-svd",
                 latency_pool_sizes: Any = (400, 800, 1600), latency_n_random: int = 500,
                 cells: Any = None, r_cells: Any = None, protocol: Any = None) -> dict[str, list[RunConfig]]:
    """The runs of the TYROGUE chapter: the comparison, the sweep over ``r``, the latency study.

    The comparison runs on ``cells`` (else every dataset × embedder), the sweep over ``r`` on
    ``r_cells`` (default: the same cells).

    Returns
    -------
    dict
        ``"comparison"``: :func:`al_configs` of ``strategies`` from one IPS; ``"r"``:
        :func:`tyrogue_r_configs`; ``"latency"``: :func:`latency_configs` on
        ``latency_dataset`` × ``latency_embedder``, with TYROGUE's pre-filter set to
        ``latency_n_random`` points.
    """
    names = as_list("strategies", strategies)
    return _under(protocol, {
        "comparison": al_configs(datasets, embedders, ips, names, seeds, budget=budget, k0=k0, cycles=cycles,
                                 pool_size=pool_size, cells=cells),
        "r": tyrogue_r_configs(datasets, embedders, rs, seeds, ips=ips, budget=budget, k0=k0, cycles=cycles,
                               pool_size=pool_size, cells=cells if r_cells is None else r_cells),
        "latency": _tyrogue_latency(latency_dataset, latency_embedder, names, latency_pool_sizes, latency_n_random),
    })


def claims_plan(datasets: Any, embedders: Any, ips: Any, strategies: Any, seeds: Any, k0s: Sequence[int], *,
                cells: Any = None, ips_study: Any = ("random", "typiclust"), budget: int | None = None,
                k0: int | None = None, cycles: int | None = None, pool_size: int | None = None,
                latency_cells: Any = ("bbc_news:tfidf-svd",),
                latency_strategies: Any = ("coreset", "badge", "tyrogue"), latency_pool_sizes: Any = (400, 800, 1600),
                latency_n_random: int = 500, latency_seeds: Any = (0,), tyrogue_cells: Any = (),
                protocol: Any = None) -> dict[str, list[RunConfig]]:
    """The runs the claims chapter judges: the AL runs, the IPS study, the latency study and TYROGUE at
    its paper's protocol.

    ``cells`` (``"dataset:embedder"`` entries) replaces the product of ``datasets`` and ``embedders``
    (a study grows cell by cell, not as a full product).

    Returns
    -------
    dict
        ``"al"``: :func:`al_configs` of every cell; ``"ips"``: :func:`ips_study_configs` of
        ``ips_study``; ``"latency"``: :func:`latency_configs` on each of ``latency_cells`` with
        TYROGUE's pre-filter set to ``latency_n_random``, over the ``latency_pool_sizes`` smaller
        than the cell's train split and the whole split, for each of ``latency_seeds``; ``"tyrogue"``:
        :func:`tyrogue_protocol_configs` on ``tyrogue_cells`` (none by default) with ``seeds``.
    """
    names = as_list("latency_strategies", latency_strategies)
    latency_seeds = [check_int("latency_seeds", s, minimum=0) for s in as_list("latency_seeds", latency_seeds)]
    latency_pairs = embedding_pairs([], [], as_list("latency_cells", latency_cells))
    sizes = [check_int("latency_pool_sizes", n, minimum=1) for n in as_list("latency_pool_sizes", latency_pool_sizes)]
    pools = {d: _pools_within(d, sizes) for d in dict.fromkeys(d for d, _ in latency_pairs)}  # each dataset read once
    return _under(protocol, {
        "al": al_configs(datasets, embedders, ips, strategies, seeds, budget=budget, k0=k0, cycles=cycles,
                         pool_size=pool_size, cells=cells),
        "ips": ips_study_configs(datasets, embedders, ips_study, k0s, seeds, pool_size=pool_size, cells=cells),
        "latency": [c for d, e in latency_pairs
                    for c in _tyrogue_latency(d, e, names, pools[d], latency_n_random, latency_seeds)],
        "tyrogue": tyrogue_protocol_configs(tyrogue_cells, seeds),
    })


def _under(protocol: Any, plan: dict[str, list[RunConfig]]) -> dict[str, list[RunConfig]]:
    return {name: with_protocol(configs, protocol) for name, configs in plan.items()}


def _pools_within(dataset: str, sizes: Sequence[int]) -> list[int]:
    """``sizes`` smaller than ``dataset``'s train split, then the whole split."""
    try:
        rows = len(load_dataset(dataset).train_labels)
    except DatasetUnavailableError:  # its stored runs are read by their recorded fingerprints
        rows = recorded_train_rows(dataset)
        if rows is None:
            raise
    return sorted({n for n in sizes if n < rows} | {rows})


def properties_plan(datasets: Any, embedders: Any, strategies: Any, seeds: Any, k0s: Sequence[int], *,
                    cells: Any = None, budget: int | None = None, k0: int | None = None, cycles: int | None = None,
                    pool_size: int | None = None, schedule_seeds: Any = (), protocol: Any = None) -> dict[str, list[RunConfig]]:
    """The runs of the embedding-properties chapter: random-IPS AL runs and the TypiClust / random IPS
    study at ``k0s``, for every cell (``cells``, else every dataset × embedder); with ``schedule_seeds``,
    once every AL run is stored, the ``schedule`` runs of each natural cell with its dataset's schedule
    chosen on the other datasets (:func:`almodules.study.schedules.held_out_schedule_configs`)."""
    plan = _under(protocol, {
        "al": al_configs(datasets, embedders, "random", strategies, seeds, budget=budget, k0=k0, cycles=cycles,
                         pool_size=pool_size, cells=cells),
        "ips": ips_study_configs(datasets, embedders, ["random", "typiclust"], k0s, seeds, pool_size=pool_size,
                                 cells=cells),
    })
    schedule_seeds = [check_int("schedule_seeds", s, minimum=0) for s in (schedule_seeds or [])]
    natural = [c for c in plan["al"] if DERIVED_SEPARATOR not in c.embedder and c.strategy in SCHEDULE_PHASES]
    stage_one = stored_cycles(natural) if schedule_seeds and len({c.dataset for c in natural}) > 1 else None
    plan["schedule"] = [] if stage_one is None else held_out_schedule_configs(stage_one, schedule_seeds,
                                                                               protocol=protocol)
    return plan


def labeling_plan(dataset: str, embedder: str, strategies: Any, seeds: Any, *, ips: str = "random", k0: int = 10,
                  batch_size: int = 10, budget: int = 100, protocol: Any = None) -> list[RunConfig]:
    """The simulated runs of the labeling chapter: each strategy's session plan answered by the stored
    labels (:meth:`almodules.labeling.plan.SessionPlan.run_config`), for every seed."""
    return with_protocol([SessionPlan(dataset=find_dataset(dataset), embedder=find_embedder(embedder), ips=ips, strategy=strategy,
                        seed=check_int("seeds", seed, minimum=0), k0=k0, batch_size=batch_size,
                        budget=budget).run_config()
            for strategy in as_list("strategies", strategies) for seed in as_list("seeds", seeds)], protocol)


PLANS: tuple[str, ...] = ("al_configs", "ips_study_configs", "tyrogue_plan", "claims_plan", "properties_plan",
                          "labeling_plan")
"""Functions a chapter can name as its ``plan`` (in its front matter): each takes chapter parameters
by name and returns the chapter's runs (a list, or a dict of lists)."""


def plan_configs(plan: str, parameters: Mapping[str, Any]) -> list[RunConfig]:
    """Every run of ``plan`` for ``parameters``; parameters the plan does not take are ignored.

    Chapters name their plan in their front matter (``almodules: {plan: al_configs}``); the other
    parameters of a chapter only change how results are shown.
    """
    function = globals()[check_choice("chapter plan", plan, PLANS)]
    accepted = inspect.signature(function).parameters
    out = function(**{k: v for k, v in parameters.items() if k in accepted})
    return [c for group in out.values() for c in group] if isinstance(out, dict) else list(out)


CELL_LISTS: tuple[str, ...] = ("cells", "r_cells", "tyrogue_cells")
"""Book parameters that list a chapter's cells; ``datasets`` or ``embedders`` given without ``cells``
replace them (the chapter then runs on every dataset × embedder given)."""


def merge_parameters(book: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """A chapter's parameters: ``book``'s (``book/parameters.yaml``) overridden by ``given``.

    ``datasets`` or ``embedders`` in ``given`` without ``cells`` drop the book's cell lists
    (:data:`CELL_LISTS`): ``-p datasets "[trec6]"`` means trec6, not the book's 52 cells.
    """
    if {"datasets", "embedders"} & set(given) and "cells" not in given:
        book = {k: v for k, v in book.items() if k not in CELL_LISTS}
    return {**book, **given}
