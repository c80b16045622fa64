"""verify_runs recomputes stored runs and reports whether each one reproduced."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from almodules.config import RunConfig
from almodules.experiment import run_experiment
from almodules.reproduce import VERIFY_COLUMNS, verify_runs
from almodules.store import ResultStore
from engine_fakes import EMBEDDER, blobs, load_blobs


@pytest.fixture(autouse=True)
def fakes(blob_registry, monkeypatch, tmp_path):
    monkeypatch.setenv("ALM_RESULTS_DIR", str(tmp_path / "results"))


def config(**kw):
    return RunConfig.create(**{"dataset": "blobs", "embedder": EMBEDDER, "cycles": 3, "budget": 16, **kw})


def stored(store, cfg):
    data, emb = blobs(cfg.dataset)
    store.write(run_experiment(cfg, emb, data))


def test_stored_runs_reproduce_and_a_tampered_one_is_caught():
    store = ResultStore()
    good, bad, absent = config(strategy="margin"), config(strategy="badge", seed=1), config(seed=7)
    stored(store, good)
    stored(store, bad)
    # Pretend the badge run picked other points from cycle 2 on.
    table = pq.read_table(store.path(bad))
    rows = table.to_pylist()
    for row in rows:
        if row["cycle"] >= 2:
            row["selected"] = list(reversed(row["selected"]))[:-1] + [10_000]
            row["accuracy"] -= 0.125
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), store.path(bad))

    report = verify_runs([good, bad, absent, good], store=store, workers=1, progress=False, loader=load_blobs)
    assert tuple(report.columns) == VERIFY_COLUMNS
    assert report["config_hash"].tolist() == [good.config_hash, bad.config_hash]  # absent: not stored
    assert report["reproduced"].tolist() == [True, False]
    assert report["first_divergent_cycle"].isna().iloc[0] and report["first_divergent_cycle"].iloc[1] == 2
    assert report["max_accuracy_diff"].tolist() == pytest.approx([0.0, 0.125])
    assert len(store) == 2  # the store itself is only read


def test_nothing_stored_gives_an_empty_report():
    report = verify_runs([config()], store=ResultStore(), workers=1, progress=False, loader=load_blobs)
    assert report.empty and tuple(report.columns) == VERIFY_COLUMNS
