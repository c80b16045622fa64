"""The chapters' "This run" summaries say what their tables hold."""

from __future__ import annotations

import pandas as pd

from almodules.study import summaries


def test_embedder_ranking_orders_by_the_gap_to_each_datasets_best():
    # z only on the easy dataset a: its mean accuracy is the highest, yet it is the worst there
    quality = pd.DataFrame({"dataset": ["a", "b", "a", "b", "a"], "embedder": ["x", "x", "y", "y", "z"],
                            "probe_accuracy": [0.8, 0.6, 0.9, 0.7, 0.75], "knn_accuracy": [0.5, 0.5, 0.6, 0.6, 0.5]})
    s = summaries.embedder_ranking(quality)
    assert s.values == {"embedder_ranking": "y (+0.000, 2 datasets), x (-0.100, 2 datasets), z (-0.150, 1 dataset)"}
    assert s.lines[0] == "**y**: +0.000 to the best embedder of its datasets (mean probe 0.800, k-NN 0.600; 2 datasets)"
    assert s.markdown.startswith("* **y**")


def test_ips_wins_reports_the_smallest_and_largest_k0():
    wins = pd.DataFrame({"k0": [20, 20, 500, 500], "ips": ["typiclust", "random", "typiclust", "random"],
                         "frequency": [0.75, 0.25, 0.4, 0.6]})
    s = summaries.ips_wins(wins)
    assert s.values == {"ips_wins_small": "k0 = 20: typiclust 75%, random 25%",
                        "ips_wins_large": "k0 = 500: random 60%, typiclust 40%"}


def test_al_cycles_ranks_by_auc_and_reports_the_ips_effect_or_its_absence():
    auc = pd.DataFrame({"strategy": ["margin", "random", "margin"], "mean": [0.8, 0.7, 0.9]})
    difference = pd.DataFrame({"cycle": [0, 0, 20], "mean": [0.1, 0.05, -0.01]})
    s = summaries.al_cycles(auc, difference)
    assert s.values["auc_ranking"] == "margin 0.850, random 0.700"
    assert s.values["ips_effect"] == "+0.075 at cycle 0, -0.010 at cycle 20"
    assert summaries.al_cycles(auc, None).values["ips_effect"].startswith("not run")


def test_strategy_tops_names_the_consistent_winner():
    rows = [{"dataset": "d", "embedder": "e", "k0": 1, "budget": 4, "cycles": 3, "pool_size": None, "ips": "random",
             "seed": 0, "strategy": s, "cycle": t + 1, "accuracy": a}
            for s, accs in {"A": (0.9, 0.9, 0.9), "B": (0.5, 0.6, 0.7)}.items() for t, a in enumerate(accs)]
    s = summaries.strategy_tops(pd.DataFrame(rows), ["e"])
    assert s.values["top_overall"].startswith("A (100% of 3")
    assert s.values["best_win_rate"] == "A (100%)"
    assert s.values["top_per_embedder"] == "e: A (100%)"


def test_tyrogue_costs_lists_label_costs_and_latency_ratio():
    labels = pd.DataFrame({"fraction": [0.9, 0.9, 0.95], "strategy": ["tyrogue", "coreset", "tyrogue"],
                           "mean": [120.0, 100.0, None]})
    cycles = pd.DataFrame({"dataset": "d", "embedder": "e", "k0": 1, "budget": 5, "cycles": 2, "pool_size": None,
                           "ips": "random", "seed": 0, "strategy": ["tyrogue"] * 3 + ["typiclust"] * 3 + ["coreset"] * 3,
                           "cycle": [0, 1, 2] * 3, "select_s": [9, 0.1, 0.1, 9, 0.4, 0.4, 9, 0.9, 0.9]})
    s = summaries.tyrogue_costs(labels, cycles)
    assert s.values["labels_to_target"] == "90%: coreset 100, tyrogue 120; 95%: no strategy reached it"
    assert s.values["latency_ratio"] == ("TYROGUE 0.100 s; whole-pool TypiClust 0.400 s "
                                         "(4.0× TYROGUE's)")  # the claims chapter's measure, not the slowest


def test_seed_noise_reports_the_share_and_the_narrowing():
    noise = pd.DataFrame({"strategy": ["a", "b"], "seed_share": [0.05, 0.2], "width_ratio": [0.98, 0.9]})
    s = summaries.seed_noise(noise, 5)
    assert s.values["seed_noise"] == ("Seed noise is 5%–20% of the variance of a cell's mean gain (median 12%); "
                                      "5 seeds would make the intervals over cells 2%–10% narrower.")


def test_a_study_with_the_papers_seeds_is_compared_with_more():
    assert summaries.seeds_to_compare(3) == summaries.PAPER_SEEDS == 5
    assert summaries.seeds_to_compare(5) == summaries.seeds_to_compare(8) == summaries.MORE_SEEDS


def test_seed_noise_says_when_one_seed_cannot_measure_it():
    noise = pd.DataFrame({"strategy": ["a"], "seed_share": [float("nan")], "width_ratio": [float("nan")]})
    assert "cannot be measured" in summaries.seed_noise(noise, 5).values["seed_noise"]


def test_the_study_description_is_written_from_the_cells():
    pairs = [("trec6", "glove-50d"), ("trec6", "e5-small-4bit"), ("banking77", "glove-50d"),
             ("banking77", "e5-small-4bit"), ("trec6", "all-mpnet-base-v2"), ("trec6", "all-mpnet-base-v2+pca8"),
             ("trec6", "all-mpnet-base-v2+noise0.5")]
    line = summaries.study_description(pairs, [0, 1, 2]).values["study_description"]
    assert line == ("7 dataset × embedder cells, 3 paired seeds each (the paper: 5): 2 datasets (TREC-6 and "
                    "Banking77; 1 of them with 8 or more classes); glove-50d and e5-small-4bit on every dataset; "
                    "all-mpnet-base-v2 on 1 of them (TREC-6); a controlled ladder of all-mpnet-base-v2 (pca8 and "
                    "noise0.5) on TREC-6.")
