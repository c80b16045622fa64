"""RunConfig: the paper's defaults, validation against the registries, one canonical hash."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import numpy as np
import pytest
from engine_fakes import BLOBS, EMBEDDER, config, run

import almodules.engine.strategies as strategies
from almodules.core.validation import NumberRule
from almodules.engine.config import RunConfig
from almodules.engine.experiment import run_experiment
from almodules.engine.probe import ProbeParams

pytestmark = pytest.mark.usefixtures("blob_registry")


def test_create_fills_the_paper_defaults():
    cfg = config()
    budget, n_classes = BLOBS["blobs"][:2]
    assert (cfg.ips, cfg.strategy, cfg.seed, cfg.cycles, cfg.pool_size) == ("random", "random", 0, 20, None)
    assert cfg.k0 == n_classes  # initial pool: one label per class on average
    assert cfg.budget == budget  # Table 2 budget of the dataset
    assert cfg.probe == ProbeParams(C=1.0, max_iter=1000, tol=1e-4, warm_start=False)
    # b = (B - k0) // T; the remainder (fewer than T labels) stays unspent.
    assert cfg.batch_size == (60 - 4) // 20 == 2 and cfg.final_labels == 44


def test_budget_rule_without_a_table_budget():
    cfg = RunConfig.create(dataset="blobs-nobudget", embedder=EMBEDDER, cycles=4)
    assert cfg.k0 == 3 and cfg.budget == 3 + 4 * 5 * 3 and cfg.batch_size == 15


def test_ips_only_run_has_budget_k0():
    cfg = config(cycles=0, k0=7)
    assert cfg.budget == 7 and cfg.batch_size == 0
    result = run(cfg)
    assert len(result.cycles) == 1 and result.cycles[0]["n_labeled"] == 7


def test_strategy_parameters_are_completed_with_defaults(monkeypatch):
    def fake(state, b, rng, *, r=3, n_random=10_000, weight=0.5):
        return strategies.random_sampling(state, b, rng)

    spec = dataclasses.replace(strategies.STRATEGIES["tyrogue"], select=fake, ips_params={"r": 1},
                               rules={**strategies.STRATEGIES["tyrogue"].rules, "weight": NumberRule(minimum=0)})
    monkeypatch.setitem(strategies.STRATEGIES, "tyrogue", spec)
    cfg = config(strategy="tyrogue", ips="tyrogue", strategy_params={"weight": 1})
    assert cfg.strategy_params == (("n_random", 10_000), ("r", 3), ("weight", 1.0))  # 1 -> 1.0
    assert cfg.ips_params == (("n_random", 10_000), ("r", 1), ("weight", 0.5))  # cold start r = 1
    assert config(strategy="tyrogue", strategy_params={"r": 3.0}).strategy_params[1] == ("r", 3)
    with pytest.raises(ValueError, match=r"unknown parameter of strategy 'tyrogue' 'q'; allowed "
                                         r"values: n_random, r, weight"):
        config(strategy="tyrogue", strategy_params={"q": 1})
    result = run(config(strategy="tyrogue", ips="tyrogue", cycles=2, budget=10))
    assert len(result.cycles) == 3


def test_config_hash_is_sha256_of_canonical_json_and_round_trips():
    cfg = config(strategy="margin", seed=3, pool_size=200)
    text = cfg.to_json()
    assert json.loads(text) == cfg.to_dict()
    assert text == json.dumps(cfg.to_dict(), sort_keys=True, separators=(",", ":"))
    assert cfg.config_hash == hashlib.sha256(text.encode()).hexdigest()
    assert text == ('{"budget":60,"cycles":20,"dataset":"blobs","embedder":"gauss","ips":"random",'
                    '"ips_params":{},"k0":4,"pool_size":200,"probe":{"C":1.0,"max_iter":1000,'
                    '"tol":0.0001,"warm_start":false},"seed":3,"strategy":"margin","strategy_params":{}}')
    again = RunConfig.from_dict(json.loads(text))
    assert again == cfg and again.config_hash == cfg.config_hash
    assert config(strategy="margin", seed=3, pool_size=200).config_hash == cfg.config_hash
    assert config(strategy="margin", seed=4, pool_size=200).config_hash != cfg.config_hash
    # Numerically equal inputs give the same hash.
    assert config(probe={"C": 1}).config_hash == config().config_hash
    assert config(seed=np.int64(3)).config_hash == config(seed=3).config_hash


@pytest.mark.parametrize("kw, match", [
    ({"strategy": "nope"}, r"unknown strategy 'nope'; allowed values: .*margin"),
    ({"strategy": "kmeans"}, r"unknown strategy 'kmeans'; allowed values"),  # an IPS only
    ({"ips": "margin"}, r"unknown ips 'margin'; allowed values: .*typiclust"),
    ({"dataset": "nope"}, r"unknown dataset 'nope'; allowed values: .*blobs"),
    ({"embedder": "nope"}, r"unknown embedder 'nope'; allowed values: .*gauss"),
    ({"k0": 0}, r"k0 must be >= 1, got 0"),
    ({"k0": -3}, r"k0 must be >= 1"),
    ({"budget": 23}, r"budget 23 leaves b = \(budget - k0\) // cycles = .* = 0 labels per cycle; "
                     r"budget must be >= k0 \+ cycles = 24"),
    ({"budget": 3}, r"budget \(3\) must be >= k0 \(4\)"),
    ({"pool_size": 50, "budget": 80}, r"budget 80 is larger than the pool \(pool_size=50\)"),
    ({"seed": -1}, r"seed must be >= 0"),
    ({"cycles": -1}, r"cycles must be >= 0"),
    ({"cycles": 0, "k0": 5, "budget": 9}, r"budget must equal k0 \(5\) in an IPS-only run"),
    ({"pool_size": 0}, r"pool_size must be >= 1"),
    ({"strategy_params": {"bogus": 1}}, r"unknown parameter of strategy 'random' 'bogus'"),
    ({"probe": {"C": -1.0}}, r"probe.C must be > 0"),
    ({"probe": {"maxiter": 5}}, r"unknown probe parameter 'maxiter'; allowed values: C, max_iter"),
    ({"colour": "red"}, r"unknown RunConfig parameter 'colour'; allowed values: budget"),
])
def test_bad_configs_name_the_parameter_and_allowed_values(kw, match):
    with pytest.raises(ValueError, match=match):
        config(**kw)


def test_type_errors():
    with pytest.raises(TypeError, match="k0 must be an integer"):
        config(k0=2.5)
    with pytest.raises(TypeError, match="needs embedder="):
        RunConfig.create(dataset="blobs")
    with pytest.raises(TypeError, match="config must be a RunConfig"):
        run_experiment({"dataset": "blobs"})


def test_direct_construction_and_from_dict_validate_too():
    with pytest.raises(ValueError, match="unknown strategy"):
        RunConfig(dataset="blobs", embedder=EMBEDDER, strategy="nope", k0=4, budget=60)
    bad = {**config().to_dict(), "k0": 0}
    with pytest.raises(ValueError, match="k0 must be >= 1"):
        RunConfig.from_dict(bad)
