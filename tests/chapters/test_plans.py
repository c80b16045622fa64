"""almodules.chapters.plans: the runs each chapter asks for, validated before anything runs."""

import pandas as pd
import pytest

from almodules.chapters import plans as chapters
from almodules.core.validation import ConfigError


def test_al_configs_cross_every_axis_with_paper_defaults():
    configs = chapters.al_configs("trec6", ["tfidf-svd", "glove-50d"], ["random", "typiclust"], ["margin", "badge"],
                                  [0, 1])
    assert len(configs) == 16
    c = configs[0]
    assert (c.k0, c.budget, c.cycles, c.pool_size) == (6, 1000, 20, None)  # Table 2 budget, k0 = classes


@pytest.mark.parametrize("kw, message", [
    ({"datasets": "nope"}, "unknown dataset 'nope'; allowed values: .*trec6"),
    ({"strategies": "magic"}, "unknown strategy 'magic'; allowed values: .*margin"),
    ({"budget": -5}, "budget must be >= "),
    ({"seeds": []}, "seeds must name at least one value"),
])
def test_al_configs_reject_bad_parameters_with_a_clear_message(kw, message):
    args = {"datasets": "trec6", "embedders": "tfidf-svd", "ips": "random", "strategies": "margin", "seeds": 0,
            **kw}
    budget = args.pop("budget", None)
    with pytest.raises(ValueError, match=message):
        chapters.al_configs(**args, budget=budget)


def test_ips_study_caps_k0_by_the_pool_and_runs_no_cycles():
    configs = chapters.ips_study_configs(["bbc_news", "trec6"], "tfidf-svd", ["random", "kmeans"], [20, 1000, 5000],
                                         [0])
    by_dataset = {}
    for c in configs:
        assert c.cycles == 0 and c.budget == c.k0
        by_dataset.setdefault(c.dataset, set()).add(c.k0)
    assert by_dataset == {"bbc_news": {20, 1000}, "trec6": {20, 1000, 5000}}
    assert chapters.capped_k0("trec6", [20, 500, 900], pool_size=600) == [20, 500]


def test_ips_study_without_any_fitting_k0_is_an_error():
    with pytest.raises(ValueError, match="none fits in the pool of 'bbc_news'"):
        chapters.ips_study_configs("bbc_news", "tfidf-svd", "random", [5000], [0])


def test_tyrogue_plan_sweeps_r_and_times_growing_pools():
    plan = chapters.tyrogue_plan("bbc_news", "tfidf-svd", ["random", "tyrogue"], "random", [0], rs=[1, 3],
                                 latency_pool_sizes=[200, 400], latency_n_random=50)
    assert len(plan["comparison"]) == 2
    assert sorted(dict(c.strategy_params)["r"] for c in plan["r"]) == [1, 3]
    latency = plan["latency"]
    assert sorted({c.pool_size for c in latency}) == [200, 400]
    tyrogue = [c for c in latency if c.strategy == "tyrogue"]
    assert all(dict(c.strategy_params)["n_random"] == 50 for c in tyrogue)
    assert all(c.cycles == 3 and c.budget == c.k0 + 60 for c in latency)
    # r=3 is TYROGUE's default: the comparison run and the r-sweep run are the same run
    default = next(c for c in plan["comparison"] if c.strategy == "tyrogue")
    assert default.config_hash in {c.config_hash for c in plan["r"]}


def test_plan_configs_flattens_plans_and_ignores_display_parameters():
    params = {"datasets": ["bbc_news"], "embedders": ["tfidf-svd"], "ips": ["random"], "strategies": ["margin"],
              "seeds": [0], "budget": None, "k0": None, "cycles": None, "pool_size": None, "knn_k": 10}
    assert len(chapters.plan_configs("al_configs", params)) == 1
    tyrogue = chapters.plan_configs("tyrogue_plan", {**params, "strategies": ["tyrogue"], "ips": "random",
                                                     "rs": [1], "latency_pool_sizes": [100]})
    assert {c.strategy for c in tyrogue} == {"tyrogue"} and len(tyrogue) == 3
    with pytest.raises(ValueError, match="unknown chapter plan 'magic'; allowed values: al_configs"):
        chapters.plan_configs("magic", params)


def test_embedding_pairs_and_mteb_table():
    assert chapters.embedding_pairs(["trec6", "bbc_news"], "tfidf-svd") == [("trec6", "tfidf-svd"),
                                                                          ("bbc_news", "tfidf-svd")]
    with pytest.raises(ValueError, match="unknown embedder 'nope'"):
        chapters.embedding_pairs("trec6", "nope")
    table = chapters.mteb_table()
    assert len(table) == 7 and table["mteb"].is_monotonic_decreasing
    assert table.iloc[0]["name"] == "nv-embed-v2" and table.iloc[0]["mteb"] == pytest.approx(72.31)


def test_fully_supervised_has_one_score_per_seed_only_for_subsampled_pools(monkeypatch):
    calls = []

    def fake(dataset, embedder, *, pool_size=None, seed=0, k=10):
        calls.append((dataset, embedder, pool_size, seed))
        return pd.DataFrame([{"dataset": dataset, "embedder": embedder, "pool_size": pool_size, "seed": seed,
                              "probe_accuracy": 0.9}])

    monkeypatch.setattr("almodules.study.diagnostics.embedding_quality", fake)
    whole = chapters.fully_supervised("trec6", "tfidf-svd", [0, 1, 2])
    assert "seed" not in whole.columns and len(whole) == 1
    sub = chapters.fully_supervised("trec6", "tfidf-svd", [0, 1], pool_size=500)
    assert list(sub["seed"]) == [0, 1]


def test_tyrogue_runs_at_its_papers_protocol_beside_the_claims():
    configs = chapters.tyrogue_protocol_configs(["bbc_news:tfidf-svd", "trec6:glove-50d"], [0, 1])
    assert len(configs) == 2 * 2 * (1 + len(chapters.TYROGUE_BASELINES))
    assert {(c.budget, c.k0, c.batch_size) for c in configs} == {(1000, 50, 50)}
    tyrogue = [c for c in configs if c.strategy == "tyrogue"]
    assert {c.ips for c in tyrogue} == {"tyrogue"} and dict(tyrogue[0].ips_params)["r"] == 1  # its cold start
    assert {c.ips for c in configs if c.strategy != "tyrogue"} == {"random"}  # the baselines' warm start
    plan = chapters.claims_plan([], [], ["random"], ["random"], [0], [20], cells=["bbc_news:tfidf-svd"],
                             latency_cells=["bbc_news:tfidf-svd"], latency_strategies=["random"],
                             latency_pool_sizes=[400], latency_seeds=[0, 1, 2])
    assert plan["tyrogue"] == [] and {c.seed for c in plan["latency"]} == {0, 1, 2}
    with pytest.raises(ConfigError, match="latency_seeds"):
        chapters.claims_plan([], [], ["random"], ["random"], [0], [20], cells=["bbc_news:tfidf-svd"], latency_seeds=[-1])
