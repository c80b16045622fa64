"""What one active-learning run is: :class:`RunConfig`, validated against the registries.

A config names the dataset, the embedder, the initial pool selection (IPS) and the query
strategy with their parameters, the seed, the initial pool size ``k0``, the budget ``B``, the
number of cycles ``T``, an optional pool subsample and the probe's settings. Its
:attr:`~RunConfig.config_hash` keys the result store; :meth:`RunConfig.create` fills the paper's
defaults. :mod:`almodules.engine.experiment` executes a config.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from almodules.core.atomic import canonical_hash, canonical_json
from almodules.core.validation import ConfigError, check_choice, check_int, check_number
from almodules.datasets.local import find_dataset
from almodules.datasets.registry import DATASETS
from almodules.embeddings.local import find_embedder
from almodules.embeddings.registry import EMBEDDERS
from almodules.engine.probe import ProbeParams
from almodules.engine.strategies import IPS_STRATEGIES, QUERY_STRATEGIES, STRATEGIES, get_strategy

__all__ = [
    "DEFAULT_CYCLES", "DEFAULT_LABELS_PER_CLASS_PER_CYCLE", "DefaultBudgetWarning", "ENGINE_VERSION", "KEY_COLUMNS", "RunConfig",
    "complete_params",
]

DEFAULT_CYCLES = 20
"""The paper's T: query rounds after the initial pool."""

class DefaultBudgetWarning(UserWarning):
    """The default budget did not fit a small dataset and was reduced to half its pool."""


DEFAULT_LABELS_PER_CLASS_PER_CYCLE = 5
"""Budget rule for datasets without a Table 2 budget: ``B = k0 + T * 5 * n_classes``."""

ENGINE_VERSION = 1
"""Version of the AL loop and the probe (:mod:`almodules.engine.experiment`, :mod:`almodules.engine.probe`): bump
it when a change gives other results for the same config and data, so stored runs are not served."""

MAX_INT64 = 2**63 - 1
"""Largest seed, size or budget: the result store keeps them as 64-bit integers."""

KEY_COLUMNS: dict[str, type] = {
    "config_hash": str, "dataset": str, "embedder": str, "ips": str, "strategy": str, "seed": int, "k0": int,
    "budget": int, "cycles": int, "pool_size": int, "batch_size": int,
}
"""Columns that identify a run in the result tables, with their types: :attr:`RunConfig.config_hash`,
the config's scalar fields and the derived :attr:`RunConfig.batch_size`."""

_SCALARS = (bool, int, float, str, type(None))
def _normalize_params(param: str, params: Any) -> tuple[tuple[str, Any], ...]:
    """Sorted ``(name, value)`` pairs with JSON-representable values (lists become tuples)."""
    if params is None:
        return ()
    items = params.items() if isinstance(params, Mapping) else params
    out = {}
    for item in items:
        key, value = item
        if isinstance(value, np.generic):
            value = value.item()
        if not isinstance(key, str):
            raise ConfigError(f"{param} keys must be strings, got {key!r}")
        if isinstance(value, (list, tuple)):
            value = tuple(value)
            ok = all(isinstance(v, _SCALARS) for v in value)
        else:
            ok = isinstance(value, _SCALARS)
        if not ok:
            raise ConfigError(f"{param}[{key!r}] must be a number, string, bool, None or a list of "
                              f"those, got {value!r}")
        out[key] = value
    return tuple(sorted(out.items()))


def _coerce_like(default: Any, value: Any) -> Any:
    # 3 and 3.0 mean the same parameter; keep the default's type so the config hash agrees.
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if (isinstance(default, int) and not isinstance(default, bool) and isinstance(value, float)
            and value.is_integer()):
        return int(value)
    return value


def complete_params(strategy: str, params: Any, *, role: str = "strategy",
                    batch: int | None = None) -> tuple[tuple[str, Any], ...]:
    """``params`` of ``strategy`` completed with its defaults (and its IPS defaults for ``role="ips"``),
    checked against its rules, as sorted ``(name, value)`` pairs: what a run's config stores."""
    attr = "ips_params" if role == "ips" else "strategy_params"
    spec = STRATEGIES[strategy]
    given = dict(_normalize_params(attr, params))
    base = {**spec.defaults, **(spec.ips_params if role == "ips" else {})}
    completed = {k: _coerce_like(base.get(k), v) for k, v in {**base, **given}.items()}
    spec.check_params(completed, role=role, batch=batch)
    return _normalize_params(attr, completed)


