"""Query and initial-pool strategies behind one registry.

Every strategy is a function ``fn(state, b, rng, **params)`` receiving a :class:`PoolState` and
a seeded ``numpy.random.Generator``. Call them through :func:`select_batch`, which validates the
request, handles ``b`` at least the number of unlabeled points, and checks the contract on the way
out: exactly ``min(b, #unlabeled)`` distinct unlabeled pool indices.

The same functions select the initial pool (IPS) when nothing is labeled; only strategies that
need no probe can do that (:data:`IPS_STRATEGIES`).
"""

from __future__ import annotations

import numpy as np

from almodules.core.validation import ChoiceRule, ConfigError, NumberRule, check_choice, check_int
from almodules.engine.strategies.badge import badge
from almodules.engine.strategies.base import PoolState, StrategySpec
from almodules.engine.strategies.contrastive import contrastive
from almodules.engine.strategies.coreset import coreset
from almodules.engine.strategies.clustering import REPRESENTATIVE_RULES, SEEDINGS
from almodules.engine.strategies.dropquery import FILL_RULES, dropquery
from almodules.engine.strategies.falcun import falcun
from almodules.engine.strategies.kmeans import kmeans
from almodules.engine.strategies.probcover import probcover
from almodules.engine.strategies.random_sampling import random_sampling
from almodules.engine.strategies.typiclust import typiclust
from almodules.engine.strategies.tyrogue import tyrogue
from almodules.engine.strategies.uncertainty import entropy, least_confident, margin

__all__ = [
    "PoolState", "StrategySpec", "STRATEGIES", "QUERY_STRATEGIES", "IPS_STRATEGIES", "SCHEDULE_PHASES",
    "get_strategy", "select_batch", "schedule",
]

_INT = NumberRule(integer=True, minimum=1)
_OPTIONAL_INT = NumberRule(integer=True, minimum=1, optional=True)

STRATEGIES: dict[str, StrategySpec] = {s.name: s for s in [
    StrategySpec("random", random_sampling, False, "random",
                 "uniform sample of the unlabeled pool", "settles2009active"),
    StrategySpec("margin", margin, True, "uncertainty",
                 "smallest gap between the two most probable classes", "scheffer2001active"),
    StrategySpec("entropy", entropy, True, "uncertainty",
                 "highest predictive entropy", "settles2009active"),
    StrategySpec("least-confident", least_confident, True, "uncertainty",
                 "lowest probability of the predicted class", "lewis1994sequential"),
    StrategySpec("badge", badge, True, "hybrid",
                 "k-means++ seeding on gradient embeddings (p - e_yhat) x", "ash2020badge"),
    StrategySpec("coreset", coreset, False, "diversity",
                 "greedy k-centre cover of the pool", "sener2018coreset"),
    StrategySpec("probcover", probcover, False, "diversity",
                 "greedy max coverage of delta-balls chosen by cluster purity", "yehuda2022probcover",
                 rules={"delta": NumberRule(above=0, maximum=2, optional=True),
                        "purity": NumberRule(above=0, maximum=1),
                        "n_clusters": NumberRule(integer=True, minimum=2, optional=True),
                        "max_edges": _INT, "max_points": _OPTIONAL_INT}, pool_work=True),
    StrategySpec("typiclust", typiclust, False, "diversity",
                 "most typical point of the largest uncovered cluster", "hacohen2022typiclust",
                 rules={"max_clusters": _INT, "knn": _INT, "min_cluster_size": NumberRule(integer=True, minimum=0),
                        "minibatch_above": _INT, "fit_rows": _INT,
                        "max_cluster_points": NumberRule(integer=True, minimum=2, optional=True)}, version=2),
    StrategySpec("dropquery", dropquery, True, "hybrid",
                 "dropout disagreement filter, then k-means on the candidates", "gupte2024dropquery",
                 rules={"n_passes": _INT, "p": NumberRule(minimum=1 / 256, maximum=255 / 256),
                        "widen_below": _INT, "fill": ChoiceRule(FILL_RULES),
                        "representative": ChoiceRule(REPRESENTATIVE_RULES), "max_points": _OPTIONAL_INT,
                        "seeding": ChoiceRule(SEEDINGS)},
                 at_least_batch=("max_points",), version=2),
    StrategySpec("tyrogue", tyrogue, False, "hybrid",
                 "random pre-filter, k-means with r*b clusters, top-b entropy", "maekawa2022tyrogue",
                 rules={"r": _INT, "n_random": _INT}, ips_params={"r": 1},
                 # r > 1 ranks by entropy, which needs a probe: the initial pool is pure diversity.
                 ips_rules={"r": NumberRule(integer=True, minimum=1, maximum=1)}, at_least_batch=("n_random",)),
    StrategySpec("falcun", falcun, True, "hybrid",
                 "FALCUN: uncertainty-weighted diverse picks in probability space", "gilhuber2024falcun",
                 rules={"gamma": NumberRule(minimum=0)}),
    StrategySpec("contrastive", contrastive, True, "hybrid",
                 "contrastive AL (CAL): labeled neighbours that disagree", "margatina2021cal",
                 rules={"n_neighbors": _INT, "eps": NumberRule(above=0, below=1)}, version=2),
    StrategySpec("kmeans", kmeans, False, "diversity",
                 "point nearest to each k-means centre", "zhdanov2019diverse", query=False,
                 rules={"representative": ChoiceRule(REPRESENTATIVE_RULES), "max_points": _OPTIONAL_INT}, version=2),
]}

