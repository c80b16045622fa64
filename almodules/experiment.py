"""One active-learning run: initial pool selection, then T cycles of fit / evaluate / query.

A run is fully described by a :class:`RunConfig`; :func:`run_experiment` executes it on the
cached embeddings of its dataset and returns a :class:`RunResult` (one record per cycle plus
provenance). The protocol is the paper's:

* the pool is the train split, or its stratified ``pool_size`` subsample
  (:func:`almodules.datasets.subsample_indices`, keyed by the run's seed);
* the IPS strategy labels ``k0`` pool points; then for cycle ``t = 0 .. T`` the linear probe
  (:class:`~almodules.probe.LinearProbe`, ``LogisticRegression`` lbfgs, ``max_iter=1000``) is
  refit on the whole labeled pool and evaluated on the **test split**, and, except after the
  last cycle, the query strategy labels ``b = (B - k0) // T`` more points;
* strategies and IPS see only the pool (:class:`~almodules.strategies.PoolState`); the test split
  is read by the evaluation alone.

Randomness comes from ``numpy.random.SeedSequence(seed)``: child 0 drives the IPS, child ``t``
the query of cycle ``t``. Runs that share ``(ips, k0, seed, pool)`` therefore share their initial
pool, so strategies are compared paired per seed, and no result depends on what else ran in
the process.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

import numpy as np

from . import __version__
from .paths import repo_root
from .probe import LinearProbe, ProbeParams
from .validation import check_choice, check_finite_matrix, check_int

__all__ = [
    "DEFAULT_CYCLES", "DEFAULT_LABELS_PER_CLASS_PER_CYCLE", "RunConfig", "RunInputs", "RunResult",
    "load_inputs", "run_experiment", "execute_run",
]

DEFAULT_CYCLES = 20
"""The paper's T: query rounds after the initial pool."""

DEFAULT_LABELS_PER_CLASS_PER_CYCLE = 5
"""Budget rule for datasets without a Table 2 budget: ``B = k0 + T * 5 * n_classes``."""

_SCALARS = (bool, int, float, str, type(None))
_LIBRARIES = ("numpy", "scipy", "scikit-learn", "scikit-activeml", "pandas", "pyarrow", "torch",
              "transformers", "threadpoolctl", "joblib")


