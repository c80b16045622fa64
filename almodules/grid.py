"""Grids of runs: expand a YAML file or a dict of lists into configs and compute the missing ones.

A grid maps :class:`~almodules.experiment.RunConfig` fields to a value or a list of values;
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
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from .config import RunConfig
from .experiment import RunInputs, RunResult, execute_run, load_inputs
from .store import ResultStore
from .validation import ConfigError, check_choice, check_int

__all__ = ["EXECUTORS", "GRID_KEYS", "expand_grid", "load_grid", "run_grid", "get_or_run"]

EXECUTORS: tuple[str, ...] = ("local", "dask")
GRID_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(RunConfig))
"""Keys a grid may set: the fields of :class:`~almodules.config.RunConfig`."""

Loader = Callable[[str, str], RunInputs]


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
        with path.open(encoding="utf-8") as fh:
            source = yaml.safe_load(fh)
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


def _run_local(groups, workers: int, loader: Loader) -> Iterator[RunResult]:
    n_runs = sum(map(len, groups.values()))
    if workers == 1 or n_runs == 1:
        for (dataset, embedder), configs in groups.items():
            inputs = loader(dataset, embedder)
            for config in configs:
                yield execute_run(config, inputs, blas_threads=1)
        return
    with Parallel(n_jobs=min(workers, n_runs), backend="loky", batch_size=1,
                  return_as="generator_unordered") as parallel:
        for (dataset, embedder), configs in groups.items():
            inputs = loader(dataset, embedder)
            yield from parallel(delayed(execute_run)(c, inputs, blas_threads=1) for c in configs)


def _run_dask(groups, workers: int, scheduler, loader: Loader) -> Iterator[RunResult]:
    from distributed import Client, LocalCluster, as_completed

    cluster = client = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    elif isinstance(scheduler, str):
        client = Client(scheduler)
    try:
        active = client or scheduler
        futures = []
        for (dataset, embedder), configs in groups.items():
            inputs = active.submit(loader, dataset, embedder, pure=False)
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


def run_grid(configs: Iterable[RunConfig], *, executor: str = "local", scheduler: Any = None,
             workers: int | None = None, store: ResultStore | None = None, progress: bool = True,
             loader: Loader = load_inputs) -> list[str]:
    """Compute the runs of ``configs`` that ``store`` lacks; write each one as soon as it ends.

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
        ``loader(dataset, embedder) -> RunInputs``; default :func:`~almodules.experiment.load_inputs`
        (the cached embeddings). With ``"dask"`` it runs on a worker, so it must be importable
        there.

    Returns
    -------
    list of str
        Config hashes of the runs computed by this call.
    """
    check_choice("executor", executor, EXECUTORS)
    configs = list(configs)
    for config in configs:
        if not isinstance(config, RunConfig):
            raise ConfigError(f"run_grid needs RunConfig objects (see load_grid), got {type(config).__name__}")
    if scheduler is not None and executor != "dask":
        raise ConfigError(f"scheduler is only used by executor 'dask', got executor {executor!r}")
    workers = _default_workers() if workers is None else check_int("workers", workers, minimum=1)
    store = ResultStore() if store is None else store
    todo = store.missing(configs)
    if not todo:
        return []
    groups = _groups(todo)
    results = (_run_local(groups, workers, loader) if executor == "local"
               else _run_dask(groups, workers, scheduler, loader))
    with tqdm(total=len(todo), desc="runs", unit="run", disable=not progress) as bar:
        for result in results:
            store.write(result)
            bar.update()
    return [c.config_hash for c in todo]


def get_or_run(configs: Iterable[RunConfig], *, store: ResultStore | None = None, executor: str = "local",
               workers: int | None = None, scheduler: Any = None, progress: bool = True,
               loader: Loader = load_inputs) -> pd.DataFrame:
    """Cycles of ``configs`` from ``store``, computing (with :func:`run_grid`) only those missing.

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
        Columns :data:`~almodules.store.CYCLE_COLUMNS`, rows ordered by config (as given) and cycle.
    """
    configs = list(configs)
    store = ResultStore() if store is None else store
    run_grid(configs, executor=executor, workers=workers, scheduler=scheduler, store=store, progress=progress,
             loader=loader)
    return store.load(configs)
