"""The result store: round trip, schema, get_or_run computing only what is missing, atomic
writes, corrupt files detected and recomputed."""

from __future__ import annotations

import json
import threading
import warnings

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from engine_fakes import EMBEDDER, blobs, key_of, load_blobs

import almodules.results.grid as grid
from almodules.engine.config import RunConfig
from almodules.engine.experiment import run_experiment
from almodules.results.migration import fill_defaults
from almodules.engine.stop_signals import SIGNALS
from almodules.results.store import CYCLE_COLUMNS, INDEX, RUN_COLUMNS, ResultStore

BRIEF_CYCLE_COLUMNS = ("run_key", "config_hash", "dataset", "embedder", "ips", "strategy", "seed", "k0", "budget",
                       "cycles", "pool_size", "batch_size", "cycle", "n_labeled", "accuracy", "macro_f1",
                       "fit_s", "infer_s", "select_s", "selected", "stop_agreement", "stop_kappa", "stop_delta_f",
                       "stop_confidence", "stop_entropy", "pool_changed", "batch_uncertainty", "batch_accuracy")
BRIEF_RUN_COLUMNS = ("run_key", "config_hash", "config", "data_fingerprint", "embedding_fingerprint",
                     "code_versions", "package_version", "git_commit", "library_versions", "wall_s", "created_at",
                     "n_pool", "n_test", "checksum")


@pytest.fixture(autouse=True)
def fakes(blob_registry, monkeypatch, tmp_path):
    monkeypatch.setenv("ALM_RESULTS_DIR", str(tmp_path / "results"))


@pytest.fixture
def counted(monkeypatch):
    """Count the runs the grid executes (in-process with workers=1)."""
    calls = []
    real = grid.execute_run

    def counting(config, inputs, **kw):
        calls.append(config.config_hash)
        return real(config, inputs, **kw)

    monkeypatch.setattr(grid, "execute_run", counting)
    return calls


def config(**kw):
    return RunConfig.create(**{"dataset": "blobs", "embedder": EMBEDDER, "cycles": 3, "budget": 16, **kw})


def result(cfg):
    data, emb = blobs(cfg.dataset)
    return run_experiment(cfg, emb, data, blas_threads=1)


def get_or_run(store, configs):
    return grid.get_or_run(configs, store=store, workers=1, progress=False, loader=load_blobs)


def test_default_root_is_the_results_dir(tmp_path):
    assert ResultStore().root == tmp_path / "results"


def test_round_trip_schema_and_layout(tmp_path):
    store = ResultStore(tmp_path / "store")
    cfg = config(strategy="margin")
    res = result(cfg)
    path = store.write(res)
    h = key_of(cfg)
    assert res.run_key == h and h != cfg.config_hash
    assert path == tmp_path / "store" / "runs" / h[:2] / f"{h}.parquet"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    assert store.has(h) and len(store) == 1

    cycles = store.cycles()
    assert tuple(cycles.columns) == CYCLE_COLUMNS == BRIEF_CYCLE_COLUMNS
    assert len(cycles) == 4 and (cycles["run_key"] == h).all() and (cycles["config_hash"] == cfg.config_hash).all()
    for row, expected in zip(cycles.to_dict("records"), res.cycle_rows()):
        assert list(row.pop("selected")) == expected.pop("selected")
        assert row["pool_size"] is None or pd.isna(row["pool_size"])
        row.pop("pool_size"), expected.pop("pool_size")
        for name in SIGNALS:  # undefined signals (cycle 0) are null, NaN in pandas
            got, want = row.pop(name), expected.pop(name)
            assert (want is None and pd.isna(got)) or got == want
        assert row == expected

    runs = store.runs()
    assert tuple(runs.columns) == RUN_COLUMNS == BRIEF_RUN_COLUMNS
    run = runs.iloc[0]
    assert RunConfig.from_dict(json.loads(run["config"])) == cfg
    assert json.loads(run["library_versions"])["numpy"] == np.__version__
    assert run["created_at"] == pd.Timestamp(res.created_at)
    assert (run["n_pool"], run["n_test"], run["wall_s"]) == (300, 200, res.wall_s)
    assert run["git_commit"] == res.git_commit
    assert (run["data_fingerprint"], run["embedding_fingerprint"]) == (res.data_fingerprint, res.embedding_fingerprint)
    assert json.loads(run["code_versions"]) == cfg.code_versions() and len(run["checksum"]) == 64