def _registry(module: str, name: str):
    # Imported at call time: the dataset and embedder modules are heavy and optional for
    # readers of stored results, and importing this module must stay cheap.
    return getattr(importlib.import_module(f"almodules.{module}"), name)


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
            raise TypeError(f"{param} keys must be strings, got {key!r}")
        if isinstance(value, (list, tuple)):
            value = tuple(value)
            ok = all(isinstance(v, _SCALARS) for v in value)
        else:
            ok = isinstance(value, _SCALARS)
        if not ok:
            raise TypeError(f"{param}[{key!r}] must be a number, string, bool, None or a list of "
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


def _normalize_probe(probe: Any) -> ProbeParams:
    if probe is None:
        return ProbeParams()
    if isinstance(probe, Mapping):
        allowed = [f.name for f in dataclasses.fields(ProbeParams)]
        for key in probe:
            check_choice("probe parameter", key, allowed)
        probe = ProbeParams(**probe)
    if not isinstance(probe, ProbeParams):
        raise TypeError(f"probe must be a ProbeParams or a dict of its fields, got {type(probe).__name__}")
    C, tol = probe.C, probe.tol
    if isinstance(C, bool) or not isinstance(C, (int, float)) or not np.isfinite(C) or C <= 0:
        raise ValueError(f"probe.C must be a positive number, got {C!r}")
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not np.isfinite(tol) or tol <= 0:
        raise ValueError(f"probe.tol must be a positive number, got {tol!r}")
    check_int("probe.max_iter", probe.max_iter, minimum=1)
    if not isinstance(probe.warm_start, bool):
        raise TypeError(f"probe.warm_start must be True or False, got {probe.warm_start!r}")
    return ProbeParams(C=float(C), max_iter=int(probe.max_iter), tol=float(tol), warm_start=probe.warm_start)


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """Everything that determines one AL run; its :attr:`config_hash` keys the result store.

    Build it with :meth:`create`, which fills the paper's defaults. Construction (also from
    :meth:`from_dict`) validates every field against the registries and the protocol's
    constraints, so an invalid config never reaches the engine.

    Parameters
    ----------
    dataset, embedder : str
        Keys of :data:`almodules.datasets.DATASETS` and :data:`almodules.embedders.EMBEDDERS`.
    ips : str
        Initial pool selection, one of :data:`almodules.strategies.IPS_STRATEGIES`.
    strategy : str
        Query strategy, one of :data:`almodules.strategies.QUERY_STRATEGIES`.
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
        from .strategies import IPS_STRATEGIES, QUERY_STRATEGIES, STRATEGIES, strategy_params

        datasets = _registry("datasets", "DATASETS")
        check_choice("dataset", self.dataset, datasets)
        check_choice("embedder", self.embedder, _registry("embedders", "EMBEDDERS"))
        check_choice("ips", self.ips, IPS_STRATEGIES)
        check_choice("strategy", self.strategy, QUERY_STRATEGIES)
        for name, minimum in (("seed", 0), ("k0", 1), ("cycles", 0), ("budget", 1)):
            object.__setattr__(self, name, check_int(name, getattr(self, name), minimum=minimum))
        if self.budget < self.k0:
            raise ValueError(f"budget ({self.budget}) must be >= k0 ({self.k0}): the budget counts "
                             "the initial pool")
        if self.cycles == 0 and self.budget != self.k0:
            raise ValueError(f"budget must equal k0 ({self.k0}) in an IPS-only run (cycles=0), "
                             f"got {self.budget}")
        if self.cycles > 0 and self.budget - self.k0 < self.cycles:
            raise ValueError(
                f"budget {self.budget} leaves b = (budget - k0) // cycles = "
                f"({self.budget} - {self.k0}) // {self.cycles} = 0 labels per cycle; budget must be "
                f">= k0 + cycles = {self.k0 + self.cycles}, or use fewer cycles")
        if self.pool_size is not None:
            object.__setattr__(self, "pool_size", check_int("pool_size", self.pool_size, minimum=1))
            if self.budget > self.pool_size:
                raise ValueError(f"budget {self.budget} is larger than the pool (pool_size="
                                 f"{self.pool_size}); budget must be <= pool_size")
        n_train = datasets[self.dataset].n_train
        if n_train and self.budget > n_train:
            raise ValueError(f"budget {self.budget} is larger than the pool: the train split of "
                             f"{self.dataset!r} has {n_train} rows; budget must be <= {n_train}")
        for attr, name in (("strategy_params", self.strategy), ("ips_params", self.ips)):
            params = _normalize_params(attr, getattr(self, attr))
            known = strategy_params(STRATEGIES[name])
            for key, _ in params:
                check_choice(f"parameter of strategy {name!r}", key, known)
            object.__setattr__(self, attr, params)
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
        ValueError, TypeError
            Naming the parameter and the allowed values.
        """
        from .strategies import get_strategy, strategy_params

        for key in kw:
            check_choice("RunConfig parameter", key, [f.name for f in dataclasses.fields(cls)])
        kw = {k: v for k, v in kw.items() if v is not None}
        for key in ("dataset", "embedder"):
            if key not in kw:
                raise TypeError(f"RunConfig.create() needs {key}=")
        datasets = _registry("datasets", "DATASETS")
        spec = datasets[check_choice("dataset", kw["dataset"], datasets)]
        n_classes = spec.n_classes

        def classes_for(param: str) -> int:
            if not n_classes:
                raise ValueError(f"dataset {kw['dataset']!r} does not declare its number of classes; "
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
        for attr, role in (("strategy_params", "strategy"), ("ips_params", "ips")):
            strategy = get_strategy(kw.setdefault(role, "random"), role=role)
            defaults = strategy_params(strategy)
            given = dict(_normalize_params(attr, kw.get(attr)))
            for key in given:
                check_choice(f"parameter of strategy {strategy.name!r}", key, defaults)
            base = {**defaults, **(strategy.ips_params if role == "ips" else {})}
            kw[attr] = {k: _coerce_like(base.get(k), v) for k, v in {**base, **given}.items()}
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
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), allow_nan=False)

    @property
    def config_hash(self) -> str:
        """SHA-256 of :meth:`to_json`, hex; stable across processes, machines and sessions."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    def key(self) -> dict:
        """The columns that identify the run in the result tables."""
        return {"config_hash": self.config_hash, "dataset": self.dataset, "embedder": self.embedder,
                "ips": self.ips, "strategy": self.strategy, "seed": self.seed, "k0": self.k0,
                "budget": self.budget, "cycles": self.cycles, "pool_size": self.pool_size,
                "batch_size": self.batch_size}


@dataclass(frozen=True)
class RunInputs:
    """What a run reads, validated: embeddings and labels of the train and test splits (no text).

    Build it with :func:`load_inputs`. Workers of a grid receive one per (dataset, embedder).
    """

    train: np.ndarray
    test: np.ndarray
    train_labels: np.ndarray
    test_labels: np.ndarray
    n_classes: int

    @classmethod
    def from_objects(cls, dataset: Any, embeddings: Any) -> "RunInputs":
        """Validate a dataset (``classes``, ``train_labels``, ``test_labels``) against its embeddings
        (``train``, ``test``): finite values, one row per example, labels within the classes."""
        n_classes = len(dataset.classes)
        labels = {}
        for split in ("train", "test"):
            y = np.asarray(getattr(dataset, f"{split}_labels"))
            if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
                raise ValueError(f"dataset.{split}_labels must be a 1-D integer array, "
                                 f"got {y.dtype} {y.shape}")
            if y.size and (y.min() < 0 or y.max() >= n_classes):
                raise ValueError(f"dataset.{split}_labels must lie in [0, {n_classes}) (the dataset's "
                                 f"classes), got {y.min()}..{y.max()}")
            labels[split] = y.astype(np.int64, copy=False)
        train = check_finite_matrix("embeddings.train", embeddings.train, rows=len(labels["train"]))
        test = check_finite_matrix("embeddings.test", embeddings.test, rows=len(labels["test"]))
        if train.shape[1] != test.shape[1]:
            raise ValueError(f"embeddings.test has {test.shape[1]} columns but embeddings.train has "
                             f"{train.shape[1]}; both splits must come from the same embedder")
        return cls(train, test, labels["train"], labels["test"], n_classes)


def load_inputs(dataset: str, embedder: str, *, data: Any = None, embeddings: Any = None) -> RunInputs:
    """Labels and cached embeddings of ``dataset`` under ``embedder``, validated.

    Parameters
    ----------
    dataset, embedder : str
        Registry names.
    data : TextDataset, optional
        The loaded dataset (or any object with ``classes``, ``train_labels``, ``test_labels``);
        loaded with :func:`almodules.datasets.load_dataset` when omitted.
    embeddings : DatasetEmbeddings, optional
        Any object with ``train`` and ``test`` arrays in dataset order; computed or read from the
        cache with :func:`almodules.embeddings.embed_dataset` when omitted.
    """
    if data is None:
        data = _registry("datasets", "load_dataset")(dataset)
    if embeddings is None:
        embeddings = _registry("embeddings", "embed_dataset")(data, embedder)
    return RunInputs.from_objects(data, embeddings)


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run.

    ``cycles`` holds one dict per cycle ``t = 0 .. T``: ``cycle``, ``n_labeled``, ``accuracy``,
    ``macro_f1`` (test split, macro over all classes), ``fit_s`` (probe fit), ``infer_s`` (pool
    probabilities the strategy used to pick this row's points; 0 in row 0), ``select_s`` (time to
    pick this row's points; the IPS in row 0) and ``selected`` (those points, in selection order,
    as indices into the **full train split**, so runs on different pool subsamples compare).
    """

    config: RunConfig
    cycles: tuple[dict, ...]
    n_pool: int
    n_test: int
    wall_s: float
    created_at: datetime
    package_version: str
    git_commit: str | None
    library_versions: dict

    def cycle_rows(self) -> list[dict]:
        """Rows of the cycle table: the config's key columns, then the cycle's fields."""
        key = self.config.key()
        return [{**key, **row} for row in self.cycles]

    def run_record(self) -> dict:
        """The row of the runs table."""
        return {"config_hash": self.config.config_hash, "config": self.config.to_json(),
                "package_version": self.package_version, "git_commit": self.git_commit,
                "library_versions": json.dumps(self.library_versions, sort_keys=True),
                "wall_s": self.wall_s, "created_at": self.created_at, "n_pool": self.n_pool,
                "n_test": self.n_test}


