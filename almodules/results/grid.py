"""Grids of runs: expand a YAML file or a dict of lists into configs and compute the missing ones.

Configs come from :mod:`almodules.results.planning` (grid files, checked and keyed there).

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

import os
import time
from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from almodules.core.paths import data_dir
from almodules.core.validation import ConfigError, check_choice, check_int
from almodules.datasets.loading import DatasetUnavailableError
from almodules.engine.config import RunConfig
from almodules.engine.experiment import RunResult, execute_run, initial_pool_key, load_inputs
from almodules.engine.fingerprints import record_fingerprints
from almodules.engine.strategies import STRATEGIES
from almodules.results.claim_files import release, try_claim
from almodules.results.planning import Loader, PlannedRun, groups, plan_runs
from almodules.results.store import ResultStore

__all__ = ["EXECUTORS", "run_grid", "get_or_run", "stored_cycles"]

EXECUTORS: tuple[str, ...] = ("local", "dask")


DASK_CONNECT_TIMEOUT_S = 10
"""Seconds to reach a Dask scheduler before the grid gives up with a message."""


def _default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _batch_key(config: RunConfig) -> tuple:
    """Runs with one key go to one process together. Runs with cycles share their initial pool;
    initial-pool-only runs of an IPS with :attr:`~.StrategySpec.pool_work` share what it builds from
    the pool (ProbCover's graph), over every k0 and seed: each is a fraction of a second once built."""
    if config.cycles == 0 and STRATEGIES[config.ips].pool_work:
        return "ips-only", config.ips, config.ips_params, config.pool_size
    return initial_pool_key(config)


def _batches(configs: list[RunConfig]) -> list[list[RunConfig]]:
    """The runs of one pair in batches (plan order kept within each), by :func:`_batch_key`."""
    batches: dict[tuple, list[RunConfig]] = {}
    for config in configs:
        batches.setdefault(_batch_key(config), []).append(config)
    return list(batches.values())


def _run_batch(configs: list[RunConfig], inputs) -> list[RunResult]:
    """One batch in one process: each initial pool is drawn once, pool-only values built once."""
    pools: dict = {}
    shared: dict = {}
    return [execute_run(c, inputs, blas_threads=1, initial_pools=pools, pool_cache=shared) for c in configs]


def _batch_tasks(groups, loader: Loader, loaded: dict) -> Iterator:
    """Every pair's batches as joblib tasks, pair after pair: one stream keeps every worker busy
    across pairs (a pair's inputs are loaded when its first batch is dispatched)."""
    for (dataset, embedder), configs in groups.items():
        inputs = loaded.get((dataset, embedder)) or loader(dataset, embedder)
        for batch in _batches(configs):
            yield delayed(_run_batch)(batch, inputs)


def _run_local(groups, workers: int, loader: Loader, loaded: dict) -> Iterator[RunResult]:
    n_runs = sum(map(len, groups.values()))
    if workers == 1 or n_runs == 1:
        for (dataset, embedder), configs in groups.items():
            inputs = loaded.get((dataset, embedder)) or loader(dataset, embedder)
            shared: dict = {}  # one process: a pair's pool-only values serve all its batches
            for batch in _batches(configs):
                pools: dict = {}
                for config in batch:  # each result is stored as soon as it ends
                    yield execute_run(config, inputs, blas_threads=1, initial_pools=pools, pool_cache=shared)
        return
    with Parallel(n_jobs=min(workers, n_runs), backend="loky", batch_size=1,
                  return_as="generator_unordered") as parallel:
        for results in parallel(_batch_tasks(groups, loader, loaded)):
            yield from results


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


def _refuse_without_data(todo: list[PlannedRun]) -> None:
    """Stop before any work when runs to compute need data that is not on this machine."""
    absent = sorted({p.config.dataset for p in todo if p.fingerprints.recorded})
    if absent:
        n = sum(p.fingerprints.recorded for p in todo)
        raise DatasetUnavailableError(
            f"{n} runs are not stored and need the texts of {', '.join(absent)}, which are not on this machine "
            f"(the stored runs of these datasets are read from their recorded fingerprints). Put each dataset's "
            f"train and test files under $ALM_DATA_DIR/<name>/ (ALM_DATA_DIR is {str(data_dir() or 'unset')!r}; "
            "see 'Use your own data' in the README), or choose stored cells or the embedded default, bbc_news")


def _record(todo: list[PlannedRun], store: ResultStore) -> None:
    """Keep the fingerprints of the pairs computed here, so their results are found without the texts."""
    for p in {(p.config.dataset, p.config.embedder): p for p in todo if not p.fingerprints.recorded}.values():
        f = p.fingerprints
        record_fingerprints(p.config.dataset, p.config.embedder, f.data, f.embedding, f.n_train, root=store.root)


def _compute(planned: list[PlannedRun], store: ResultStore, executor: str, workers: int, scheduler: Any,
             progress: bool, loader: Loader, loaded: dict) -> list[str]:
    """Compute the planned runs this process can claim; write each result as soon as it ends."""
    _refuse_without_data(planned)
    if loader is load_inputs:  # the record serves the registry's loader only (pair_fingerprints)
        _record(planned, store)
    claimed = []
    for p in planned:
        path = store.path(p.run_key)
        if not try_claim(path):
            continue
        if store.has(p.run_key):  # another grid finished it since this one looked
            release(path)
            continue
        claimed.append(p)
    if progress and len(claimed) < len(planned):
        print(f"{len(planned) - len(claimed)} of these runs are being computed by another grid on this store; "
              "left to it", flush=True)
    if not claimed:
        return []
    expected = {p.config.config_hash: p.run_key for p in claimed}
    by_pair = groups([p.config for p in claimed])
    results = (_run_local(by_pair, workers, loader, loaded) if executor == "local"
               else _run_dask(by_pair, workers, scheduler, loader, loaded))
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
    claimed are left to it (:mod:`almodules.results.claim_files`). The local executor runs a cell's
    runs that share an initial pool together and draws the pool once (the same bits as drawing it
    per run); with several processes such a batch is written when it ends, so a killed grid
    recomputes the batches it had in flight, and nothing twice.

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


def stored_cycles(configs: Iterable[RunConfig], *, store: ResultStore | None = None,
                  loader: Loader = load_inputs) -> pd.DataFrame | None:
    """Cycles of ``configs`` when every one of them is stored, else ``None``; never computes a run.

    For plans in two stages (runs chosen from other runs' results): the second stage is planned only
    once the first is complete.
    """
    store = ResultStore() if store is None else store
    configs = list(configs)
    # A config never computed on any data is missing for sure: no need to fingerprint the data to say so.
    if not {c.config_hash for c in configs} <= set(store.table(["config_hash"])["config_hash"].unique().to_pylist()):
        return None
    planned = plan_runs(configs, loader, loaded={})
    if store.missing(p.run_key for p in planned):
        return None
    return store.load(p.run_key for p in planned)
