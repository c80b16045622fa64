"""One active-learning run: initial pool selection, then T cycles of fit / evaluate / query.

A run is fully described by a :class:`RunConfig`; :func:`run_experiment` executes it on the
cached embeddings of its dataset and returns a :class:`RunResult` (one record per cycle plus
provenance). The protocol is the paper's:

* the pool is the train split, or its stratified ``pool_size`` subsample
  (:func:`almodules.datasets.sampling.subsample_indices`, keyed by the run's seed);
* the IPS strategy labels ``k0`` pool points; then for cycle ``t = 0 .. T`` the linear probe
  (:class:`~almodules.engine.probe.LinearProbe`, ``LogisticRegression`` lbfgs, ``max_iter=1000``) is
  refit on the whole labeled pool and evaluated on the **test split**, and, except after the
  last cycle, the query strategy labels ``b = (B - k0) // T`` more points;
* strategies and IPS see only the pool (:class:`~almodules.engine.strategies.PoolState`); the test split
  is read by the evaluation alone.

Randomness comes from ``numpy.random.SeedSequence(seed)``: child 0 drives the IPS, child ``t``
the query of cycle ``t``. Runs that share ``(ips, k0, seed, pool)`` therefore share their initial
pool, so strategies are compared paired per seed, and no result depends on what else ran in
the process.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from almodules.core.atomic import array_digest, canonical_json
from almodules.core.provenance import git_commit, library_versions, package_version
from almodules.core.validation import ConfigError, check_finite_matrix, check_int
from almodules.datasets.checks import dataset_fingerprint
from almodules.datasets.loading import DatasetUnavailableError, load_dataset
from almodules.datasets.sampling import subsample_indices
from almodules.embeddings.compute import embed_dataset, embedding_fingerprint
from almodules.engine.config import RunConfig
from almodules.engine.fingerprints import Fingerprints, recorded_fingerprints
from almodules.engine.probe import LinearProbe
from almodules.engine.scores import accuracy, macro_f1
from almodules.engine.stop_signals import StopSignals
from almodules.engine.strategies import PoolState, select_batch

__all__ = ["RunInputs", "RunResult", "initial_pool_key", "pair_fingerprints", "registered_fingerprints", "load_inputs", "run_experiment", "execute_run"]


@dataclass(frozen=True)
class RunInputs:
    """What a run reads, validated: embeddings and labels of the train and test splits (no text).

    Build it with :func:`load_inputs`. Workers of a grid receive one per (dataset, embedder).
    ``data_fingerprint`` and ``embedding_fingerprint`` name what the arrays were computed from
    (:func:`~almodules.datasets.checks.dataset_fingerprint`,
    :func:`~almodules.embeddings.compute.embedding_fingerprint`); with the config they key a run's result.
    """

    train: np.ndarray
    test: np.ndarray
    train_labels: np.ndarray
    test_labels: np.ndarray
    n_classes: int
    data_fingerprint: str
    embedding_fingerprint: str

    @classmethod
    def from_objects(cls, dataset: Any, embeddings: Any) -> "RunInputs":
        """Validate a dataset (``classes``, ``train_labels``, ``test_labels``) against its embeddings
        (``train``, ``test``): finite values, one row per example, labels within the classes.

        The fingerprints are the objects' own (a :class:`~almodules.datasets.loading.TextDataset`'s
        content, :class:`~almodules.embeddings.compute.DatasetEmbeddings`' ``fingerprint``), or else
        hashes of the labels and of the arrays themselves.
        """
        n_classes = len(dataset.classes)
        labels = {}
        for split in ("train", "test"):
            y = np.asarray(getattr(dataset, f"{split}_labels"))
            if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
                raise ConfigError(f"dataset.{split}_labels must be a 1-D integer array, "
                                  f"got {y.dtype} {y.shape}")
            if y.size and (y.min() < 0 or y.max() >= n_classes):
                raise ConfigError(f"dataset.{split}_labels must lie in [0, {n_classes}) (the dataset's "
                                  f"classes), got {y.min()}..{y.max()}")
            labels[split] = y.astype(np.int64, copy=False)
        train = check_finite_matrix("embeddings.train", embeddings.train, rows=len(labels["train"]))
        test = check_finite_matrix("embeddings.test", embeddings.test, rows=len(labels["test"]))
        if train.shape[1] != test.shape[1]:
            raise ConfigError(f"embeddings.test has {test.shape[1]} columns but embeddings.train has "
                              f"{train.shape[1]}; both splits must come from the same embedder")
        embedding_fp = getattr(embeddings, "fingerprint", None) or array_digest(train, test)
        return cls(train, test, labels["train"], labels["test"], n_classes, dataset_fingerprint(dataset),
                   embedding_fp)


def pair_fingerprints(dataset: str, embedder: str) -> Fingerprints:
    """What results of ``dataset`` × ``embedder`` are keyed with, embedding nothing.

    Computed from the data when it loads on this machine; otherwise the fingerprints recorded when
    results of the pair were stored (:mod:`almodules.engine.fingerprints`, ``recorded`` set), so the
    committed results are found without the texts.

    Raises
    ------
    DatasetUnavailableError
        The data is not on this machine and no results of the pair were ever recorded.
    """
    try:
        data = load_dataset(dataset)
    except DatasetUnavailableError as exc:
        found = recorded_fingerprints(dataset, embedder)
        if found is None:
            raise DatasetUnavailableError(f"{exc} (and no stored results of {dataset} x {embedder} were "
                                          "recorded to read instead)") from None
        return found
    return Fingerprints(dataset_fingerprint(data), embedding_fingerprint(data, embedder), len(data.train_labels))


def registered_fingerprints(dataset: str, embedder: str) -> tuple[str, str, int | None]:
    """``(data fingerprint, embedding fingerprint, train rows)`` of a registered pair, embedding nothing.

    The fingerprints are those :func:`load_inputs` gives the same pair's inputs; with a config
    they make its run key (:meth:`RunConfig.run_key <almodules.engine.config.RunConfig.run_key>`).
    Without the data on this machine, the recorded ones (:func:`pair_fingerprints`).
    """
    return tuple(pair_fingerprints(dataset, embedder)[:3])


def load_inputs(dataset: str, embedder: str, *, data: Any = None, embeddings: Any = None) -> RunInputs:
    """Labels and cached embeddings of ``dataset`` under ``embedder``, validated.

    Parameters
    ----------
    dataset, embedder : str
        Registry names.
    data : TextDataset, optional
        The loaded dataset (or any object with ``classes``, ``train_labels``, ``test_labels``);
        loaded with :func:`almodules.datasets.loading.load_dataset` when omitted.
    embeddings : DatasetEmbeddings, optional
        Any object with ``train`` and ``test`` arrays in dataset order; computed or read from the
        cache with :func:`almodules.embeddings.compute.embed_dataset` when omitted.
    """
    if data is None:
        data = load_dataset(dataset)
    if embeddings is None:
        embeddings = embed_dataset(data, embedder)
    return RunInputs.from_objects(data, embeddings)


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run.

    ``cycles`` holds one dict per cycle ``t = 0 .. T``: ``cycle``, ``n_labeled``, ``accuracy``,
    ``macro_f1`` (test split, macro over all classes), ``fit_s`` (probe fit), ``infer_s`` (pool
    probabilities the strategy used to pick this row's points; 0 in row 0), ``select_s`` (time to
    pick this row's points; the IPS in row 0), ``selected`` (those points, in selection order,
    as indices into the **full train split**, so runs on different pool subsamples compare) and
    the stopping signals (:data:`~almodules.engine.stop_signals.SIGNALS`).
    """

    config: RunConfig
    data_fingerprint: str
    embedding_fingerprint: str
    cycles: tuple[dict, ...]
    n_pool: int
    n_test: int
    wall_s: float
    created_at: datetime
    package_version: str
    git_commit: str | None
    library_versions: dict

    @property
    def run_key(self) -> str:
        """The key of this result in the store: the config, the data and the code that made it."""
        return self.config.run_key(self.data_fingerprint, self.embedding_fingerprint)

    def cycle_rows(self) -> list[dict]:
        """Rows of the cycle table: the run key, the config's key columns, then the cycle's fields."""
        key = {"run_key": self.run_key, **self.config.key()}
        return [{**key, **row} for row in self.cycles]

    def run_record(self) -> dict:
        """The row of the runs table."""
        return {"run_key": self.run_key, "config_hash": self.config.config_hash, "config": self.config.to_json(),
                "data_fingerprint": self.data_fingerprint, "embedding_fingerprint": self.embedding_fingerprint,
                "code_versions": canonical_json(self.config.code_versions()),
                "package_version": self.package_version, "git_commit": self.git_commit,
                "library_versions": json.dumps(self.library_versions, sort_keys=True),
                "wall_s": self.wall_s, "created_at": self.created_at, "n_pool": self.n_pool,
                "n_test": self.n_test}