def _normalize_probe(probe: Any) -> ProbeParams:
    if probe is None:
        return ProbeParams()
    if isinstance(probe, Mapping):
        allowed = [f.name for f in dataclasses.fields(ProbeParams)]
        for key in probe:
            check_choice("probe parameter", key, allowed)
        probe = ProbeParams(**probe)
    if not isinstance(probe, ProbeParams):
        raise ConfigError(f"probe must be a ProbeParams or a dict of its fields, got {type(probe).__name__}")
    C = check_number("probe.C", probe.C, above=0)
    tol = check_number("probe.tol", probe.tol, above=0)
    check_int("probe.max_iter", probe.max_iter, minimum=1)
    if not isinstance(probe.warm_start, bool):
        raise ConfigError(f"probe.warm_start must be True or False, got {probe.warm_start!r}")
    return ProbeParams(C=C, max_iter=int(probe.max_iter), tol=tol, warm_start=probe.warm_start)


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """Everything that determines one AL run; its :attr:`config_hash` keys the result store.

    Build it with :meth:`create`, which fills the paper's defaults. Construction (also from
    :meth:`from_dict`) validates every field against the registries and the protocol's
    constraints, and completes the strategy and IPS parameters with their defaults (so both
    constructors give one hash); sizes that depend on the data (the budget against the real
    pool) are checked by :func:`almodules.results.planning.plan_runs` before any run.

    Parameters
    ----------
    dataset, embedder : str
        Keys of :data:`almodules.datasets.loading.DATASETS` and :data:`almodules.embeddings.registry.EMBEDDERS`.
    ips : str
        Initial pool selection, one of :data:`almodules.engine.strategies.IPS_STRATEGIES`.
    strategy : str
        Query strategy, one of :data:`almodules.engine.strategies.QUERY_STRATEGIES`.
    seed : int
        Non-negative; drives the pool subsample, the IPS and every query.
    k0 : int
        Size of the initial pool, at least 1.
    budget : int
        Total labels B after the last cycle (``k0 + cycles * batch_size <= budget``).
    cycles : int
        Query rounds T after the initial pool; 0 makes an IPS-only run (then ``budget == k0``).
    pool_size : int or None
        Stratified subsample of the train split used as the pool; ``None`` = the whole split.
    strategy_params, ips_params : tuple of (name, value) pairs
        Keyword parameters of the strategy and of the IPS, sorted by name.
    probe : ProbeParams
        Settings of the logistic-regression probe.
    """

    dataset: str
    embedder: str
    ips: str = "random"
    strategy: str = "random"
    seed: int = 0
    k0: int
    budget: int
    cycles: int = DEFAULT_CYCLES
    pool_size: int | None = None
    strategy_params: tuple = ()
    ips_params: tuple = ()
    probe: ProbeParams = field(default_factory=ProbeParams)

    def __post_init__(self) -> None:
        object.__setattr__(self, "dataset", find_dataset(self.dataset))
        object.__setattr__(self, "embedder", find_embedder(self.embedder))
        check_choice("dataset", self.dataset, DATASETS)
        check_choice("embedder", self.embedder, EMBEDDERS)
        check_choice("ips", self.ips, IPS_STRATEGIES)
        check_choice("strategy", self.strategy, QUERY_STRATEGIES)
        for name, minimum in (("seed", 0), ("k0", 1), ("cycles", 0), ("budget", 1)):
            object.__setattr__(self, name, check_int(name, getattr(self, name), minimum=minimum,
                                                     maximum=MAX_INT64))
        if self.budget < self.k0:
            raise ConfigError(f"budget ({self.budget}) must be >= k0 ({self.k0}): the budget counts "
                              "the initial pool")
        if self.cycles == 0 and self.budget != self.k0:
            raise ConfigError(f"budget must equal k0 ({self.k0}) in an IPS-only run (cycles=0), "
                              f"got {self.budget}")
        if self.cycles > 0 and self.budget - self.k0 < self.cycles:
            raise ConfigError(
                f"budget {self.budget} leaves b = (budget - k0) // cycles = "
                f"({self.budget} - {self.k0}) // {self.cycles} = 0 labels per cycle; budget must be "
                f">= k0 + cycles = {self.k0 + self.cycles}, or use fewer cycles")
        if self.pool_size is not None:
            object.__setattr__(self, "pool_size", check_int("pool_size", self.pool_size, minimum=1))
            if self.budget > self.pool_size:
                raise ConfigError(f"budget {self.budget} is larger than the pool (pool_size="
                                  f"{self.pool_size}); budget must be <= pool_size")
        for attr, role in (("strategy_params", "strategy"), ("ips_params", "ips")):
            # Complete with the defaults, so RunConfig(...) and RunConfig.create(...) of one run agree.
            object.__setattr__(self, attr, complete_params(getattr(self, role), getattr(self, attr), role=role,
                                                           batch=self.k0 if role == "ips" else self.batch_size or None))
        object.__setattr__(self, "probe", _normalize_probe(self.probe))

    @classmethod
    def create(cls, **kw: Any) -> "RunConfig":
        """A validated config with the paper's defaults for everything not given.

        Defaults: ``ips="random"``, ``strategy="random"``, ``seed=0``, ``cycles=20`` (the
        paper's T); ``budget`` = the dataset's Table 2 budget (``DATASETS[name].budget``), else
        ``k0 + cycles * 5 * n_classes`` (five labels per class per cycle), and ``k0`` when
        ``cycles=0``; the whole train split as the pool; the probe's paper settings
        (lbfgs, ``max_iter=1000``, ``C=1``). ``k0`` defaults to the dataset's number of classes,
        one label per class on average, the usual cold start; the paper writes
        ``b = (B - k0) / T`` and varies ``k0`` in its IPS study, so pass ``k0`` to match a
        particular setting. Strategy and IPS parameters are completed with the strategy's
        defaults (TYROGUE's cold start ``r=1`` for the IPS), so the config hash names exactly the
        parameters the run used.

        Raises
        ------
        ConfigError
            Naming the parameter and the allowed values.
        """
        for key in kw:
            check_choice("RunConfig parameter", key, [f.name for f in dataclasses.fields(cls)])
        kw = {k: v for k, v in kw.items() if v is not None}
        for key in ("dataset", "embedder"):
            if key not in kw:
                raise ConfigError(f"RunConfig.create() needs {key}=")
        kw["dataset"] = find_dataset(kw["dataset"])
        spec = DATASETS[check_choice("dataset", kw["dataset"], DATASETS)]
        n_classes = spec.n_classes

        def classes_for(param: str) -> int:
            if not n_classes:
                raise ConfigError(f"dataset {kw['dataset']!r} does not declare its number of classes; "
                                  f"pass {param} explicitly")
            return n_classes

        cycles = kw["cycles"] = check_int("cycles", kw.get("cycles", DEFAULT_CYCLES), minimum=0)
        k0 = kw["k0"] = check_int("k0", kw["k0"] if "k0" in kw else classes_for("k0"), minimum=1)
        if "budget" not in kw:
            if cycles == 0:
                kw["budget"] = k0
            elif spec.budget is not None:
                kw["budget"] = spec.budget
            else:
                kw["budget"] = k0 + cycles * DEFAULT_LABELS_PER_CLASS_PER_CYCLE * classes_for("budget")
            if spec.n_train and cycles and kw["budget"] > spec.n_train // 2:
                fitted = max(k0 + cycles, spec.n_train // 2)
                warnings.warn(f"budget not given: the default {kw['budget']} does not fit the {spec.n_train} train "
                              f"rows of {spec.name!r}; using {fitted} (half the pool) - pass budget to choose",
                              DefaultBudgetWarning, stacklevel=2)
                kw["budget"] = fitted
        for role in ("strategy", "ips"):
            get_strategy(kw.setdefault(role, "random"), role=role)
        return cls(**kw)

    @property
    def batch_size(self) -> int:
        """Labels queried per cycle, ``b = (B - k0) // T`` (0 for an IPS-only run).

        When ``T`` does not divide ``B - k0`` the remainder (fewer than ``T`` labels) is left
        unspent: every cycle queries the same ``b``, so the last cycle ends at
        ``k0 + T * b <= B`` labels.
        """
        return (self.budget - self.k0) // self.cycles if self.cycles else 0

    @property
    def final_labels(self) -> int:
        """Labeled points after the last cycle, ``k0 + T * b``."""
        return self.k0 + self.cycles * self.batch_size

    def to_dict(self) -> dict:
        """Plain JSON-ready dict; :meth:`from_dict` inverts it."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["strategy_params"] = {k: list(v) if isinstance(v, tuple) else v for k, v in self.strategy_params}
        out["ips_params"] = {k: list(v) if isinstance(v, tuple) else v for k, v in self.ips_params}
        out["probe"] = dataclasses.asdict(self.probe)
        return out

    @classmethod
    def from_dict(cls, data: Mapping) -> "RunConfig":
        """Rebuild (and re-validate) a config from :meth:`to_dict` output or its JSON."""
        if isinstance(data, str):
            data = json.loads(data)
        return cls(**data)

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, no spaces): what :attr:`config_hash` digests."""
        return canonical_json(self.to_dict())

    @property
    def config_hash(self) -> str:
        """SHA-256 of :meth:`to_json`, hex; stable across processes, machines and sessions."""
        return canonical_hash(self.to_dict())

    def code_versions(self) -> dict[str, int]:
        """Versions of the code that decides this run's bits: the engine, the IPS and the strategy."""
        return {"engine": ENGINE_VERSION, "ips": STRATEGIES[self.ips].version,
                "strategy": STRATEGIES[self.strategy].version}

    def run_key(self, data_fingerprint: str, embedding_fingerprint: str) -> str:
        """The result store's key of this config run on the given data and embeddings.

        It hashes everything that decides the run's bits: the config, the dataset's content, the
        embeddings' fingerprint and :meth:`code_versions`; a result computed on other data or by
        other code has another key and is never served for this one.
        """
        return canonical_hash({"config": self.to_dict(), "data": data_fingerprint,
                               "embedding": embedding_fingerprint, "code": self.code_versions()})

    def key(self) -> dict:
        """The columns that identify the run in the result tables (:data:`KEY_COLUMNS`)."""
        return {name: getattr(self, name) for name in KEY_COLUMNS}
