"""Check that stored runs reproduce: recompute them and compare picks and accuracies.

The result store is a cache keyed by the run's config, so it trusts that the same config gives the
same run. :func:`verify_runs` tests that trust: it recomputes stored runs into a scratch store
(through :func:`almodules.grid.run_grid`, so on any executor) and compares them cycle by cycle
with the stored ones. A run reproduces when every cycle picked the same points; the accuracies
then agree too.

Runs are deterministic for their seed on one machine with the same embeddings (one BLAS thread
per run). Embeddings computed on another CPU can differ in their last bits, and a strategy facing
a near-tie can then pick another point; such a run diverges at some cycle, usually with accuracies
that stay close (``max_accuracy_diff``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable

import numpy as np
import pandas as pd

from .config import RunConfig
from .grid import run_grid
from .store import ResultStore

__all__ = ["verify_runs", "VERIFY_COLUMNS"]

VERIFY_COLUMNS: tuple[str, ...] = ("config_hash", "dataset", "embedder", "ips", "strategy", "seed",
                                   "reproduced", "first_divergent_cycle", "max_accuracy_diff")
"""Columns of :func:`verify_runs`' table."""


def verify_runs(configs: Iterable[RunConfig], *, store: ResultStore | None = None, executor: str = "local",
                workers: int | None = None, scheduler=None, progress: bool = True, loader=None) -> pd.DataFrame:
    """Recompute the stored runs among ``configs`` and compare them with what is stored.

    Parameters
    ----------
    configs : iterable of RunConfig
        Runs to check; those not stored are left out.
    store : ResultStore, optional
        The store to check (default: the result directory's). It is only read.
    executor, workers, scheduler, progress, loader
        As for :func:`almodules.grid.run_grid`.

    Returns
    -------
    DataFrame
        One row per run (:data:`VERIFY_COLUMNS`): ``reproduced`` is True when every cycle picked
        the same points; ``first_divergent_cycle`` is the first cycle that did not (``<NA>``
        otherwise); ``max_accuracy_diff`` the largest absolute accuracy difference.
    """
    store = store or ResultStore()
    unique = list({c.config_hash: c for c in configs}.values())
    absent = {c.config_hash for c in store.missing(unique)}
    stored = [c for c in unique if c.config_hash not in absent]
    if not stored:
        return pd.DataFrame(columns=list(VERIFY_COLUMNS))
    extra = {} if loader is None else {"loader": loader}
    with tempfile.TemporaryDirectory(prefix="alm-verify-") as tmp:
        scratch = ResultStore(tmp)
        run_grid(stored, executor=executor, workers=workers, scheduler=scheduler, store=scratch,
                 progress=progress, **extra)
        again = scratch.load(stored)
    before = store.load(stored)
    rows = []
    for config in stored:
        old = before[before["config_hash"] == config.config_hash]
        new = again[again["config_hash"] == config.config_hash]
        diverged = [int(c) for c, a, b in zip(old["cycle"], old["selected"], new["selected"])
                    if not np.array_equal(a, b)]
        rows.append({**{k: getattr(config, k) for k in ("dataset", "embedder", "ips", "strategy", "seed")},
                     "config_hash": config.config_hash, "reproduced": not diverged,
                     "first_divergent_cycle": diverged[0] if diverged else pd.NA,
                     "max_accuracy_diff": float(np.max(np.abs(old["accuracy"].to_numpy() -
                                                              new["accuracy"].to_numpy())))})
    frame = pd.DataFrame(rows, columns=list(VERIFY_COLUMNS))
    return frame.astype({"first_divergent_cycle": "Int64"})
