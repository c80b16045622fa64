"""Grids: expansion and validation, local and Dask executors giving identical results, a killed
grid resuming to the complete set, the CLI."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from engine_fakes import EMBEDDER, LOADER_LOG, load_blobs, start_grid_process

from almodules.cli import main
from almodules.core.validation import ConfigError
from almodules.engine.config import RunConfig
from almodules.results.grid import run_grid
from almodules.results.planning import expand_grid, load_grid, plan_runs
from almodules.results.store import ResultStore

ROOT = Path(__file__).resolve().parents[2]
TIMINGS = ["fit_s", "infer_s", "select_s"]


@pytest.fixture(autouse=True)
def fakes(blob_registry, monkeypatch, tmp_path):
    monkeypatch.setenv("ALM_RESULTS_DIR", str(tmp_path / "results"))


def small_grid(**extra):
    return {"dataset": "blobs", "embedder": EMBEDDER, "strategy": ["random", "margin"], "seed": [0, 1],
            "cycles": 3, "budget": 16, **extra}


def comparable(frame):
    return frame.drop(columns=TIMINGS).assign(selected=frame["selected"].map(list))


# --- expansion -------------------------------------------------------------------------------

def test_lists_are_crossed_and_scalars_broadcast():
    configs = expand_grid(small_grid(ips=["random", "coreset"]))
    assert len(configs) == 2 * 2 * 2
    assert [(c.strategy, c.seed, c.ips) for c in configs[:3]] == [
        ("random", 0, "random"), ("random", 0, "coreset"), ("random", 1, "random")]
    assert all(c.dataset == "blobs" and c.cycles == 3 and c.budget == 16 for c in configs)
    assert configs[0] == RunConfig.create(dataset="blobs", embedder=EMBEDDER, cycles=3, budget=16)


def test_mappings_broadcast_lists_of_mappings_sweep_and_blocks_join():
    configs = expand_grid(small_grid(probe={"warm_start": True}))
    assert len(configs) == 4 and all(c.probe.warm_start for c in configs)
    configs = expand_grid(small_grid(strategy="margin", seed=0, probe=[{"C": 0.5}, {"C": 2.0}]))
    assert [c.probe.C for c in configs] == [0.5, 2.0]
    joined = expand_grid([small_grid(), small_grid(strategy="entropy"), small_grid()])
    assert len(joined) == 4 + 2  # duplicates dropped, first occurrence kept
    assert len({c.config_hash for c in joined}) == 6


def test_yaml_file_equals_the_dict(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text("dataset: blobs\nembedder: gauss\nstrategy: [random, margin]\nseed: [0, 1]\n"
                    "cycles: 3\nbudget: 16\n")
    assert load_grid(path) == load_grid(str(path)) == expand_grid(small_grid())
    with pytest.raises(ConfigError, match="grid file .*missing.yaml' not found"):
        load_grid(tmp_path / "missing.yaml")


@pytest.mark.parametrize("grid, error, match", [
    ({"dataset": "blobs", "embedder": EMBEDDER, "colour": "red"}, ValueError,
     r"unknown grid key 'colour'; allowed values: budget, cycles, dataset"),
    ({"dataset": "blobs", "embedder": EMBEDDER, "seed": []}, ValueError, r"grid key 'seed' has an empty list"),
    ({"dataset": "blobs", "embedder": EMBEDDER, "strategy": ["margin", "nope"]}, ValueError,
     r"grid entry \{.*'strategy': 'nope'\}: unknown strategy 'nope'; allowed values: .*margin"),
    ({"dataset": ["blobs", "nope"], "embedder": EMBEDDER}, ValueError, r"unknown dataset 'nope'; allowed"),
    ({"dataset": "blobs", "embedder": EMBEDDER, "k0": [4, 0]}, ValueError, r"k0 must be >= 1"),
    ({"dataset": "blobs", "embedder": EMBEDDER, "budget": 10}, ValueError, r"0 labels per cycle"),
    ("dataset: blobs", TypeError, r"a grid must be a mapping"),
])
def test_every_config_is_validated_before_anything_runs(grid, error, match, tmp_path):
    with pytest.raises(error, match=match):
        expand_grid(grid)


def test_run_grid_rejects_bad_arguments(tmp_path):
    configs = expand_grid(small_grid())
    with pytest.raises(ValueError, match=r"unknown executor 'ray'; allowed values: dask, local"):
        run_grid(configs, executor="ray", store=ResultStore(tmp_path))
    with pytest.raises(ValueError, match="scheduler is only used by executor 'dask'"):
        run_grid(configs, scheduler="tcp://x:1", store=ResultStore(tmp_path))
    with pytest.raises(TypeError, match="runs need RunConfig objects"):
        run_grid([{"dataset": "blobs"}], store=ResultStore(tmp_path))
    with pytest.raises(ValueError, match="workers must be >= 1"):
        run_grid(configs, workers=0, store=ResultStore(tmp_path))


# --- execution --------------------------------------------------------------------------------

@pytest.mark.slow
def test_local_processes_equal_in_process_and_load_once_per_group(tmp_path, monkeypatch):
    log = tmp_path / "loads.txt"
    monkeypatch.setenv(LOADER_LOG, str(log))
    configs = expand_grid([small_grid(), small_grid(dataset="blobs-wide", budget=40)])
    one, two = ResultStore(tmp_path / "one"), ResultStore(tmp_path / "two")
    assert len(run_grid(configs, workers=1, store=one, progress=False, loader=load_blobs)) == 8
    assert len(run_grid(configs, workers=2, store=two, progress=False, loader=load_blobs)) == 8
    assert comparable(one.cycles()).equals(comparable(two.cycles()))
    loads = log.read_text().split("\n")[:-1]
    assert sorted(line.split(" ", 1)[1] for line in loads) == ["blobs gauss"] * 2 + ["blobs-wide gauss"] * 2
    assert run_grid(configs, workers=2, store=two, progress=False, loader=load_blobs) == []
    # Nothing to compute: each group is loaded once more, only to fingerprint its arrays.
    assert len(log.read_text().splitlines()) == 6


def test_runs_of_a_cell_draw_each_initial_pool_once_and_store_the_same_bits(tmp_path, monkeypatch):
    from almodules.engine import experiment

    configs = expand_grid(small_grid(ips="typiclust", strategy=["random", "margin", "badge"]))
    alone = ResultStore(tmp_path / "alone")
    for config in configs:  # one run at a time: each draws its own initial pool
        alone.write(experiment.execute_run(config, load_blobs("blobs", EMBEDDER)))
    draws, real = [], experiment.select_batch
    monkeypatch.setattr(experiment, "select_batch",
                        lambda name, *a, role="strategy", **kw: draws.append(role) or real(name, *a, role=role, **kw))
    shared = ResultStore(tmp_path / "shared")
    assert len(run_grid(configs, workers=1, store=shared, progress=False, loader=load_blobs)) == 6
    assert draws.count("ips") == 2  # one per seed, not one per run
    assert comparable(shared.cycles()).equals(comparable(alone.cycles()))




@pytest.mark.parametrize("workers", [1, 2])
def test_probcover_builds_its_graph_once_per_pool_and_stores_the_same_bits(tmp_path, monkeypatch, workers):
    import importlib

    from almodules.engine import experiment

    # the module, not the function the strategies package exports under the same name
    probcover = importlib.import_module("almodules.engine.strategies.probcover")
    ips_only = [{"dataset": "blobs", "embedder": EMBEDDER, "ips": "probcover", "strategy": "random",
                 "k0": k0, "budget": k0, "cycles": 0, "seed": [0, 1]} for k0 in (4, 8, 12)]
    configs = expand_grid([*ips_only, small_grid(strategy="probcover", pool_size=[None, 40])])
    alone = ResultStore(tmp_path / "alone")
    for config in configs:  # one run at a time, each with its own graph
        alone.write(experiment.execute_run(config, load_blobs("blobs", EMBEDDER)))
    built, real = [], probcover.ball_graph
    monkeypatch.setattr(probcover, "ball_graph", lambda *a, **kw: built.append(1) or real(*a, **kw))
    shared = ResultStore(tmp_path / "shared")
    assert len(run_grid(configs, workers=workers, store=shared, progress=False, loader=load_blobs)) == len(configs)
    if workers == 1:  # the graph of the whole pool once; the 40-point pools differ by seed
        assert len(built) == 1 + 2
    assert comparable(shared.cycles()).equals(comparable(alone.cycles()))
@pytest.mark.slow
def test_dask_local_cluster_equals_the_local_executor(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    log = tmp_path / "loads.txt"
    monkeypatch.setenv(LOADER_LOG, str(log))  # before the cluster starts: its workers inherit it
    configs = expand_grid([small_grid(), small_grid(dataset="blobs-nobudget", budget=15)])
    local, dask = ResultStore(tmp_path / "local"), ResultStore(tmp_path / "dask")
    run_grid(configs, workers=2, store=local, progress=False, loader=load_blobs)
    log.unlink()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        done = run_grid(configs, executor="dask", scheduler=cluster.scheduler_address, store=dask,
                        progress=False, loader=load_blobs)
    loads = [line.split(" ", 1)[1] for line in log.read_text().splitlines()]
    assert sorted(loads) == ["blobs gauss", "blobs-nobudget gauss"]  # one load per group, in the driver
    assert sorted(done) == sorted(p.run_key for p in plan_runs(configs, load_blobs))
    assert comparable(local.cycles()).equals(comparable(dask.cycles()))


@pytest.mark.slow
def test_a_killed_grid_resumes_to_the_complete_set(tmp_path):
    configs = expand_grid({"dataset": "blobs-wide", "embedder": EMBEDDER, "strategy": ["random", "margin"],
                           "seed": list(range(8)), "cycles": 8, "budget": 170})
    store = ResultStore(tmp_path / "store")
    proc = start_grid_process(tmp_path, configs, store.root, workers=2, start_new_session=True)
    deadline = time.monotonic() + 240
    try:
        while len(store) < 3 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    before = {p.stem for p in store.paths()}
    assert 3 <= len(before) < len(configs), "the grid should be killed mid-way"
    assert all(store.has(h) for h in before)  # whatever was written is complete

    done = run_grid(configs, workers=1, store=store, progress=False, loader=load_blobs)
    assert set(done) == {p.run_key for p in plan_runs(configs, load_blobs)} - before  # exactly the missing runs
    cycles = store.cycles()
    assert set(cycles["config_hash"]) == {c.config_hash for c in configs}
    assert not cycles.duplicated(["config_hash", "cycle"]).any()
    assert (cycles.groupby("config_hash").size() == 9).all()
    leftovers = [p for p in store.root.rglob("*") if p.is_file() and p.suffix != ".parquet"]
    # at most a killed write's temporary file and the killed grid's claims of runs in flight
    assert all(p.name.endswith((".tmp", ".claim")) for p in leftovers)
    # The resumed set equals an uninterrupted computation.
    fresh = ResultStore(tmp_path / "fresh")
    run_grid(configs[:4], workers=1, store=fresh, progress=False, loader=load_blobs)
    ref = comparable(fresh.cycles())
    assert comparable(store.cycles(config_hash=list(ref["config_hash"].unique()))).equals(ref)


# --- CLI --------------------------------------------------------------------------------------

def test_cli_run_prints_cycles_and_uses_the_store(capsys, registry_loaders, tmp_path):
    argv = ["run", "--dataset", "blobs", "--embedder", EMBEDDER, "--strategy", "margin", "--seed", "2",
            "--cycles", "3", "--budget", "16", "--json"]
    assert main(argv) == 0
    import json

    records = json.loads(capsys.readouterr().out)
    assert [r["cycle"] for r in records] == [0, 1, 2, 3] and records[-1]["n_labeled"] == 16
    assert len(ResultStore()) == 1
    assert main(argv[:-1]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["cycle", "n_labeled", "accuracy", "macro_f1", "fit_s", "infer_s",
                                           "select_s"]
    assert len(ResultStore()) == 1


def test_cli_errors_name_the_parameter(capsys):
    assert main(["run", "--dataset", "blobs", "--embedder", EMBEDDER, "--strategy", "nope"]) == 2
    assert "unknown strategy 'nope'; allowed values:" in capsys.readouterr().err
    assert main(["run", "--dataset", "blobs", "--embedder", EMBEDDER, "--k0", "0"]) == 2
    assert "k0 must be >= 1" in capsys.readouterr().err


def test_cli_grid(capsys, registry_loaders, tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text("dataset: blobs\nembedder: gauss\nstrategy: [random, margin]\ncycles: 2\nbudget: 10\n")
    assert main(["grid", str(path), "--workers", "1"]) == 0
    assert "2 runs in" in capsys.readouterr().out and len(ResultStore()) == 2
    assert main(["grid", str(path), "--workers", "1"]) == 0
    assert "0 computed, 2 already stored" in capsys.readouterr().out


def test_example_grid_is_valid(monkeypatch):
    pytest.importorskip("almodules.embeddings.registry")
    configs = load_grid(ROOT / "grids" / "example.yaml")
    assert len(configs) == 12 and {c.dataset for c in configs} == {"bbc_news"}


def test_cli_verify_checks_a_sample_of_stored_runs(capsys, registry_loaders, tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text("dataset: blobs\nembedder: gauss\nstrategy: [random, margin, badge]\ncycles: 2\nbudget: 10\n")
    assert main(["grid", str(path), "--workers", "1"]) == 0
    capsys.readouterr()
    assert main(["verify", "--strategy", "margin", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "1 of 1 bit-identical, 1 within 0.01 accuracy" in out and "margin" in out
    assert main(["verify", "--limit", "2", "--workers", "1", "--json"]) == 0
    import json

    assert [r["reproduced"] for r in json.loads(capsys.readouterr().out)["runs"]] == [True, True]
    assert main(["verify", "--strategy", "coreset"]) == 2
    assert "no stored run matches" in capsys.readouterr().err


# --- checked against the real data before any work ------------------------------------------------

@pytest.mark.parametrize("kw, match", [
    ({"budget": 400}, r"config \(dataset 'blobs', strategy 'random', seed 0\): budget 400 is larger than the "
                      r"pool \(300 points\); allowed values: k0 \+ cycles \.\. 300"),
    ({"budget": 40, "pool_size": 301}, r"pool_size 301 is larger than the train split \(300 rows\); allowed "
                                       r"values: 1 \.\. 300"),
])
def test_sizes_are_checked_against_the_real_pool_before_any_run(kw, match, tmp_path):
    store = ResultStore(tmp_path)
    good = RunConfig.create(dataset="blobs", embedder=EMBEDDER, cycles=2, budget=10)
    bad = RunConfig.create(dataset="blobs", embedder=EMBEDDER, cycles=2, **kw)
    with pytest.raises(ConfigError, match=match):
        run_grid([good, bad], workers=1, store=store, progress=False, loader=load_blobs)
    assert len(store) == 0  # the good run was not started either


def test_a_budget_equal_to_the_real_pool_is_allowed(tmp_path):
    cfg = RunConfig.create(dataset="blobs", embedder=EMBEDDER, cycles=1, budget=300)
    (planned,) = plan_runs([cfg], load_blobs)
    assert planned.config == cfg
