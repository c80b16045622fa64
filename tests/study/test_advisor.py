"""The advisor: a recommendation from label-free measures, with evidence and a track record."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from almodules.core.validation import ConfigError
from almodules.study import advisor
from almodules.study.claim_measures import PAPER_STRATEGIES
from almodules.study.properties import INITIAL_LABEL, LABEL_FREE

ROOT = Path(__file__).resolve().parents[2]


def reference(n_datasets=5, n_embedders=3, seed=0, best=lambda row: "badge"):
    """Study cells with random measures; ``best(row)`` names the strategy 0.05 AUC ahead in the cell."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(n_datasets):
        for e in range(n_embedders):
            row = {"dataset": f"d{d}", "embedder": f"e{e}", **{m: rng.uniform() for m in (*LABEL_FREE, *INITIAL_LABEL)}}
            winner = best(row)
            for s in PAPER_STRATEGIES:
                row[f"auc_{s}"] = 0.6 + (0.05 if s == winner else 0.0)
                if s != "random":
                    row[f"gain_{s}"] = row[f"auc_{s}"] - 0.6
            row.update(top=winner, ips_gain=0.02)
            rows.append(row)
    return pd.DataFrame(rows)


def test_advice_names_a_strategy_with_evidence_and_its_track_record(blob_registry, monkeypatch):
    from engine_fakes import load_blobs

    monkeypatch.setattr(advisor, "load_inputs", load_blobs)
    advice = advisor.advise_pool("blobs", "gauss", reference(), k=3)
    assert advice.query_strategy == advice.best_rule == "badge" and not advice.follows_advisor
    assert "not shown to be better, so the rule" in advice.reason  # a tie is no reason to leave the rule
    assert advice.initial_pool == "typiclust" and len(advice.nearest) == 3
    assert set(advice.measures) == set(LABEL_FREE) and advice.n_study_datasets == 5
    policies = {r["policy"]: r for r in advice.track_record}
    assert policies["advisor"]["mean_regret"] == 0.0 and policies["always_random"]["mean_regret"] == pytest.approx(0.05)
    assert {r["policy"] for r in advice.ips_track_record} == {"advisor", "always random", "always typiclust"}


def test_the_advisor_is_followed_only_where_it_beats_the_best_rule(blob_registry, monkeypatch):
    from engine_fakes import load_blobs

    monkeypatch.setattr(advisor, "load_inputs", load_blobs)
    measure = LABEL_FREE[0]
    # The best strategy follows a label-free measure in every dataset: the nearest cells know it, no rule does.
    split = reference(n_datasets=6, n_embedders=4, best=lambda row: "margin" if row[measure] < 0.5 else "badge")
    advice = advisor.advise_pool("blobs", "gauss", split, k=3)
    assert advice.follows_advisor and advice.advisor_policy.startswith(("nearest", "rule_unless"))
    assert advice.query_strategy == advice.advisor_pick and "the advisor is better" in advice.reason
    # No signal in the measures: the rule is recommended.
    noise = reference(n_datasets=6, n_embedders=4, best=lambda row: ["margin", "badge"][int(row["dataset"][1:]) % 2])
    assert not advisor.advise_pool("blobs", "gauss", noise, k=3).follows_advisor


def test_the_first_labels_join_the_measures_when_asked(blob_registry, monkeypatch):
    from engine_fakes import load_blobs

    monkeypatch.setattr(advisor, "load_inputs", load_blobs)
    advice = advisor.advise_pool("blobs", "gauss", reference(), k=3, initial_labels=True)
    assert set(advice.measures) == {*LABEL_FREE, *INITIAL_LABEL}
    assert 0.0 <= advice.measures["sample_knn_accuracy"] <= 1.0
    with pytest.raises(ConfigError, match="initial_labels must be True or False, got 'yes'"):
        advisor.advise_pool("blobs", "gauss", reference(), initial_labels="yes")


def test_the_advisor_refuses_a_pool_too_small_to_measure(blob_registry, monkeypatch):
    from engine_fakes import load_blobs

    def tiny(dataset, embedder):
        inputs = load_blobs(dataset, embedder)
        return type(inputs)(**{**inputs.__dict__, "train": inputs.train[:20], "train_labels": inputs.train_labels[:20]})

    monkeypatch.setattr(advisor, "load_inputs", tiny)
    with pytest.raises(ConfigError, match="has 20 points for 4 classes; the advisor's measures need at least 50"):
        advisor.advise_pool("blobs", "gauss", reference())


@pytest.mark.slow
def test_advise_runs_end_to_end_on_a_shipped_dataset_against_the_committed_study(tmp_path):
    done = subprocess.run([sys.executable, "-m", "almodules", "advise", "--dataset", "bbc_news", "--embedder",
                           "tfidf-svd", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    advice = json.loads(done.stdout)
    assert advice["query_strategy"] in PAPER_STRATEGIES and advice["initial_pool"] in ("random", "typiclust")
    assert advice["n_study_cells"] >= 15 and {r["policy"] for r in advice["track_record"]} >= {"advisor", "always_margin"}


def test_the_advisor_refuses_a_single_class_pool(blob_registry, monkeypatch):
    from engine_fakes import load_blobs

    def one_class(dataset, embedder):
        inputs = load_blobs(dataset, embedder)
        return type(inputs)(**{**inputs.__dict__, "train_labels": np.zeros_like(inputs.train_labels)})

    monkeypatch.setattr(advisor, "load_inputs", one_class)
    with pytest.raises(ConfigError, match="holds a single class; there is nothing to choose a strategy for"):
        advisor.advise_pool("blobs", "gauss", reference())
