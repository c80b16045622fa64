"""Check that stored runs reproduce: recompute them and compare picks, accuracies and conclusions.

The result store serves a run by its key (config, data, embeddings, code), so it trusts that the
same key gives the same run. :func:`verify_runs` tests that trust: it recomputes stored runs into
a scratch store (through :func:`almodules.results.grid.run_grid`, so on any executor) and compares them
cycle by cycle with the stored ones, on three levels:

* ``reproduced``: every cycle picked the same points (bit identity, expected on the machine kind
  that computed the run: same CPU, same BLAS kernels);
* ``within_tolerance``: every cycle's accuracy within ``tolerance`` of the stored one (expected
  across machines: other BLAS kernels change the last bits, and a strategy facing a near-tie
  may then pick another point);
* :func:`ranking_changes`: whether the order of strategies by AUC within each compared group
  (dataset, embedder, IPS, seed, setting) changes, i.e. whether a chapter's conclusion would.

A stored run whose key no longer matches its config on the data registered now (the data or
the embedder changed since) is ``stale``: it is not recomputed, and no grid serves it.

Bits depend on the CPU's instruction family: numpy dispatches its own loops by the SIMD targets it
finds (AVX-512, ``X86_V4``, or AVX2 only, ``X86_V3``) and OpenBLAS picks its kernels. Every run
records the targets it ran with. :func:`verify_across_families` recomputes each run under the family
it records: a run of the AVX2 family on a CPU with AVX-512 in a child process that computes as an
AVX2-only machine does (:func:`avx2_environment`: numpy's wider targets turned off with
``NPY_DISABLE_CPU_FEATURES``, OpenBLAS pinned to its Haswell kernels); a run of the AVX-512 family on
a CPU without it cannot be, and is recomputed natively with that said (``family_note``). Runs that
record no family (computed before it was recorded) are tried natively, then as the AVX2 family. The
study is computed in the AVX2 family (``grid --family avx2``), which every x86-64 CPU with AVX2 can
reproduce. Thread counts never matter: every run uses one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable

import numpy as np
import pandas as pd

from almodules.core.provenance import numpy_simd
from almodules.core.validation import ConfigError, check_number
from almodules.datasets.loading import DatasetUnavailableError
from almodules.engine.config import RunConfig
from almodules.results.grid import run_grid
from almodules.results.planning import plan_runs
from almodules.results.store import ResultStore
from almodules.study.analysis import SETTING, area_under_curve

__all__ = ["verify_runs", "verify_across_families", "avx2_environment", "ranking_changes", "VERIFY_COLUMNS",
           "DEFAULT_TOLERANCE", "FAMILIES", "family_of"]

DEFAULT_TOLERANCE = 0.01
"""Largest per-cycle accuracy difference that still counts as agreeing across machines."""

VERIFY_COLUMNS: tuple[str, ...] = (
    "run_key", "dataset", "embedder", "ips", "strategy", "seed", "stale", "reproduced", "first_divergent_cycle",
    "max_accuracy_diff", "within_tolerance", "stored_auc", "recomputed_auc", "simd", "skipped")
"""Columns of :func:`verify_runs`' table."""


def verify_runs(run_keys: Iterable[str], *, store: ResultStore | None = None, tolerance: float = DEFAULT_TOLERANCE,
                executor: str = "local", workers: int | None = None, scheduler=None, progress: bool = True,
                loader=None) -> pd.DataFrame:
    """Recompute the stored runs ``run_keys`` and compare them with what is stored.

    Parameters
    ----------
    run_keys : iterable of str
        Keys of stored runs (e.g. a sample of ``store.runs()["run_key"]``).
    store : ResultStore, optional
        The store to check (default: the result directory's). It is only read.
    tolerance : float
        Largest accuracy difference that counts as agreement (``within_tolerance``).
    executor, workers, scheduler, progress, loader
        As for :func:`almodules.results.grid.run_grid`.

    Returns
    -------
    DataFrame
        One row per run (:data:`VERIFY_COLUMNS`); the comparison columns are empty for stale runs.
    """
    tolerance = check_number("tolerance", tolerance, minimum=0)
    store = store or ResultStore()
    keys = list(dict.fromkeys(run_keys))
    before = store.load(keys)
    runs = store.runs(run_key=keys)
    extra = {} if loader is None else {"loader": loader}
    configs, skipped, planned = _reachable(dict(zip(runs["run_key"], runs["config"])), extra)
    current = [k for k in keys if k not in skipped and planned[configs[k].config_hash] == k]
    again = pd.DataFrame(columns=before.columns)
    if current:
        with tempfile.TemporaryDirectory(prefix="alm-verify-") as tmp:
            scratch = ResultStore(tmp)
            run_grid([configs[k] for k in current], executor=executor, workers=workers, scheduler=scheduler,
                     store=scratch, progress=progress, **extra)
            again = scratch.load(current)
    auc_before, auc_again = _auc_by_key(before), _auc_by_key(again)
    rows = []
    for key in keys:
        config = configs[key]
        fields = (("dataset", "embedder", "ips", "strategy", "seed") if isinstance(config, RunConfig) else ())
        row = {**{k: getattr(config, k) for k in fields}, **({} if fields else config),
               "run_key": key, "stale": key not in current and key not in skipped, "skipped": skipped.get(key),
               "stored_auc": auc_before.get(key), "simd": numpy_simd()}
        if key in current:
            old, new = before[before["run_key"] == key], again[again["run_key"] == key]
            diverged = [int(c) for c, a, b in zip(old["cycle"], old["selected"], new["selected"])
                        if not np.array_equal(a, b)]
            diff = float(np.max(np.abs(old["accuracy"].to_numpy() - new["accuracy"].to_numpy())))
            row.update(reproduced=not diverged, first_divergent_cycle=diverged[0] if diverged else pd.NA,
                       # 1e-12: a difference of exactly the tolerance (one test example) stays within it
                       max_accuracy_diff=diff, within_tolerance=diff <= tolerance + 1e-12,
                       recomputed_auc=auc_again.get(key))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(VERIFY_COLUMNS))
    return frame.astype({"first_divergent_cycle": "Int64"})


