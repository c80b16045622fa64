"""Two-stage plans: the first stage's runs are read only once every one of them is stored."""

from __future__ import annotations

from engine_fakes import config, load_blobs, run

from almodules.results.grid import stored_cycles
from almodules.results.store import ResultStore


def test_stored_cycles_only_when_every_run_is_stored(tmp_path, blob_registry):
    store = ResultStore(tmp_path)
    configs = [config(strategy="random", seed=seed, cycles=2) for seed in (0, 1)]
    assert stored_cycles(configs, store=store, loader=load_blobs) is None
    store.write(run(configs[0]))
    assert stored_cycles(configs, store=store, loader=load_blobs) is None
    store.write(run(configs[1]))
    cycles = stored_cycles(configs, store=store, loader=load_blobs)
    assert len(cycles) == 2 * 3 and set(cycles["seed"]) == {0, 1}