SCHEDULE_PHASES: tuple[str, ...] = ("random", "margin", "entropy", "badge", "coreset", "probcover", "typiclust",
                                    "dropquery")
"""The strategies a ``schedule`` can switch between (the paper's eight), each with its default parameters."""


def schedule(state: PoolState, b: int, rng: np.random.Generator, *, first: str = "typiclust",
             second: str = "dropquery", third: str = "margin", first_cycles: int = 2,
             second_cycles: int = 8) -> np.ndarray:
    """Switch query strategies by AL cycle: ``first`` for the first ``first_cycles`` queries, then
    ``second`` for ``second_cycles``, then ``third`` (the study's tops move from diversity early to
    uncertainty late; chapter 7 chooses the phases on training datasets).

    Parameters
    ----------
    state : PoolState
        ``state.cycle`` says which query this is (1 = the first after the initial pool).
    b : int
    rng : numpy.random.Generator
        Handed to the phase's strategy.
    first, second, third : str
        Strategies of :data:`SCHEDULE_PHASES`.
    first_cycles, second_cycles : int
        Lengths of the first two phases, in cycles (0 skips a phase).
    """
    cycle = max(int(state.cycle), 1)
    name = first if cycle <= first_cycles else second if cycle <= first_cycles + second_cycles else third
    return select_batch(name, state, b, rng)


STRATEGIES["schedule"] = StrategySpec(
    "schedule", schedule, True, "hybrid", "switches strategies by AL cycle (phases chosen on other datasets)",
    "hacohen2023selectal", rules={"first": ChoiceRule(SCHEDULE_PHASES), "second": ChoiceRule(SCHEDULE_PHASES),
                                "third": ChoiceRule(SCHEDULE_PHASES),
                                "first_cycles": NumberRule(integer=True, minimum=0),
                                "second_cycles": NumberRule(integer=True, minimum=0)})

QUERY_STRATEGIES: tuple[str, ...] = tuple(n for n, s in STRATEGIES.items() if s.query)
"""Strategies offered for the AL cycles."""

IPS_STRATEGIES: tuple[str, ...] = tuple(n for n, s in STRATEGIES.items() if not s.needs_probe)
"""Strategies that can select the initial pool: those that need no probe."""


def get_strategy(name: str, *, role: str = "strategy") -> StrategySpec:
    """Look up a strategy; ``role="ips"`` restricts to :data:`IPS_STRATEGIES`."""
    allowed = IPS_STRATEGIES if role == "ips" else QUERY_STRATEGIES
    return STRATEGIES[check_choice(role, name, allowed)]


def select_batch(name: str, state: PoolState, b: int, rng: np.random.Generator, *,
                 role: str = "strategy", **params) -> np.ndarray:
    """Select ``b`` pool indices to label next with strategy ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`STRATEGIES` (of :data:`IPS_STRATEGIES` when ``role="ips"``).
    state : PoolState
    b : int
        Batch size, at least 1.
    rng : numpy.random.Generator
    role : {"strategy", "ips"}
        ``"ips"`` selects an initial pool: the spec's ``ips_params`` apply under ``params``.
    **params
        Strategy-specific keyword parameters (see :attr:`StrategySpec.defaults`).

    Returns
    -------
    ndarray of int64
        ``min(b, #unlabeled)`` distinct indices of unlabeled pool points.
    """
    spec = get_strategy(name, role=role)
    b = check_int("b", b, minimum=1)
    if role == "ips":
        params = {**spec.ips_params, **params}
    spec.check_params(params, role=role, batch=b)
    if spec.needs_probe and state.proba is None:
        raise ConfigError(f"strategy {name!r} needs a fitted probe (state.proba); "
                          f"strategies that need none: {', '.join(IPS_STRATEGIES)}")
    unlabeled = state.unlabeled_indices()
    if b >= len(unlabeled):
        return unlabeled.astype(np.int64)
    picked = np.asarray(spec.select(state, b, rng, **params), dtype=np.int64)
    if picked.shape != (b,) or len(np.unique(picked)) != b or state.labeled[picked].any():
        raise RuntimeError(f"strategy {name!r} broke its contract: expected {b} distinct unlabeled "
                           f"indices, got {len(picked)} ({len(np.unique(picked))} distinct)")
    return picked
