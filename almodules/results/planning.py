"""Grid files and planning: configs from a grid, each checked against its data and given its run key.

A grid maps :class:`~almodules.engine.experiment.RunConfig` fields to a value or a list of values;
lists are crossed (cartesian product, in the order the keys are written), scalars broadcast::

    dataset: trec6
    embedder: [tfidf-svd, all-minilm-l6-v2]
    ips: [random, typiclust]
    strategy: [random, margin, badge]
    seed: [0, 1, 2, 3, 4]
    cycles: 20                  # budget, k0: the paper's defaults unless given

A mapping value (``strategy_params``, ``ips_params``, ``probe``) is one value; give a list of
mappings to sweep it. A YAML list of such blocks is the union of their grids. Every config is
validated with :meth:`RunConfig.create` before anything runs.

:func:`plan_runs` checks every config against its actual data and keys it, before any work.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from almodules.core.validation import ConfigError, check_choice, parse_yaml, read_utf8
from almodules.engine.config import RunConfig
from almodules.engine.experiment import RunInputs, load_inputs, pair_fingerprints
from almodules.engine.fingerprints import Fingerprints
from almodules.engine.strategies import QUERY_STRATEGIES

__all__ = ["GRID_KEYS", "PROTOCOL_KEYS", "Loader", "PlannedRun", "expand_grid", "with_protocol", "load_grid",
           "plan_runs", "groups"]

GRID_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(RunConfig))
"""Keys a grid may set: the fields of :class:`~almodules.engine.config.RunConfig`."""

Loader = Callable[[str, str], RunInputs]


PROTOCOL_KEYS: tuple[str, ...] = ("probe", "strategy_params")
"""What a protocol sets: the probe's settings, and parameters of named query strategies."""


def with_protocol(configs: Iterable[RunConfig], protocol: Mapping | None) -> list[RunConfig]:
    """``configs`` run under ``protocol``: settings that differ from the registry's defaults.

    ``protocol`` maps ``probe`` to probe settings (``{"warm_start": false}``) and
    ``strategy_params`` to ``{strategy: {parameter: value}}``, applied to the configs of that
    query strategy (a study computed before a default changed names its old value here, so its
    stored runs keep being found). ``None``: the defaults.
    """
    configs = list(configs)
    if protocol is None:
        return configs
    if not isinstance(protocol, Mapping):
        raise ConfigError(f"protocol must be a mapping with keys {', '.join(PROTOCOL_KEYS)} (or null), "
                          f"got {protocol!r}")
    for key in protocol:
        check_choice("protocol key", key, PROTOCOL_KEYS)
    probe = protocol.get("probe") or {}
    per_strategy = protocol.get("strategy_params") or {}
    if not isinstance(probe, Mapping) or not isinstance(per_strategy, Mapping):
        raise ConfigError(f"protocol probe and strategy_params must be mappings, got {protocol!r}")
    for name, params in per_strategy.items():
        check_choice("strategy in protocol strategy_params", name, QUERY_STRATEGIES)
        if not isinstance(params, Mapping):
            raise ConfigError(f"protocol strategy_params[{name!r}] must map parameters to values, got {params!r}")
    out = []
    for config in configs:
        data = config.to_dict()
        data["probe"] = {**data["probe"], **probe}
        data["strategy_params"] = {**data["strategy_params"], **per_strategy.get(config.strategy, {})}
        out.append(RunConfig.create(**data))
    return out


def expand_grid(grid: Mapping | list) -> list[RunConfig]:
    """Configs of a grid given as a dict (or a list of dicts, whose grids are joined).

    Raises
    ------
    ValueError, TypeError
        For an unknown key or any invalid combination, before any config is returned; the
        message names the combination and the offending parameter.
    """
    if isinstance(grid, list):
        return _unique(itertools.chain.from_iterable(expand_grid(block) for block in grid))
    if not isinstance(grid, Mapping):
        raise ConfigError(f"a grid must be a mapping of RunConfig fields to values (or a list of such "
                          f"mappings), got {type(grid).__name__}")
    axes = {}
    for key, value in grid.items():
        check_choice("grid key", key, GRID_KEYS)
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        if not values:
            raise ConfigError(f"grid key {key!r} has an empty list of values")
        axes[key] = values
    configs = []
    for combo in itertools.product(*axes.values()):
        kw = dict(zip(axes, combo))
        try:
            configs.append(RunConfig.create(**kw))
        except ConfigError as exc:
            raise ConfigError(f"grid entry {kw}: {exc}") from exc
    return _unique(configs)


