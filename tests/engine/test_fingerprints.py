"""Recorded fingerprints: stored runs are found without the texts, never served for other data."""

from __future__ import annotations

import pytest
from engine_fakes import EMBEDDER

import almodules.engine.experiment as experiment
from almodules.datasets.loading import DatasetUnavailableError
from almodules.engine.config import RunConfig
from almodules.engine.fingerprints import record_fingerprints, recorded_fingerprints, recorded_train_rows
from almodules.results.grid import get_or_run
from almodules.results.planning import plan_runs
from almodules.results.store import ResultStore


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("ALM_RESULTS_DIR", str(tmp_path / "results"))
    return ResultStore()


def configs(seeds=(0, 1)):
    return [RunConfig.create(dataset="blobs", embedder=EMBEDDER, strategy="margin", seed=s, cycles=3, budget=20)
            for s in seeds]


def without_texts(monkeypatch):
    def absent(name):
        raise DatasetUnavailableError(f"dataset {name!r} could not be loaded: no data directory")
    monkeypatch.setattr(experiment, "load_dataset", absent)


def test_computing_runs_records_their_fingerprints_with_the_train_size(registry_loaders, store):
    get_or_run(configs(), progress=False, workers=1)
    found = recorded_fingerprints("blobs", EMBEDDER)
    assert found is not None and found.recorded and found.n_train == 300
    assert (found.data, found.embedding) == experiment.registered_fingerprints("blobs", EMBEDDER)[:2]
    assert recorded_train_rows("blobs") == 300


def test_stored_runs_are_read_without_the_texts(registry_loaders, store, monkeypatch):
    first = get_or_run(configs(), progress=False, workers=1)
    files = sorted(p.name for p in store.paths())
    without_texts(monkeypatch)
    planned = plan_runs(configs())
    assert all(p.fingerprints.recorded for p in planned)
    again = get_or_run(configs(), progress=False, workers=1)
    assert again.drop(columns=["fit_s", "infer_s", "select_s"]).equals(first.drop(columns=["fit_s", "infer_s",
                                                                                          "select_s"]))
    assert sorted(p.name for p in store.paths()) == files


def test_a_run_to_compute_without_the_texts_is_refused_before_any_work(registry_loaders, store, monkeypatch):
    get_or_run(configs(seeds=(0,)), progress=False, workers=1)
    files = sorted(store.paths())
    without_texts(monkeypatch)
    with pytest.raises(DatasetUnavailableError, match=r"1 runs are not stored and need the texts of blobs.*ALM_DATA_DIR"):
        get_or_run(configs(seeds=(0, 1)), progress=False, workers=1)
    assert sorted(store.paths()) == files
    assert not list(store.root.rglob(".*.claim"))


def test_data_on_this_machine_wins_over_the_record(registry_loaders, store):
    record_fingerprints("blobs", EMBEDDER, "other-data", "other-embedding", 12)
    found = experiment.pair_fingerprints("blobs", EMBEDDER)
    assert not found.recorded and found.data != "other-data" and found.n_train == 300


def test_no_texts_and_no_record_names_the_pair(registry_loaders, store, monkeypatch):
    without_texts(monkeypatch)
    with pytest.raises(DatasetUnavailableError, match=f"no stored results of blobs x {EMBEDDER} were recorded"):
        experiment.pair_fingerprints("blobs", EMBEDDER)


def test_a_dataset_recorded_with_two_data_versions_has_no_train_size(store):
    record_fingerprints("d", "e1", "v1", "x", 10)
    record_fingerprints("d", "e2", "v2", "y", 11)
    assert recorded_train_rows("d") is None
    assert recorded_train_rows("unknown") is None
