"""More bad input, command by command: every case exits with status 2, prints one ``error:`` line that
names the parameter (no traceback), starts no work and leaves what was there before as it was."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from almodules.cli import main


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("ALM_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("ALM_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "kept.txt").write_text("a result that was here before")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "03_al_cycles.ipynb").write_text("a chapter executed before")
    return tmp_path


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "cache" not in p.parts}


def refused(argv, parameter, isolated, capsys):
    before = snapshot(isolated)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err, err
    assert re.search(parameter, err), err
    assert snapshot(isolated) == before  # no work started, nothing that was there changed


# --- notebooks / book: every chapter's parameters, checked before a kernel starts ------------------

NOTEBOOK_CASES = [
    ("01_embeddings", "knn_k", "0", "knn_k"),
    ("01_embeddings", "projection_method", "umap", "projection_method|method"),
    ("01_embeddings", "projection_points", "1", "projection_points|n_points"),
    ("01_embeddings", "cells", "[bbc_news]", "cells|cell"),
    ("02_initial_pool", "ips", "[margin]", "ips"),
    ("02_initial_pool", "k0s", "[0]", "k0"),
    ("02_initial_pool", "seeds", "[-1]", "seed"),
    ("03_al_cycles", "strategies", "[random, magic]", "strateg"),
    ("03_al_cycles", "budget", "-5", "budget"),
    ("03_al_cycles", "cycles", "-1", "cycles"),
    ("03_al_cycles", "datasets", "[nosuch]", "dataset"),
    ("03_al_cycles", "embedders", "[nosuch]", "embedder"),
    ("03_al_cycles", "pool_size", "0", "pool_size"),
    ("04_embedding_quality", "quality_measure", "vibes", "quality_measure"),
    ("05_tyrogue", "fractions", "[1.5]", "fraction"),
    ("05_tyrogue", "label_method", "guess", "label_method"),
    ("05_tyrogue", "rs", "[0]", "r\\b|rs"),
    ("05_tyrogue", "latency_pool_sizes", "[0]", "pool"),
    ("06_claims", "n_boot", "10", "n_boot"),
    ("06_claims", "latency_strategies", "[nope]", "strateg"),
    ("07_embedding_properties", "advisor_k", "0", "advisor_k"),
    ("07_embedding_properties", "n_boot", "5", "n_boot"),
    ("08_label_it_yourself", "unsure_rate", "2", "unsure_rate"),
    ("08_label_it_yourself", "error_rate", "-1", "error_rate"),
    ("08_label_it_yourself", "batch_size", "0", "batch_size"),
    ("08_label_it_yourself", "strategies", "[coreset2]", "strateg"),
]


@pytest.mark.parametrize("chapter, name, value, parameter", NOTEBOOK_CASES,
                         ids=[f"{c[:2]}-{n}={v}" for c, n, v, _ in NOTEBOOK_CASES])
@pytest.mark.parametrize("command", ["notebooks", "book"])
def test_a_chapter_parameter_is_refused_before_any_kernel(command, chapter, name, value, parameter, isolated,
                                                          capsys):
    extra = ["--output-dir", str(isolated / "out")] if command == "notebooks" else ["--book-parameters",
                                                                                       str(isolated / "none.yaml")]
    if command == "book":
        (isolated / "none.yaml").write_text("{}\n")
    refused([command, "--only", chapter, "-p", name, value, *extra], parameter, isolated, capsys)


# --- label: a new session --------------------------------------------------------------------------

LABEL = ["--dataset", "bbc_news", "--embedder", "tfidf-svd"]
LABEL_CASES = [
    (["--k0", "0"], "k0"),
    (["--batch-size", "0"], "batch_size"),
    (["--budget", "3", "--k0", "5"], "budget"),
    (["--strategy", "magic"], "strategy"),
    (["--ips", "margin"], "ips"),
    (["--seed", "-1"], "seed"),
    (["--export", "labels.txt"], "--export"),
    (["--budget", "100000"], "budget"),
]


@pytest.mark.parametrize("options, parameter", LABEL_CASES, ids=[" ".join(o) for o, _ in LABEL_CASES])
def test_a_new_labeling_session_is_refused_before_its_file_is_written(options, parameter, isolated, capsys):
    refused(["label", str(isolated / "s.jsonl"), *LABEL, *options], parameter, isolated, capsys)
    assert not (isolated / "s.jsonl").exists()


def test_a_session_file_must_be_jsonl(isolated, capsys):
    refused(["label", str(isolated / "s.txt"), *LABEL], "must end in .jsonl", isolated, capsys)


def test_a_new_session_needs_a_dataset_and_an_embedder(isolated, capsys):
    refused(["label", str(isolated / "s.jsonl"), "--dataset", "bbc_news"], "--dataset and --embedder", isolated, capsys)


def test_unlabeled_texts_need_two_distinct_classes(isolated, capsys):
    (isolated / "texts.txt").write_text("one\ntwo\nthree\n")
    for classes, parameter in (("a", "classes"), ("a,a", "classes"), ("a,skip", "classes")):
        refused(["label", str(isolated / "u.jsonl"), "--dataset", str(isolated / "texts.txt"), "--classes",
                 classes, "--embedder", "tfidf-svd"], parameter, isolated, capsys)


# --- advise, verify, grid, embed: options out of range ---------------------------------------------

OPTION_CASES = [
    (["advise", "--dataset", "bbc_news", "--embedder", "tfidf-svd", "--k", "0"], "k must be >= 1"),
    (["advise", "--dataset", "nosuch", "--embedder", "tfidf-svd"], "dataset 'nosuch'"),
    (["advise", "--dataset", "bbc_news", "--embedder", "nosuch"], "embedder 'nosuch'"),
    (["verify", "--seed", "-1"], "no stored run matches|seed"),
    (["verify", "--dataset", "nosuch"], "no stored run matches"),
    (["grid", "--book", "--workers", "0"], "workers must be >= 1"),
    (["embed", "--dataset", "bbc_news", "--embedder", "tfidf-svd", "--batch-size", "0"], "batch_size"),
    (["embed", "--dataset", "bbc_news", "--embedder", "tfidf-svd", "--device", "tpu"], "device"),
    (["embed", "--dataset", "bbc_news"], "--dataset D --embedder E"),
    (["run", "--dataset", "bbc_news", "--embedder", "tfidf-svd", "--budget", "0"], "budget"),
]


@pytest.mark.parametrize("argv, parameter", OPTION_CASES, ids=[" ".join(a[:1] + a[-2:]) for a, _ in OPTION_CASES])
def test_options_out_of_range_are_refused(argv, parameter, isolated, capsys):
    refused(argv, parameter, isolated, capsys)
