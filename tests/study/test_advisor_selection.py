"""The nested leave-one-dataset-out comparison of the advisor, the fixed rules and the schedule."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from almodules.study import advisor_selection as sel

STRATEGIES = ["random", "margin", "badge"]


def cells(best_of, n_datasets=4, n_embedders=3, seed=0):
    """Cells whose best strategy is ``best_of(dataset index)``, with one label-free measure."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, e in itertools.product(range(n_datasets), range(n_embedders)):
        auc = {s: 0.70 + 0.01 * rng.random() for s in STRATEGIES}
        auc[best_of(i)] += 0.05
        rows.append({"dataset": f"d{i}", "embedder": f"e{e}", "m": float(i) + 0.1 * e,
                     **{f"auc_{s}": a for s, a in auc.items()},
                     **{f"gain_{s}": auc[s] - auc["random"] for s in STRATEGIES if s != "random"}})
    return pd.DataFrame(rows)


def test_the_rule_is_chosen_without_the_held_out_dataset():
    # d0 is the only dataset where Margin is best: a rule trained on the others says Badge there.
    table = cells(lambda i: "margin" if i == 0 else "badge")
    nested = sel.nested_evaluation(table, ["m"], STRATEGIES).set_index("dataset")
    assert nested.loc["d0", "best_rule"] == "badge" and nested.loc["d0", "best_rule_regret"] > 0.03
    assert nested.loc["d1", "best_rule"] == "badge" and nested.loc["d1", "best_rule_regret"] == 0.0
    assert nested.loc["d0", "always_margin"] == 0.0


def test_the_schedule_is_compared_on_its_own_runs():
    table = cells(lambda i: "badge")
    table["auc_schedule"] = table[[f"auc_{s}" for s in STRATEGIES]].max(axis=1) + 0.01  # beats every fixed one
    nested = sel.nested_evaluation(table, ["m"], STRATEGIES)
    assert nested["schedule"].to_numpy() == pytest.approx(-0.01)
    compared = sel.compare_with_rules(nested, n_boot=200).set_index("policy")
    assert compared.loc["schedule", "mean_regret"] == pytest.approx(-0.01)
    assert compared.loc["schedule", "advisor_minus_this"] == pytest.approx(0.01)  # the advisor picks Badge: regret 0
    assert "schedule" not in sel.compare_with_rules(sel.nested_evaluation(cells(lambda i: "badge"), ["m"],
                                                                             STRATEGIES), n_boot=50)["policy"].tolist()


def test_the_task_is_a_candidate_the_nested_choice_can_take():
    # Badge is best on the many-class datasets, Margin on the two-class ones; the label-free measure says
    # nothing (pure noise): only the number of classes tells them apart.
    table = cells(lambda i: "badge" if i % 2 else "margin", n_datasets=6)
    table["m"] = np.random.default_rng(3).random(len(table))
    table["log_pool"], table["log_classes"] = 4.0, np.where(table["dataset"].str[1:].astype(int) % 2, 1.5, 0.3)
    nested = sel.nested_evaluation(table, ["m"], STRATEGIES)
    assert set(nested["advisor_policy"]) <= {f"nearest_task {k}" for k in sel.KS}
    assert nested["advisor"].max() == 0.0 and nested["best_rule_regret"].mean() > 0.02
    assert ("nearest_task", 3) not in sel.candidates(STRATEGIES)  # only where the table has the task
    assert sel.task_features(10_000, 100) == {"log_pool": 4.0, "log_classes": 2.0}


def _lodo_by_picks(table, policy, measures):
    """The leave-one-dataset-out regret of ``policy`` computed pick by pick with the public pandas functions."""
    per = []
    for dataset, held in table.groupby("dataset", sort=True):
        others = table[table["dataset"] != dataset]
        rule = min(STRATEGIES, key=lambda s: (sel.dataset_regrets(others, [s] * len(others), STRATEGIES).mean(), s))
        picks = [sel.pick(policy, cell, others, measures, STRATEGIES, rule) for _, cell in held.iterrows()]
        per.append(sel.dataset_regrets(held, picks, STRATEGIES).mean())
    return float(np.mean(per))


def test_the_fast_leave_one_out_gives_the_numbers_of_pick_by_pick():
    # The nested evaluation makes thousands of picks on arrays; it must agree, bit for bit, with the
    # public one-cell pick on noisy measures, a missing gain, near ties and the task features.
    rng = np.random.default_rng(3)
    table = sel.with_task_features(cells(lambda i: STRATEGIES[i % 3], n_datasets=5, n_embedders=4, seed=3)
                                   .assign(dataset=lambda f: f["dataset"].map(lambda d: ["banking77", "trec6", "sst2",
                                                                                         "bbc_news", "imdb"][int(d[1])])))
    table["m"] += rng.normal(0, 0.5, len(table))
    table["m2"] = rng.normal(0, 1, len(table))
    table.loc[3, "gain_badge"] = np.nan
    measures = ["m", "m2"]
    policy, scores = sel.choose_policy(table, measures, STRATEGIES)
    assert set(scores.index) == set(sel.candidates(STRATEGIES, task=True))
    for candidate, score in scores.items():
        assert score == _lodo_by_picks(table, candidate, measures), candidate
    assert policy == min(scores.index, key=lambda p: (scores[p], p[0] != "always", str(p)))
