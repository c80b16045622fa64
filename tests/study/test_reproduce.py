"""verify_runs recomputes stored runs and reports bit identity, agreement within a tolerance,
stale runs (data changed since) and whether the order of strategies would change."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from engine_fakes import config as blob_config
from engine_fakes import key_of, load_blobs, run

from almodules.results.store import SCHEMA, ResultStore
from almodules.study import reproduce
from almodules.study.reproduce import VERIFY_COLUMNS, ranking_changes, verify_runs


@pytest.fixture(autouse=True)
def fakes(blob_registry, monkeypatch, tmp_path):
    monkeypatch.setenv("ALM_RESULTS_DIR", str(tmp_path / "results"))


def config(**kw):
    return blob_config(**{"cycles": 3, "budget": 16, **kw})


def tamper(store, key, *, from_cycle, accuracy_shift, column="run_key", value=None):
    """Rewrite a stored run (with a valid checksum) as if it had picked other points."""
    rows = pq.read_table(store.path(key)).to_pylist()
    for row in rows:
        if row["cycle"] >= from_cycle:
            row["selected"] = list(reversed(row["selected"]))[:-1] + [10_000]
            row["accuracy"] -= accuracy_shift
        if value is not None:
            row[column] = value
    store.path(key).unlink()
    store.write_table(pa.Table.from_pylist(rows, schema=SCHEMA))


def test_stored_runs_reproduce_and_a_tampered_one_is_caught():
    store = ResultStore()
    good, bad, near = config(strategy="margin"), config(strategy="badge", seed=1), config(strategy="random", seed=2)
    for cfg in (good, bad, near):
        store.write(run(cfg))
    tamper(store, key_of(bad), from_cycle=2, accuracy_shift=0.125)
    tamper(store, key_of(near), from_cycle=3, accuracy_shift=0.004)

    keys = [key_of(c) for c in (good, bad, near)]
    report = verify_runs(keys + [keys[0]], store=store, workers=1, progress=False, loader=load_blobs)
    assert tuple(report.columns) == VERIFY_COLUMNS
    assert report["run_key"].tolist() == keys
    assert report["reproduced"].tolist() == [True, False, False]
    assert report["within_tolerance"].tolist() == [True, False, True]  # 0.004 < 0.01
    assert report["first_divergent_cycle"].isna().iloc[0] and report["first_divergent_cycle"].iloc[1] == 2
    assert report["max_accuracy_diff"].tolist() == pytest.approx([0.0, 0.125, 0.004])
    assert not report["stale"].any() and len(store) == 3  # the store itself is only read


def test_a_run_stored_for_other_data_is_stale_and_not_recomputed():
    store = ResultStore()
    cfg = config(strategy="margin")
    store.write(run(cfg))
    tamper(store, key_of(cfg), from_cycle=99, accuracy_shift=0, column="run_key", value="f" * 64)
    report = verify_runs(["f" * 64], store=store, workers=1, progress=False, loader=load_blobs)
    assert report["stale"].tolist() == [True] and report["reproduced"].isna().all()


def test_ranking_changes_flag_groups_whose_strategy_order_flips():
    store = ResultStore()
    margin, rand = config(strategy="margin", seed=0), config(strategy="random", seed=0)
    for cfg in (margin, rand):
        store.write(run(cfg))
    report = verify_runs([key_of(margin), key_of(rand)], store=store, workers=1, progress=False, loader=load_blobs)
    changes = ranking_changes(report, store)
    assert len(changes) == 1 and not changes["changed"].any()
    flipped = report.copy()
    flipped.loc[0, "stored_auc"], flipped.loc[1, "stored_auc"] = 0.1, 0.9
    flipped.loc[0, "recomputed_auc"], flipped.loc[1, "recomputed_auc"] = 0.9, 0.1
    assert ranking_changes(flipped, store)["changed"].tolist() == [True]


def test_unknown_keys_are_refused():
    with pytest.raises(LookupError, match="not in"):
        verify_runs(["0" * 64], store=ResultStore(), workers=1, progress=False, loader=load_blobs)


def test_every_run_records_its_blas_threads_and_numpy_simd_targets():
    versions = run(config()).library_versions
    assert versions["blas_threads"] == "1"  # a run's own limit, whatever the machine's default
    assert versions["numpy_simd"] == reproduce.numpy_simd()


@pytest.mark.parametrize("targets, expected", [
    ("X86_V3,X86_V4,AVX512_ICL", {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL", "OPENBLAS_CORETYPE": "Haswell"}),
    ("X86_V3", None),
])
def test_the_avx2_family_turns_off_exactly_the_wider_targets(targets, expected, monkeypatch):
    monkeypatch.setattr(reproduce, "numpy_simd", lambda: targets)
    assert reproduce.avx2_environment() == expected


@pytest.mark.skipif(reproduce.avx2_environment() is None, reason="this CPU computes as an AVX2-only one already")
def test_a_child_under_the_avx2_environment_uses_only_avx2_loops():
    done = subprocess.run([sys.executable, "-c", "from almodules.core.provenance import numpy_simd; print(numpy_simd())"],
                          capture_output=True, text=True, env={**os.environ, **reproduce.avx2_environment()}, check=True)
    assert done.stdout.strip() == "X86_V3"


def record_family(store, key, simd):
    """Rewrite the numpy SIMD targets a stored run records (``None``: a run from before they were recorded)."""
    rows = pq.read_table(store.path(key)).to_pylist()
    for row in rows:
        versions = json.loads(row["library_versions"])
        versions.pop("numpy_simd", None)
        if simd is not None:
            versions["numpy_simd"] = simd
        row["library_versions"] = json.dumps(versions, sort_keys=True)
    store.path(key).unlink()
    store.write_table(pa.Table.from_pylist(rows, schema=SCHEMA))


def test_a_run_that_reproduces_in_neither_family_stays_not_reproduced(monkeypatch):
    store = ResultStore()
    store.write(run(config(seed=3)))
    key = key_of(config(seed=3))
    tamper(store, key, from_cycle=2, accuracy_shift=0.0)
    record_family(store, key, None)  # computed before runs recorded their family: tried natively, then as AVX2
    monkeypatch.setattr(reproduce, "avx2_environment", lambda: {"NPY_DISABLE_CPU_FEATURES": ""})
    monkeypatch.setattr(reproduce, "verify_runs", lambda keys, **kw: _fake_table(keys, reproduced=False))
    monkeypatch.setattr(reproduce.subprocess, "run", lambda *a, **kw: subprocess.CompletedProcess(
        a, 0, stdout=_fake_table([key], reproduced=False).to_json(orient="records") + "\n", stderr=""))
    table = reproduce.verify_across_families([key], store=store, progress=False)
    assert not table["reproduced"].any()
    monkeypatch.setattr(reproduce.subprocess, "run", lambda *a, **kw: subprocess.CompletedProcess(
        a, 0, stdout=_fake_table([key], reproduced=True, simd="X86_V3").to_json(orient="records") + "\n", stderr=""))
    table = reproduce.verify_across_families([key], store=store, progress=False)
    assert table["reproduced"].all() and table.loc[0, "simd"] == "X86_V3"


def _fake_table(keys, *, reproduced, simd="X86_V3,X86_V4"):
    import pandas as pd
    return pd.DataFrame([{"run_key": k, "dataset": "blobs", "embedder": "gauss", "ips": "random", "strategy": "margin",
                          "seed": 3, "stale": False, "reproduced": reproduced,
                          "first_divergent_cycle": None if reproduced else 2, "max_accuracy_diff": 0.0,
                          "within_tolerance": True, "stored_auc": 0.5, "recomputed_auc": 0.5, "simd": simd}
                         for k in keys], columns=list(VERIFY_COLUMNS))


def test_runs_whose_data_is_not_here_are_skipped_and_the_others_verified():
    import json

    store = ResultStore()
    for seed in (4, 5):
        store.write(run(config(seed=seed)))
    gone = key_of(config(seed=5))
    text = json.loads(store.runs(run_key=gone)["config"].iloc[0])
    tamper(store, gone, from_cycle=99, accuracy_shift=0.0, column="config",
           value=json.dumps({**text, "dataset": "a-folder-of-another-machine"}))
    table = verify_runs([key_of(config(seed=4)), gone], store=store, progress=False, loader=load_blobs)
    table = table.set_index("run_key")
    assert table.loc[key_of(config(seed=4)), "reproduced"] and pd.isna(table.loc[key_of(config(seed=4)), "skipped"])
    assert "its data is not known here" in table.loc[gone, "skipped"] and "a-folder-of-another-machine" in \
        table.loc[gone, "skipped"]
    assert table.loc[gone, "dataset"] == "a-folder-of-another-machine" and not table.loc[gone, "stale"]


@pytest.mark.parametrize("recorded, here, child, note", [
    ("X86_V3", "X86_V3,X86_V4,AVX512_ICL", True, False),   # an AVX2 run on an AVX-512 CPU: emulated in a child
    ("X86_V3,X86_V4,AVX512_ICL", "X86_V3,X86_V4,AVX512_ICL", False, False),  # its own family: natively
    ("X86_V3,X86_V4,AVX512_ICL", "X86_V3", False, True),   # an AVX-512 run on an AVX2 CPU: natively, said so
])
def test_each_run_is_recomputed_under_the_family_it_records(recorded, here, child, note, monkeypatch):
    store = ResultStore()
    store.write(run(config(seed=4)))
    key = key_of(config(seed=4))
    record_family(store, key, recorded)
    monkeypatch.setattr(reproduce, "numpy_simd", lambda: here)
    calls = []
    monkeypatch.setattr(reproduce, "verify_runs", lambda keys, **kw: calls.append("native") or _fake_table(
        keys, reproduced=True))
    monkeypatch.setattr(reproduce.subprocess, "run", lambda *a, **kw: calls.append("child") or subprocess.CompletedProcess(
        a, 0, stdout=_fake_table([key], reproduced=True, simd="X86_V3").to_json(orient="records") + "\n", stderr=""))
    table = reproduce.verify_across_families([key], store=store, progress=False)
    assert calls == (["child"] if child else ["native"]) and table["reproduced"].all()
    assert (table.loc[0, "family_note"] is not None) == note