def _git_commit() -> str | None:
    root = repo_root()
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _library_versions() -> dict:
    import platform

    versions = {"python": platform.python_version()}
    for dist in _LIBRARIES:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return versions


def _pool_indices(config: RunConfig, train_labels: np.ndarray) -> np.ndarray:
    n_train = len(train_labels)
    if config.pool_size is None or config.pool_size == n_train:
        return np.arange(n_train, dtype=np.int64)
    if config.pool_size > n_train:
        raise ValueError(f"pool_size {config.pool_size} is larger than the train split of "
                         f"{config.dataset!r} ({n_train} rows); pool_size must be <= {n_train}")
    idx = _registry("datasets", "subsample_indices")(train_labels, config.pool_size, config.seed)
    return np.asarray(idx, dtype=np.int64)


def execute_run(config: RunConfig, inputs: RunInputs, *, progress: bool = False,
                blas_threads: int | None = 1) -> RunResult:
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
    """
    if blas_threads is not None:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=check_int("blas_threads", blas_threads, minimum=1)):
            return execute_run(config, inputs, progress=progress, blas_threads=None)
    from sklearn.metrics import accuracy_score, f1_score
    from tqdm.auto import tqdm

    from .strategies import PoolState, select_batch

    start = time.perf_counter()
    pool = _pool_indices(config, inputs.train_labels)
    if config.budget > len(pool):
        raise ValueError(f"budget {config.budget} is larger than the pool ({len(pool)} points of "
                         f"{config.dataset!r}); budget must be <= {len(pool)}")
    X = inputs.train if len(pool) == len(inputs.train_labels) else inputs.train[pool]
    y_pool = inputs.train_labels[pool]
    all_labels = np.arange(inputs.n_classes)
    state = PoolState(X=X, labeled=np.zeros(len(pool), dtype=bool),
                      y=np.full(len(pool), -1, dtype=np.int64), n_classes=inputs.n_classes)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(config.cycles + 1)]
    probe = LinearProbe(inputs.n_classes, config.probe)
    ips_params = dict(config.ips_params)
    strategy_params = dict(config.strategy_params)

    def label(picked: np.ndarray) -> None:
        state.labeled[picked] = True
        state.y[picked] = y_pool[picked]

    t0 = time.perf_counter()
    picked = select_batch(config.ips, state, config.k0, rngs[0], role="ips", **ips_params)
    select_s, infer_s = time.perf_counter() - t0, 0.0
    label(picked)
    rows = []
    for t in tqdm(range(config.cycles + 1), disable=not progress, desc=config.strategy, leave=False):
        labeled = state.labeled_indices()
        t0 = time.perf_counter()
        probe.fit(X[labeled], state.y[labeled])
        fit_s = time.perf_counter() - t0
        predicted = probe.predict(inputs.test)
        rows.append({
            "cycle": t, "n_labeled": int(labeled.size),
            "accuracy": float(accuracy_score(inputs.test_labels, predicted)),
            "macro_f1": float(f1_score(inputs.test_labels, predicted, labels=all_labels,
                                       average="macro", zero_division=0)),
            "fit_s": fit_s, "infer_s": infer_s, "select_s": select_s,
            "selected": pool[picked].tolist(),
        })
        if t == config.cycles:
            break
        t0 = time.perf_counter()
        state.probe, state.proba = probe, probe.predict_proba(X)
        infer_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        picked = select_batch(config.strategy, state, config.batch_size, rngs[t + 1], **strategy_params)
        select_s = time.perf_counter() - t0
        label(picked)
    return RunResult(
        config=config, cycles=tuple(rows), n_pool=len(pool), n_test=len(inputs.test_labels),
        wall_s=time.perf_counter() - start, created_at=datetime.now(UTC),
        package_version=__version__, git_commit=_git_commit(), library_versions=_library_versions(),
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
        raise TypeError(f"config must be a RunConfig (use RunConfig.create), got {type(config).__name__}")
    inputs = load_inputs(config.dataset, config.embedder, data=dataset, embeddings=embeddings)
    return execute_run(config, inputs, progress=progress, blas_threads=blas_threads)