def _reachable(texts: dict[str, str], extra: dict) -> tuple[dict, dict[str, str], dict[str, str]]:
    """Each run's config, why a run cannot be recomputed here (its data is not on this machine), and the
    key each reachable config is planned under now (``{config hash: run key}``).

    An unreachable run gets the key fields of its stored config instead of a RunConfig, and a reason.
    """
    configs, skipped, keys = {}, {}, {}
    for key, text in texts.items():
        try:
            configs[key] = RunConfig.from_dict(text)
        except ConfigError as exc:
            stored = json.loads(text)
            configs[key] = {k: stored.get(k) for k in ("dataset", "embedder", "ips", "strategy", "seed")}
            skipped[key] = f"its data is not known here ({exc})"
    by_pair: dict[tuple, list[str]] = {}
    for key, config in configs.items():
        if key not in skipped:
            by_pair.setdefault((config.dataset, config.embedder), []).append(key)
    for (dataset, embedder), group in by_pair.items():
        try:
            planned = plan_runs([configs[k] for k in group], **extra)
        except (ConfigError, DatasetUnavailableError) as exc:
            skipped.update({k: f"its data cannot be loaded here ({exc})" for k in group})
            continue
        if any(p.fingerprints.recorded for p in planned):
            skipped.update({k: f"the texts of {dataset} are not on this machine" for k in group})
        else:
            keys.update({p.config.config_hash: p.run_key for p in planned})
    return configs, skipped, keys


def avx2_environment() -> dict[str, str] | None:
    """Environment variables under which a new process computes as an AVX2-only x86-64 machine does.

    ``None`` when this CPU uses no SIMD target beyond ``X86_V3`` (it computes so already).
    """
    wider = [f for f in numpy_simd().split(",") if f and f != "X86_V3"]
    if not wider or "X86_V3" not in numpy_simd().split(","):
        return None
    return {"NPY_DISABLE_CPU_FEATURES": " ".join(wider), "OPENBLAS_CORETYPE": "Haswell"}


FAMILIES: tuple[str, ...] = ("avx2", "avx512")
"""Instruction families a run can record: numpy's widest SIMD target ``X86_V3`` or ``X86_V4``."""


def family_of(simd: str | None) -> str | None:
    """``"avx512"``, ``"avx2"`` or ``None`` (nothing recorded) for numpy SIMD targets as recorded."""
    if not simd:
        return None
    return "avx512" if "X86_V4" in simd.split(",") else "avx2"


def _in_child(keys: list[str], store: ResultStore, tolerance: float, workers: int | None,
              env: dict[str, str]) -> pd.DataFrame:
    """:func:`verify_runs` of ``keys`` in a child process under ``env`` (a family is chosen when numpy loads)."""
    script = ("import json, sys; from almodules.results.store import ResultStore; "
              "from almodules.study.reproduce import verify_runs; a = json.load(sys.stdin); "
              "t = verify_runs(a['keys'], store=ResultStore(a['root']), tolerance=a['tolerance'], "
              "workers=a['workers'], progress=False); print(t.to_json(orient='records'))")
    request = {"keys": keys, "root": str(store.root), "tolerance": tolerance, "workers": workers}
    done = subprocess.run([sys.executable, "-c", script], input=json.dumps(request), capture_output=True, text=True,
                          env={**os.environ, **env})
    if done.returncode != 0:
        raise RuntimeError(f"the AVX2-family recomputation failed: {done.stderr[-2000:]}")
    return pd.DataFrame(json.loads(done.stdout.strip().splitlines()[-1]))


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    return table[list(VERIFY_COLUMNS)].astype({
        "first_divergent_cycle": "Int64", "reproduced": "boolean", "within_tolerance": "boolean",
        "max_accuracy_diff": float, "recomputed_auc": float, "stale": bool})