def test_filters(tmp_path):
    store = ResultStore(tmp_path)
    configs = [config(strategy=s, seed=seed) for s in ("random", "margin") for seed in (0, 1)]
    configs.append(config(strategy="margin", pool_size=150))
    for cfg in configs:
        store.write(result(cfg))
    assert store.cycles(strategy="margin")["config_hash"].nunique() == 3
    assert store.cycles(strategy=["margin", "random"], seed=1)["config_hash"].nunique() == 2
    assert store.cycles(pool_size=None)["config_hash"].nunique() == 4
    assert store.cycles(pool_size=150)["config_hash"].nunique() == 1
    assert len(store.runs(strategy="random")) == 2 and len(store.runs()) == 5
    assert store.cycles(cycle=0)["cycle"].eq(0).all() and len(store.cycles(cycle=0)) == 5
    assert store.cycles(dataset="other").empty and tuple(store.cycles(dataset="other").columns) == CYCLE_COLUMNS
    with pytest.raises(ValueError, match="unknown filter column 'accuracy'; allowed values: .*strategy"):
        store.cycles(accuracy=1.0)


def test_empty_store(tmp_path):
    store = ResultStore(tmp_path)
    assert store.cycles().empty and store.runs().empty and len(store) == 0
    assert not store.has(key_of(config()))


def test_get_or_run_computes_only_what_is_missing(tmp_path, counted):
    store = ResultStore(tmp_path)
    first = [config(strategy="margin", seed=s) for s in range(3)]
    frame = get_or_run(store, first)
    assert len(counted) == 3
    assert list(dict.fromkeys(frame["config_hash"])) == [c.config_hash for c in first]
    assert list(frame["cycle"]) == [0, 1, 2, 3] * 3

    more = first[1:] + [config(strategy="entropy", seed=0), first[0]]  # overlap, duplicate
    frame2 = get_or_run(store, more)
    assert len(counted) == 4  # only the entropy run was new
    assert list(dict.fromkeys(frame2["config_hash"])) == list(dict.fromkeys(c.config_hash for c in more))
    pd.testing.assert_frame_equal(
        frame2[frame2.config_hash == first[1].config_hash].reset_index(drop=True),
        frame[frame.config_hash == first[1].config_hash].reset_index(drop=True))

    assert get_or_run(store, first).shape == frame.shape
    assert len(counted) == 4 and len(store) == 4


def test_writing_the_same_run_twice_replaces_it(tmp_path):
    store = ResultStore(tmp_path)
    cfg = config()
    store.write(result(cfg))
    store.write(result(cfg))
    assert len(store) == 1 and len(store.cycles()) == 4
    assert [p.name for p in store.path(key_of(cfg)).parent.iterdir()] == [store.path(key_of(cfg)).name]


def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    cfg = config()
    res = result(cfg)

    def broken(table, where, **kw):
        where.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        store.write(res)
    assert not store.has(key_of(cfg)) and list(store.path(key_of(cfg)).parent.iterdir()) == []


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_corrupt_files_are_reported_and_recomputed(tmp_path, counted, damage):
    store = ResultStore(tmp_path)
    good, bad = config(seed=0), config(seed=1)
    expected = get_or_run(store, [good, bad])
    path = store.path(key_of(bad))
    raw = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "flip":  # one byte inside the first data page: caught by the page checksum
        flipped = bytearray(raw)
        flipped[40] ^= 0xFF
        path.write_bytes(bytes(flipped))
    elif damage == "garbage":
        path.write_bytes(b"not a parquet file at all" * 10)
    else:
        path.write_bytes(b"")
    with pytest.warns(RuntimeWarning, match=f"(unreadable|corrupt) run file .*{key_of(bad)}"):
        assert not store.has(key_of(bad))
    assert store.has(key_of(good))
    with pytest.warns(RuntimeWarning, match="(unreadable|corrupt) run file"):
        assert set(store.cycles()["config_hash"]) == {good.config_hash}
    with pytest.warns(RuntimeWarning, match="recomputed"):
        again = get_or_run(store, [good, bad])
    assert counted[2:] == [bad.config_hash]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert store.has(key_of(bad))
    columns = [c for c in again.columns if c not in ("fit_s", "infer_s", "select_s")]
    pd.testing.assert_frame_equal(again[columns], expected[columns])


