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


def reference(n_datasets=5, n_embedders=3, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(n_datasets):
        for e in range(n_embedders):
            row = {"dataset": f"d{d}", "embedder": f"e{e}", **{m: rng.uniform() for m in (*LABEL_FREE, *INITIAL_LABEL)}}
            for s in PAPER_STRATEGIES:
                row[f"auc_{s}"] = 0.6 + (0.05 if s == "badge" else 0.0)
                if s != "random":
                    row[f"gain_{s}"] = row[f"auc_{s}"] - 0.6
            row.update(top="badge", ips_gain=0.02)
            rows.append(row)
    return pd.DataFrame(rows)


def test_advice_names_a_strategy_with_evidence_and_its_track_record(blob_registry, monkeypatch):
    from engine_fakes import load_blobs

    monkeypatch.setattr(advisor, "load_inputs", load_blobs)
    advice = advisor.advise_pool("blobs", "gauss", reference(), k=3)
    assert advice.query_strategy == "badge" and advice.expected_gain == pytest.approx(0.05)
    assert advice.initial_pool == "typiclust" and len(advice.nearest) == 3
    assert set(advice.measures) == set(LABEL_FREE) and advice.n_study_datasets == 5
    policies = {r["policy"]: r for r in advice.track_record}
    assert policies["advisor"]["hit_rate"] == 1.0 and policies["random"]["hit_rate"] == 0.0


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
    with pytest.raises(ConfigError, match="has 20 points; the advisor's measures need at least 50"):
        advisor.advise_pool("blobs", "gauss", reference())


@pytest.mark.slow
def test_advise_runs_end_to_end_on_a_shipped_dataset_against_the_committed_study(tmp_path):
    done = subprocess.run([sys.executable, "-m", "almodules", "advise", "--dataset", "bbc_news", "--embedder",
                           "tfidf-svd", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    advice = json.loads(done.stdout)
    assert advice["query_strategy"] in PAPER_STRATEGIES and advice["initial_pool"] in ("random", "typiclust")
    assert advice["n_study_cells"] >= 15 and {r["policy"] for r in advice["track_record"]} >= {"advisor", "margin"}