def verify_across_families(run_keys: Iterable[str], *, store: ResultStore | None = None,
                           tolerance: float = DEFAULT_TOLERANCE, workers: int | None = None,
                           progress: bool = True) -> pd.DataFrame:
    """:func:`verify_runs`, each run under the instruction family it records where this CPU has it.

    Returns the table of :func:`verify_runs` plus ``family_note``: why a run could not be recomputed
    under its own family (``None`` where it was).
    """
    store = store or ResultStore()
    keys = list(dict.fromkeys(run_keys))
    runs = store.runs(run_key=keys)
    recorded = {k: family_of(json.loads(v).get("numpy_simd")) for k, v in zip(runs["run_key"], runs["library_versions"])}
    here, env = family_of(numpy_simd()), avx2_environment()
    emulated = [k for k in keys if recorded.get(k) == "avx2" and here == "avx512" and env is not None]
    native = [k for k in keys if k not in emulated]
    parts = []
    if native:
        parts.append(verify_runs(native, store=store, tolerance=tolerance, workers=workers, progress=progress))
    if emulated:
        parts.append(_in_child(emulated, store, tolerance, workers, env))
    table = pd.concat([p.astype(object) for p in parts], ignore_index=True).set_index("run_key").loc[keys]
    # Runs that record no family: computed natively above; those that differ get one more try as AVX2.
    retry = [k for k in native if recorded.get(k) is None and env is not None and not table.loc[k, "stale"]
             and pd.isna(table.loc[k, "skipped"]) and not bool(table.loc[k, "reproduced"])]
    if retry:
        again = _in_child(retry, store, tolerance, workers, env).set_index("run_key")
        better = [k for k in again.index if bool(again.loc[k, "reproduced"])]
        for column in ("reproduced", "first_divergent_cycle", "max_accuracy_diff", "within_tolerance",
                       "recomputed_auc", "simd"):
            table.loc[better, column] = again.loc[better, column].to_numpy()
    table = _typed(table.reset_index())
    table["family_note"] = [f"recorded on the AVX-512 family; this CPU ({numpy_simd()}) lacks it, so it was "
                            "recomputed as this CPU computes: compare within the tolerance"
                            if recorded.get(k) == "avx512" and here == "avx2" else None for k in table["run_key"]]
    return table


def _auc_by_key(cycles: pd.DataFrame) -> dict[str, float]:
    if cycles.empty:
        return {}
    auc = area_under_curve(cycles.assign(strategy=cycles["run_key"]))
    return dict(zip(auc["strategy"], auc["auc"]))


def ranking_changes(table: pd.DataFrame, store: ResultStore | None = None) -> pd.DataFrame:
    """Groups of verified runs whose strategy order by AUC differs between stored and recomputed.

    A group is the runs of :func:`verify_runs`' ``table`` that a chapter compares with each
    other: same dataset, embedder, IPS, seed and setting, at least two strategies.

    Returns
    -------
    DataFrame
        One row per group with at least two recomputed strategies: the group's columns,
        ``stored_order`` and ``recomputed_order`` (strategies, best first) and ``changed``.
    """
    store = store or ResultStore()
    done = table[~table["stale"].astype(bool) & table["recomputed_auc"].notna()]
    if done.empty:
        return pd.DataFrame(columns=["dataset", "embedder", "ips", "seed", "stored_order", "recomputed_order",
                                     "changed"])
    settings = store.cycles(run_key=list(done["run_key"]), cycle=0)[["run_key", *SETTING[2:]]]
    merged = done.merge(settings, on="run_key")
    rows = []
    for group, runs in merged.groupby(["dataset", "embedder", "ips", "seed", *SETTING[2:]], dropna=False):
        if runs["strategy"].nunique() < 2:
            continue
        stored = list(runs.sort_values("stored_auc", ascending=False, kind="stable")["strategy"])
        recomputed = list(runs.sort_values("recomputed_auc", ascending=False, kind="stable")["strategy"])
        rows.append({"dataset": group[0], "embedder": group[1], "ips": group[2], "seed": group[3],
                     "stored_order": stored, "recomputed_order": recomputed, "changed": stored != recomputed})
    return pd.DataFrame(rows, columns=["dataset", "embedder", "ips", "seed", "stored_order", "recomputed_order",
                                       "changed"])
