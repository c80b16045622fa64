"""Grids of runs: expand a YAML file or a dict of lists into configs and compute the missing ones.

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

:func:`run_grid` computes the runs the store lacks. Runs are grouped by (dataset, embedder):
each group's embeddings are loaded once and shared by the workers, and every finished run is
written to the store at once, so a killed grid loses only the runs in flight and a rerun
computes exactly the rest. Executors:

``"local"``
    joblib's loky process pool on this machine (``workers`` processes, default: the usable
    cores). The driver loads a group's inputs once; joblib hands the arrays to the workers as
    one read-only memory map.
``"dask"``
    a Dask distributed cluster: ``scheduler`` is its address (or a ``distributed.Client``);
    without one a ``LocalCluster`` of ``workers`` single-threaded processes is started for the
    call and closed after. Each group's inputs are loaded by one task on the cluster and moved
    to every worker that runs a run of the group, once.

Every run uses one BLAS thread, so processes do not oversubscribe the cores and results do not
depend on the executor or the number of workers.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from almodules.core.validation import ConfigError, check_choice, check_int, parse_yaml
from almodules.engine.config import RunConfig
from almodules.engine.experiment import RunInputs, RunResult, execute_run, load_inputs, registered_fingerprints
from almodules.results.claim_files import release, try_claim
from almodules.results.store import ResultStore

__all__ = [
    "EXECUTORS", "GRID_KEYS", "PlannedRun", "expand_grid", "load_grid", "plan_runs", "run_grid", "get_or_run",
]

EXECUTORS: tuple[str, ...] = ("local", "dask")
GRID_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(RunConfig))
"""Keys a grid may set: the fields of :class:`~almodules.engine.config.RunConfig`."""

Loader = Callable[[str, str], RunInputs]

DASK_CONNECT_TIMEOUT_S = 10
"""Seconds to reach a Dask scheduler before the grid gives up with a message."""


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
        source = parse_yaml(path.read_text(encoding="utf-8"), f"grid file {str(path)!r}")
    return expand_grid(source)


def _unique(configs: Iterable[RunConfig]) -> list[RunConfig]:
    return list({c.config_hash: c for c in configs}.values())


def _groups(configs: list[RunConfig]) -> dict[tuple[str, str], list[RunConfig]]:
    groups: dict[tuple[str, str], list[RunConfig]] = {}
    for config in configs:
        groups.setdefault((config.dataset, config.embedder), []).append(config)
    return groups


def _default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _run_local(groups, workers: int, loader: Loader, loaded: dict) -> Iterator[RunResult]:
    n_runs = sum(map(len, groups.values()))
    if workers == 1 or n_runs == 1:
        for (dataset, embedder), configs in groups.items():
            inputs = loaded.get((dataset, embedder)) or loader(dataset, embedder)
            for config in configs:
                yield execute_run(config, inputs, blas_threads=1)
        return
    with Parallel(n_jobs=min(workers, n_runs), backend="loky", batch_size=1,
                  return_as="generator_unordered") as parallel:
        for (dataset, embedder), configs in groups.items():
            inputs = loaded.get((dataset, embedder)) or loader(dataset, embedder)
            yield from parallel(delayed(execute_run)(c, inputs, blas_threads=1) for c in configs)


def _run_dask(groups, workers: int, scheduler, loader: Loader, loaded: dict) -> Iterator[RunResult]:
    from distributed import Client, LocalCluster, as_completed

    cluster = client = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    elif isinstance(scheduler, str):
        try:
            client = Client(scheduler, timeout=DASK_CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"cannot reach the Dask scheduler {scheduler!r} within {DASK_CONNECT_TIMEOUT_S} s "
                              f"({type(exc).__name__}); start it (dask scheduler) or check the address") from None
    try:
        active = client or scheduler
        futures = []
        for (dataset, embedder), configs in groups.items():
            # Inputs the driver already holds travel from it; the others are loaded on the cluster.
            inputs = (active.scatter(loaded[dataset, embedder]) if (dataset, embedder) in loaded
                      else active.submit(loader, dataset, embedder, pure=False))
            futures += [active.submit(execute_run, c, inputs, blas_threads=1, pure=False) for c in configs]
            del inputs  # the run tasks hold it; the cluster frees it after the group's last run
        for future in as_completed(futures):
            yield future.result()
            future.release()
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


@dataclass(frozen=True)
class PlannedRun:
    """A config checked against its real data, with the key its result is stored under."""

    config: RunConfig
    run_key: str


def _fingerprints(dataset: str, embedder: str, loader: Loader, loaded: dict) -> tuple[str, str, int]:
    """``(data fingerprint, embedding fingerprint, train rows)``.

    The default loader's come from the registries without embedding anything; another loader's
    inputs are loaded here (and kept in ``loaded`` for the runs) to fingerprint their arrays.
    """
    if loader is load_inputs:
        return registered_fingerprints(dataset, embedder)
    inputs = loaded[dataset, embedder] = loader(dataset, embedder)
    return inputs.data_fingerprint, inputs.embedding_fingerprint, len(inputs.train_labels)


def _check_fits(config: RunConfig, n_train: int) -> None:
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
    for (dataset, embedder), group in _groups(configs).items():
        data_fp, embedding_fp, n_train = _fingerprints(dataset, embedder, loader, loaded)
        for config in group:
            _check_fits(config, n_train)
            planned.append(PlannedRun(config, config.run_key(data_fp, embedding_fp)))
    order = {c.config_hash: i for i, c in enumerate(configs)}
    return sorted(planned, key=lambda p: order[p.config.config_hash])


def _compute(planned: list[PlannedRun], store: ResultStore, executor: str, workers: int, scheduler: Any,
             progress: bool, loader: Loader, loaded: dict) -> list[str]:
    """Compute the planned runs this process can claim; write each result as soon as it ends."""
    claimed = []
    for p in planned:
        path = store.path(p.run_key)
        if not try_claim(path):
            continue
        if store.has(p.run_key):  # another grid finished it since this one looked
            release(path)
            continue
        claimed.append(p)
    if not claimed:
        return []
    expected = {p.config.config_hash: p.run_key for p in claimed}
    groups = _groups([p.config for p in claimed])
    results = (_run_local(groups, workers, loader, loaded) if executor == "local"
               else _run_dask(groups, workers, scheduler, loader, loaded))
    done = []
    try:
        with tqdm(total=len(claimed), desc="runs", unit="run", disable=not progress) as bar:
            for result in results:
                if result.run_key != expected[result.config.config_hash]:
                    raise RuntimeError(f"run of {result.config.dataset} x {result.config.embedder} ran on other "
                                       "data or embeddings than its key was planned for (the loader changed?)")
                store.write(result)
                done.append(result.run_key)
                bar.update()
    finally:
        for p in claimed:
            release(store.path(p.run_key))
    return done


def run_grid(configs: Iterable[RunConfig], *, executor: str = "local", scheduler: Any = None,
             workers: int | None = None, store: ResultStore | None = None, progress: bool = True,
             loader: Loader = load_inputs) -> list[str]:
    """Compute the runs of ``configs`` that ``store`` lacks; write each one as soon as it ends.

    Every config is first checked against its real data and keyed (:func:`plan_runs`), so a bad
    config stops the grid before any run. Runs that another live grid on the same store has
    claimed are left to it (:mod:`almodules.results.claim_files`).

    Parameters
    ----------
    configs : iterable of RunConfig
        E.g. from :func:`load_grid`. Duplicates and runs already stored are skipped.
    executor : {"local", "dask"}
    scheduler : str or distributed.Client, optional
        Dask scheduler address (``"tcp://host:8786"``) or a connected client; executor
        ``"dask"`` only. Without one a ``LocalCluster`` is started for this call.
    workers : int, optional
        Local processes, or the ``LocalCluster``'s workers; default: the usable cores. Ignored
        when ``scheduler`` is given.
    store : ResultStore, optional
        Default ``ResultStore()`` (``data/results/``).
    progress : bool
        tqdm bar over runs.
    loader : callable, optional
        ``loader(dataset, embedder) -> RunInputs``; default :func:`~almodules.engine.experiment.load_inputs`
        (the cached embeddings). With ``"dask"`` it runs on a worker, so it must be importable
        there.

    Returns
    -------
    list of str
        Run keys of the runs computed by this call.
    """
    check_choice("executor", executor, EXECUTORS)
    if scheduler is not None and executor != "dask":
        raise ConfigError(f"scheduler is only used by executor 'dask', got executor {executor!r}")
    workers = _default_workers() if workers is None else check_int("workers", workers, minimum=1)
    store = ResultStore() if store is None else store
    loaded: dict = {}
    planned = plan_runs(configs, loader, loaded=loaded)
    missing = set(store.missing(p.run_key for p in planned))
    return _compute([p for p in planned if p.run_key in missing], store, executor, workers, scheduler,
                    progress, loader, loaded)


def get_or_run(configs: Iterable[RunConfig], *, store: ResultStore | None = None, executor: str = "local",
               workers: int | None = None, scheduler: Any = None, progress: bool = True,
               loader: Loader = load_inputs, poll_s: float = 2.0) -> pd.DataFrame:
    """Cycles of ``configs`` from ``store``, computing only those missing.

    Runs that another grid is computing right now are waited for (every ``poll_s`` seconds),
    and computed here if that grid dies.

    Parameters
    ----------
    configs : iterable of RunConfig
    store : ResultStore, optional
        Default ``ResultStore()`` (``data/results/``).
    executor, workers, scheduler, progress, loader
        As for :func:`run_grid`, for the missing runs.

    Returns
    -------
    DataFrame
        Columns :data:`~almodules.results.store.CYCLE_COLUMNS`, rows ordered by config (as given) and cycle.
    """
    check_choice("executor", executor, EXECUTORS)
    workers = _default_workers() if workers is None else check_int("workers", workers, minimum=1)
    store = ResultStore() if store is None else store
    loaded: dict = {}
    planned = plan_runs(configs, loader, loaded=loaded)
    while missing := set(store.missing(p.run_key for p in planned)):
        todo = [p for p in planned if p.run_key in missing]
        if not _compute(todo, store, executor, workers, scheduler, progress, loader, loaded):
            time.sleep(poll_s)  # all claimed by another grid: wait for its results
    return store.load(p.run_key for p in planned)