def test_a_file_holding_another_run_is_not_trusted(tmp_path):
    store = ResultStore(tmp_path)
    a, b = config(seed=0), config(seed=1)
    store.write(result(a))
    ka, kb = key_of(a), key_of(b)
    store.path(kb).parent.mkdir(parents=True, exist_ok=True)
    store.path(kb).write_bytes(store.path(ka).read_bytes())
    with pytest.warns(RuntimeWarning, match=f"holds run keys .*{ka}.*expected {kb}"):
        frame = store.cycles()
    assert set(frame["run_key"]) == {ka} and len(frame) == 4
    with pytest.warns(RuntimeWarning, match="recomputed"):
        assert store.missing([ka, kb]) == [kb]


def test_readers_never_see_a_partial_file(tmp_path):
    store = ResultStore(tmp_path)
    results = [result(config(seed=s)) for s in range(3)]
    for res in results:
        store.write(res)
    stop, errors = threading.Event(), []

    def writer():
        while not stop.is_set():
            for res in results:
                store.write(res)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an unreadable file would warn
            for _ in range(30):
                frame = store.cycles()
                if len(frame) != 12:
                    errors.append(len(frame))
    finally:
        stop.set()
        thread.join()
    assert not errors


def test_the_index_reads_only_new_or_changed_files(tmp_path, monkeypatch):
    store = ResultStore(tmp_path)
    a, b, c = (config(seed=s) for s in range(3))
    store.write(result(a))
    store.write(result(b))
    reads = []
    real = ResultStore._read_files

    def spy(self, paths):
        reads.append(sorted(p.stem for p in paths))
        return real(self, paths)

    monkeypatch.setattr(ResultStore, "_read_files", spy)
    ka, kb, kc = key_of(a), key_of(b), key_of(c)
    assert len(store.cycles()) == 8 and reads == [sorted([ka, kb])]
    assert (tmp_path / INDEX).is_file() and len(store) == 2
    assert len(store.cycles()) == 8 and len(store.runs()) == 2 and len(reads) == 1  # index only
    store.write(result(c))
    assert len(store.cycles()) == 12 and reads[-1] == [kc]
    rerun = result(a)
    store.write(rerun)  # same key, new content: re-read
    assert store.runs(run_key=ka)["wall_s"].item() == rerun.wall_s
    assert reads[-1] == [ka]
    store.path(kb).unlink()  # a deleted run disappears without reading anything
    assert set(store.cycles()["run_key"]) == {ka, kc} and len(reads) == 3
    (tmp_path / INDEX).unlink()  # derived: rebuilt from the run files
    assert len(store.cycles()) == 8 and len(reads) == 4
    (tmp_path / INDEX).write_bytes(b"junk")
    with pytest.warns(RuntimeWarning, match="rebuilding the unreadable index"):
        assert len(store.cycles()) == 8
    assert len(store.cycles()) == 8 and len(reads) == 5


def test_load_raises_for_runs_not_stored(tmp_path):
    store = ResultStore(tmp_path)
    with pytest.raises(LookupError, match="1 of 1 runs are not in"):
        store.load([key_of(config())])