def load_grid(source: str | os.PathLike | Mapping | list) -> list[RunConfig]:
    """Configs of a grid: a YAML file path, or the grid itself as a dict / list of dicts."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"grid file {str(path)!r} not found")
        source = parse_yaml(read_utf8(path), f"grid file {str(path)!r}")
    return expand_grid(source)


def _unique(configs: Iterable[RunConfig]) -> list[RunConfig]:
    return list({c.config_hash: c for c in configs}.values())


def groups(configs: list[RunConfig]) -> dict[tuple[str, str], list[RunConfig]]:
    groups: dict[tuple[str, str], list[RunConfig]] = {}
    for config in configs:
        groups.setdefault((config.dataset, config.embedder), []).append(config)
    return groups


@dataclass(frozen=True)
class PlannedRun:
    """A config checked against its real data, with the key its result is stored under."""

    config: RunConfig
    run_key: str
    fingerprints: Fingerprints


def _fingerprints(dataset: str, embedder: str, loader: Loader, loaded: dict) -> Fingerprints:
    """The pair's fingerprints and train rows (recorded ones when its data is not on this machine).

    The default loader's come from the registries without embedding anything; another loader's
    inputs are loaded here (and kept in ``loaded`` for the runs) to fingerprint their arrays.
    """
    if loader is load_inputs:
        return pair_fingerprints(dataset, embedder)
    inputs = loaded[dataset, embedder] = loader(dataset, embedder)
    return Fingerprints(inputs.data_fingerprint, inputs.embedding_fingerprint, len(inputs.train_labels))


def _check_fits(config: RunConfig, n_train: int | None) -> None:
    if n_train is None:  # recorded without its size: only stored runs are read for it
        return
    where = f"config (dataset {config.dataset!r}, strategy {config.strategy!r}, seed {config.seed})"
    if config.pool_size is not None and config.pool_size > n_train:
        raise ConfigError(f"{where}: pool_size {config.pool_size} is larger than the train split "
                          f"({n_train} rows); allowed values: 1 .. {n_train}")
    pool = config.pool_size or n_train
    if config.budget > pool:
        raise ConfigError(f"{where}: budget {config.budget} is larger than the pool ({pool} points); "
                          f"allowed values: k0 + cycles .. {pool}")


def plan_runs(configs: Iterable[RunConfig], loader: Loader = load_inputs, *,
              loaded: dict | None = None) -> list[PlannedRun]:
    """Check every config against its actual data and give each its run key, before any work.

    Datasets are loaded (embeddings are not computed) once per (dataset, embedder) pair: the
    pool and the budget are checked against the real train split, and the key covers the
    content of the data and the embeddings' fingerprint. Duplicates are dropped. A loader other
    than the default is called here; its inputs go into ``loaded`` when given, for the runs.

    Raises
    ------
    ConfigError
        Naming the parameter, the config and the allowed values.
    """
    configs = list(configs)
    for config in configs:
        if not isinstance(config, RunConfig):
            raise ConfigError(f"runs need RunConfig objects (see load_grid), got {type(config).__name__}")
    configs = _unique(configs)
    loaded = {} if loaded is None else loaded
    planned = []
    for (dataset, embedder), group in groups(configs).items():
        found = _fingerprints(dataset, embedder, loader, loaded)
        for config in group:
            _check_fits(config, found.n_train)
            planned.append(PlannedRun(config, config.run_key(found.data, found.embedding), found))
    order = {c.config_hash: i for i, c in enumerate(configs)}
    return sorted(planned, key=lambda p: order[p.config.config_hash])