def _pool_indices(config: RunConfig, train_labels: np.ndarray) -> np.ndarray:
    n_train = len(train_labels)
    if config.pool_size is None or config.pool_size == n_train:
        return np.arange(n_train, dtype=np.int64)
    if config.pool_size > n_train:
        raise ConfigError(f"pool_size {config.pool_size} is larger than the train split of "
                          f"{config.dataset!r} ({n_train} rows); pool_size must be <= {n_train}")
    idx = subsample_indices(train_labels, config.pool_size, config.seed)
    return np.asarray(idx, dtype=np.int64)


def initial_pool_key(config: RunConfig) -> tuple:
    """What decides a run's initial pool besides its inputs: runs of one :class:`RunInputs` that
    share this key draw the same pool, bit for bit (their query strategies do not enter it)."""
    return config.ips, config.ips_params, config.k0, config.seed, config.pool_size


def execute_run(config: RunConfig, inputs: RunInputs, *, progress: bool = False,
                blas_threads: int | None = 1, initial_pools: dict | None = None,
                pool_cache: dict | None = None) -> RunResult:
    """Run ``config`` on already loaded and validated ``inputs``.

    Parameters
    ----------
    config : RunConfig
    inputs : RunInputs
    progress : bool
        Show a tqdm bar over cycles.
    blas_threads : int or None, default=1
        Cap on the BLAS / OpenMP threads for this run (threadpoolctl). One thread is the
        store's setting: a probe fitted with more threads can differ in the last bits, and
        sampling strategies (FALCUN, say) can then draw a different point and diverge. ``None``
        leaves the thread pools as they are (faster on many cores; reproducible only with the
        same thread count).
    initial_pools : dict, optional
        Initial pools already drawn on these same ``inputs``, by :func:`initial_pool_key`: a run
        whose pool is there takes it (and the seconds it took to draw) instead of drawing it again,
        and a new one is added. A grid shares one between the runs of a cell that differ only in
        their query strategy: a TypiClust initial pool costs seconds, as much as a cheap run.
    pool_cache : dict, optional
        What strategies derive from the pool alone (:attr:`PoolState.shared`: ProbCover's radius
        and ball graph), kept here per pool for other runs on these same ``inputs``: ProbCover's
        graph costs about two seconds on a 10k pool, far more than a ProbCover initial pool.
    """
    if blas_threads is not None:
        with threadpool_limits(limits=check_int("blas_threads", blas_threads, minimum=1)):
            return execute_run(config, inputs, progress=progress, blas_threads=None, initial_pools=initial_pools,
                               pool_cache=pool_cache)
    start = time.perf_counter()
    pool = _pool_indices(config, inputs.train_labels)
    if config.budget > len(pool):
        raise ConfigError(f"budget {config.budget} is larger than the pool ({len(pool)} points of "
                          f"{config.dataset!r}); budget must be <= {len(pool)}")
    X = inputs.train if len(pool) == len(inputs.train_labels) else inputs.train[pool]
    y_pool = inputs.train_labels[pool]
    # A subsampled pool depends on the seed: runs share pool-only values only on the same pool.
    pool_token = (config.pool_size, config.seed if len(pool) < len(inputs.train_labels) else None)
    shared = {} if pool_cache is None else pool_cache.setdefault(pool_token, {})
    state = PoolState(X=X, labeled=np.zeros(len(pool), dtype=bool),
                      y=np.full(len(pool), -1, dtype=np.int64), n_classes=inputs.n_classes, shared=shared)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(config.cycles + 1)]
    probe = LinearProbe(inputs.n_classes, config.probe)
    signals = StopSignals(len(pool), inputs.n_classes, config.seed)
    ips_params = dict(config.ips_params)
    strategy_params = dict(config.strategy_params)

    def label(picked: np.ndarray) -> None:
        state.labeled[picked] = True
        state.y[picked] = y_pool[picked]

    drawn = None if initial_pools is None else initial_pools.get(initial_pool_key(config))
    if drawn is None:
        t0 = time.perf_counter()
        drawn = select_batch(config.ips, state, config.k0, rngs[0], role="ips", **ips_params), time.perf_counter() - t0
        if initial_pools is not None:
            initial_pools[initial_pool_key(config)] = drawn
    picked, select_s, infer_s = drawn[0].copy(), drawn[1], 0.0
    label(picked)
    rows = []
    for t in tqdm(range(config.cycles + 1), disable=not progress, desc=config.strategy, leave=False):
        labeled = state.labeled_indices()
        t0 = time.perf_counter()
        probe.fit(X[labeled], state.y[labeled])
        fit_s = time.perf_counter() - t0
        predicted = probe.predict(inputs.test)
        t0 = time.perf_counter()
        proba = probe.predict_proba(X)
        next_infer_s = time.perf_counter() - t0
        rows.append({
            "cycle": t, "n_labeled": int(labeled.size),
            "accuracy": accuracy(inputs.test_labels, predicted),
            "macro_f1": macro_f1(inputs.test_labels, predicted, inputs.n_classes),
            "fit_s": fit_s, "infer_s": infer_s, "select_s": select_s,
            "selected": pool[picked].tolist(),
            **signals.cycle(proba, state.labeled, picked if t else None, y_pool[picked]),
        })
        if t == config.cycles:
            break
        state.probe, state.proba, state.cycle, infer_s = probe, proba, t + 1, next_infer_s
        t0 = time.perf_counter()
        picked = select_batch(config.strategy, state, config.batch_size, rngs[t + 1], **strategy_params)
        select_s = time.perf_counter() - t0
        label(picked)
    return RunResult(
        config=config, data_fingerprint=inputs.data_fingerprint, embedding_fingerprint=inputs.embedding_fingerprint,
        cycles=tuple(rows), n_pool=len(pool), n_test=len(inputs.test_labels),
        wall_s=time.perf_counter() - start, created_at=datetime.now(UTC),
        package_version=package_version(), git_commit=git_commit(), library_versions=library_versions(),
    )


def run_experiment(config: RunConfig, embeddings: Any = None, dataset: Any = None, *,
                   progress: bool = False, blas_threads: int | None = 1) -> RunResult:
    """Execute one AL run.

    Parameters
    ----------
    config : RunConfig
    embeddings : DatasetEmbeddings, optional
        ``train`` / ``test`` arrays in dataset order (the cached embeddings when omitted).
    dataset : TextDataset, optional
        Supplies ``classes``, ``train_labels`` and ``test_labels`` (loaded when omitted).
    progress : bool
        tqdm bar over cycles.
    blas_threads : int or None, default=1
        Cap on BLAS threads for the run (threadpoolctl); see :func:`execute_run`.

    Returns
    -------
    RunResult

    Raises
    ------
    ValueError
        Before any work: NaN / infinite embeddings, embeddings whose row count does not match
        the dataset, a pool smaller than the budget.
    """
    if not isinstance(config, RunConfig):
        raise ConfigError(f"config must be a RunConfig (use RunConfig.create), got {type(config).__name__}")
    inputs = load_inputs(config.dataset, config.embedder, data=dataset, embeddings=embeddings)
    return execute_run(config, inputs, progress=progress, blas_threads=blas_threads)
