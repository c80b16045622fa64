"""Packs: runs moved into content-named files keep every key and bit, are served once, are checked
by their name, and survive an interrupted pack, a re-key and a grid that keeps writing."""

from __future__ import annotations

import hashlib
import json
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from engine_fakes import EMBEDDER, blobs, load_blobs

from almodules.engine.config import RunConfig
from almodules.engine.experiment import run_experiment
from almodules.results import grid
from almodules.results.migration import fill_defaults
from almodules.results.packs import pack_bytes, write_pack
from almodules.results.store import ResultStore


@pytest.fixture(autouse=True)
def fakes(blob_registry, monkeypatch, tmp_path):
    monkeypatch.setenv("ALM_RESULTS_DIR", str(tmp_path / "results"))


def configs(n=3, **kw):
    return [RunConfig.create(**{"dataset": "blobs", "embedder": EMBEDDER, "cycles": 3, "budget": 16,
                                "strategy": s, "seed": seed, **kw})
            for seed in range(n) for s in ("random", "margin")]


def filled(tmp_path, n=3) -> ResultStore:
    store = ResultStore(tmp_path / "store")
    for cfg in configs(n):
        data, emb = blobs()
        store.write(run_experiment(cfg, emb, data))
    return store


def canonical(store: ResultStore) -> list[dict]:
    table = store.table().sort_by([("run_key", "ascending"), ("cycle", "ascending")])
    return table.to_pylist()


def test_pack_keeps_every_key_and_bit_and_removes_the_loose_files(tmp_path):
    store = filled(tmp_path)
    before = canonical(store)
    written = store.pack()
    assert store.paths() == [] and store.packs() == written and len(written) == 1  # one dataset, one pack
    assert canonical(store) == before and len(store) == 6
    assert all(store.has(row["run_key"]) for row in before)
    size = written[0].stat().st_size
    assert size / 6 < 4096  # bytes per stored run
    assert store.pack() == []  # nothing loose: nothing written


def test_a_read_of_some_columns_equals_the_same_columns_of_a_full_read(tmp_path):
    store = filled(tmp_path)
    store.pack()
    data, emb = blobs()
    store.write(run_experiment(configs(4)[-1], emb, data))  # one loose run beside the pack
    full = store.table().sort_by([("run_key", "ascending"), ("cycle", "ascending")])
    part = store.table(["accuracy", "cycle"]).sort_by([("run_key", "ascending"), ("cycle", "ascending")])
    assert part.column_names == ["run_key", "accuracy", "cycle"] and len(store) == 7
    assert part == full.select(["run_key", "accuracy", "cycle"])


def test_a_pack_is_named_by_its_bytes(tmp_path):
    store = filled(tmp_path, n=1)
    path = store.pack()[0]
    assert path.stem == hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_interrupted_pack_serves_each_run_once_and_a_second_call_finishes(tmp_path):
    store = filled(tmp_path)
    before = canonical(store)
    write_pack(store.root, store.table())  # killed after writing the pack, before removing the loose files
    assert canonical(store) == before and len(store) == 6
    store.pack()
    assert store.paths() == [] and canonical(store) == before


def test_a_changed_pack_keeps_only_runs_whose_checksums_match(tmp_path, monkeypatch):
    store = filled(tmp_path)
    path = store.pack()[0]
    table = pq.read_table(path)
    victim = table["run_key"][0].as_py()
    accuracy = pc.if_else(pc.equal(table["run_key"], victim), 0.0, table["accuracy"])
    changed = table.set_column(table.schema.get_field_index("accuracy"), "accuracy", accuracy)
    path.write_bytes(pack_bytes(changed))  # same name, other bytes: the name no longer matches
    with pytest.warns(RuntimeWarning, match=r"does not match its name .* 1 of its 6 runs fail their checksums"):
        keys = set(store.table()["run_key"].to_pylist())
    assert victim not in keys and len(keys) == 5
    with pytest.warns(RuntimeWarning, match="does not match its name"):  # a projected read checks the same
        assert set(store.runs()["run_key"]) == keys and set(store.cycles()["run_key"]) == keys
    calls, real = [], grid.execute_run
    monkeypatch.setattr(grid, "execute_run", lambda c, i, **kw: calls.append(c) or real(c, i, **kw))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        grid.get_or_run(configs(), store=store, workers=1, progress=False, loader=load_blobs)
    assert len(calls) == 1  # only the damaged run is recomputed


def test_pack_drop_rewrites_only_the_packs_that_hold_dropped_runs(tmp_path):
    store = filled(tmp_path, n=1)
    first = store.pack()[0]
    for cfg in configs(2)[2:]:  # seed 1: a second segment
        data, emb = blobs()
        store.write(run_experiment(cfg, emb, data))
    second = store.pack()[0]
    assert sorted(store.packs()) == sorted([first, second])
    dropped = pq.read_table(second)["run_key"][0].as_py()
    written = store.pack(drop=[dropped])
    assert first in store.packs() and second not in store.packs() and len(written) == 1
    assert dropped not in set(store.table()["run_key"].to_pylist()) and len(store) == 3


def test_fill_defaults_rekeys_packed_runs(tmp_path):
    store = ResultStore()
    cfg = configs(1, ips="random")[0]
    cfg = RunConfig.create(**{**cfg.to_dict(), "strategy": "typiclust"})
    data, emb = blobs()
    res = run_experiment(cfg, emb, data)
    store.write(res)
    old = cfg.to_dict()
    del old["strategy_params"]["max_cluster_points"]
    table = pq.read_table(store.path(res.run_key))
    for name, value in (("run_key", "0" * 64), ("config_hash", "1" * 64),
                        ("config", json.dumps(old, sort_keys=True, separators=(",", ":")))):
        table = table.set_column(table.schema.get_field_index(name), name, pa.array([value] * len(table)))
    store.path(res.run_key).unlink()
    store.write_table(table)
    store.pack()
    assert fill_defaults(store) == {"0" * 64: res.run_key}
    assert set(store.table()["run_key"].to_pylist()) == {res.run_key}
    np.testing.assert_array_equal(store.load([res.run_key])["accuracy"], [r["accuracy"] for r in res.cycle_rows()])


def test_grid_skips_packed_runs_and_new_runs_go_loose(tmp_path):
    store = filled(tmp_path, n=1)
    store.pack()
    kw = {"store": store, "workers": 1, "progress": False, "loader": load_blobs}
    frame = grid.get_or_run(configs(2), **kw)
    assert frame["run_key"].nunique() == 4 and len(store.paths()) == 2 and len(store) == 4
