"""A stored result is served only for the data, embeddings and code that produced it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

import almodules.engine.strategies as strategies
from almodules.core.paths import data_dir
from almodules.datasets.loading import load_dataset
from almodules.datasets.registry import DatasetSpec
from almodules.embeddings.compute import embed_texts
from almodules.engine.config import RunConfig
from almodules.results.grid import get_or_run
from almodules.results.planning import plan_runs
from almodules.results.store import ResultStore


@pytest.fixture
def tiny_dataset(register, tmp_path, monkeypatch):
    """A local dataset 'tiny' (3 classes, 60 train rows); ``write(flip=k)`` relabels k train rows."""
    monkeypatch.setenv("ALM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ALM_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("ALM_CACHE_DIR", str(tmp_path / "cache"))
    register(DatasetSpec("tiny", "Tiny", "user", ("sport", "music", "food")))
    words = {"sport": "goal match team score", "music": "song band guitar album", "food": "bread soup cheese meal"}
    rng = np.random.default_rng(0)

    def write(flip: int = 0, text_suffix: str = ""):
        rows = [(f"{' '.join(rng.permutation(words[c].split()))} {i}{text_suffix}", c)
                for i in range(30) for c in words]
        train, test = rows[:60], rows[60:]
        train = [(t, "food" if k < flip else c) for k, (t, c) in enumerate(train)]
        folder = tmp_path / "data" / "tiny"
        folder.mkdir(parents=True, exist_ok=True)
        for split, part in (("train", train), ("test", test)):
            pd.DataFrame(part, columns=["text", "label"]).to_parquet(folder / f"{split}.parquet")

    return write


def tiny_config(**kw):
    return RunConfig.create(**{"dataset": "tiny", "embedder": "tfidf-svd", "strategy": "margin", "k0": 3,
                               "budget": 15, "cycles": 3, **kw})


def test_changing_the_data_changes_the_key_and_the_results(tiny_dataset):
    tiny_dataset()
    first = get_or_run([tiny_config()], workers=1, progress=False)
    (key_1,) = {p.run_key for p in plan_runs([tiny_config()])}
    tiny_dataset(flip=20)  # the same config on relabelled data
    (key_2,) = {p.run_key for p in plan_runs([tiny_config()])}
    second = get_or_run([tiny_config()], workers=1, progress=False)
    assert key_1 != key_2 and len(ResultStore()) == 2
    assert first["run_key"].iloc[0] == key_1 and second["run_key"].iloc[0] == key_2
    tiny_dataset(text_suffix=" !")  # same labels, other texts: another embedding fingerprint too
    (key_3,) = {p.run_key for p in plan_runs([tiny_config()])}
    assert key_3 not in (key_1, key_2)


def test_a_new_strategy_version_is_not_served_old_results(tiny_dataset, monkeypatch):
    tiny_dataset()
    (before,) = plan_runs([tiny_config()])
    spec = strategies.STRATEGIES["margin"]
    monkeypatch.setitem(strategies.STRATEGIES, "margin", dataclasses.replace(spec, version=spec.version + 1))
    (after,) = plan_runs([tiny_config()])
    assert before.config == after.config and before.run_key != after.run_key


def test_tfidf_svd_embeddings_do_not_depend_on_the_thread_setting():
    data = load_dataset("bbc_news")
    texts = list(data.train_text[:400])
    runs = []
    for threads in (1, 2):
        with threadpool_limits(threads):
            runs.append(embed_texts(texts, "tfidf-svd", progress=False))
    np.testing.assert_array_equal(runs[0], runs[1])


@pytest.mark.skipif(data_dir() is None or not (data_dir() / "banking77").is_dir(), reason="needs the shared data")
def test_a_budget_equal_to_the_real_pool_is_accepted_where_the_registry_rounds():
    config = RunConfig.create(dataset="banking77", embedder="tfidf-svd", budget=10_003)  # the paper prints 10,000
    (planned,) = plan_runs([config])
    assert planned.config.budget == 10_003