def test_fill_defaults_rekeys_runs_stored_before_a_parameter_existed(tmp_path):
    store = ResultStore()
    cfg = config(strategy="typiclust", seed=3)
    res = result(cfg)
    store.write(res)
    # The same run as stored before TypiClust had max_cluster_points: its config lacks it.
    old_dict = cfg.to_dict()
    del old_dict["strategy_params"]["max_cluster_points"]
    old_json = json.dumps(old_dict, sort_keys=True, separators=(",", ":"))
    table = pq.read_table(store.path(res.run_key))
    for name, value in (("run_key", "0" * 64), ("config_hash", "1" * 64), ("config", old_json)):
        table = table.set_column(table.schema.get_field_index(name), name, [[value] * len(table)])
    store.path(res.run_key).unlink()
    store.write_table(table)

    assert fill_defaults(store) == {"0" * 64: res.run_key}
    assert store.paths() == [store.path(res.run_key)]
    back = store.load([res.run_key])
    np.testing.assert_array_equal(back["accuracy"], [row["accuracy"] for row in res.cycle_rows()])
    assert store.runs()["config"].tolist() == [cfg.to_json()]
    assert store.runs()["config_hash"].tolist() == [cfg.config_hash]
    assert fill_defaults(store) == {}  # idempotent


def test_any_flipped_byte_is_detected_or_harmless(tmp_path):
    """A flipped byte anywhere (data pages, footer, statistics) never serves other values."""
    store = ResultStore(tmp_path)
    cfg = config(strategy="margin")
    store.write(result(cfg))
    key = key_of(cfg)
    path = store.path(key)
    raw = path.read_bytes()
    expected = store.load([key]).drop(columns=["selected"]), store.load([key])["selected"].map(list).tolist()
    rng = np.random.default_rng(0)
    served_other = []
    for position in sorted(set(rng.choice(len(raw), size=min(250, len(raw)), replace=False).tolist())):
        flipped = bytearray(raw)
        flipped[position] ^= 1 << int(rng.integers(8))
        path.write_bytes(bytes(flipped))
        (tmp_path / INDEX).unlink(missing_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if not store.missing([key]):
                got = store.load([key])
                if not (got.drop(columns=["selected"]).equals(expected[0])
                        and got["selected"].map(list).tolist() == expected[1]):
                    served_other.append(position)
    assert not served_other, f"flips at {served_other} changed the values served"


def test_temporary_files_of_killed_writes_are_removed_once_stale(tmp_path):
    import os
    import time

    from almodules.results.store import STALE_TMP_S

    store = ResultStore(tmp_path)
    store.write(result(config()))
    folder = store.path(key_of(config())).parent
    old, fresh = folder / ".x.1.ab.tmp", folder / ".y.2.cd.tmp"
    old.write_bytes(b"half")
    fresh.write_bytes(b"in flight")
    os.utime(old, (time.time() - STALE_TMP_S - 10,) * 2)
    assert len(store) == 1
    assert not old.exists() and fresh.exists()  # a write in flight is left alone


def test_both_constructors_give_one_hash():
    direct = RunConfig(dataset="blobs", embedder=EMBEDDER, k0=4, budget=16, cycles=3, strategy="typiclust",
                       strategy_params={"knn": 20.0})
    assert direct == config(strategy="typiclust") and direct.config_hash == config(strategy="typiclust").config_hash
    assert dict(direct.strategy_params)["knn"] == 20 and isinstance(dict(direct.strategy_params)["knn"], int)


@pytest.mark.slow
def test_two_grids_on_one_store_compute_each_run_once(tmp_path):
    import subprocess

    from engine_fakes import start_grid_process

    from almodules.results.planning import expand_grid

    configs = expand_grid({"dataset": "blobs-wide", "embedder": EMBEDDER, "strategy": ["random", "margin"],
                           "seed": list(range(6)), "cycles": 6, "budget": 130})
    procs = []
    for i in range(2):
        (tmp_path / str(i)).mkdir()
        procs.append(start_grid_process(tmp_path / str(i), configs, tmp_path / "store", stdout=subprocess.PIPE,
                                        text=True))
    computed = [int(p.communicate(timeout=300)[0].split()[-1]) for p in procs]
    store = ResultStore(tmp_path / "store")
    assert len(store) == len(configs)
    assert sum(computed) == len(configs), computed  # every run computed by exactly one of them
    assert not list((tmp_path / "store").rglob(".*.claim"))
