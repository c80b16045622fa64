"""Every bad input is refused before any work starts, with a message naming the parameter, the
offending value and what is allowed: the command line (exit status 2, no traceback), the Python
API, grid files and dataset files."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from engine_fakes import EMBEDDER, forget_folder_datasets, load_blobs, nothing_done

from almodules.cli import main
from almodules.core.validation import ConfigError
from almodules.datasets.checks import DataWarning
from almodules.datasets.loading import load_dataset
from almodules.datasets.registry import DatasetSpec
from almodules.embeddings.compute import embed_texts
from almodules.embeddings.registry import get_embedder
from almodules.engine.config import RunConfig
from almodules.results.grid import get_or_run, run_grid
from almodules.results.planning import expand_grid
from almodules.results.store import ResultStore
from almodules.study.reproduce import verify_runs

RUN = ["run", "--dataset", "blobs", "--embedder", EMBEDDER, "--cycles", "2", "--budget", "10"]


@pytest.fixture(autouse=True)
def isolated(registry_loaders, monkeypatch, tmp_path):
    monkeypatch.setenv("ALM_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("ALM_CACHE_DIR", str(tmp_path / "cache"))
    yield tmp_path
    forget_folder_datasets(tmp_path)



def grid_file(tmp_path, text: str) -> str:
    path = tmp_path / "g.yaml"
    path.write_text(text)
    return str(path)


BASE = "dataset: blobs\nembedder: gauss\ncycles: 2\nbudget: 10\n"

CLI_CASES = [
    (RUN + ["--strategy", "nope"], "unknown strategy 'nope'; allowed values: .*badge"),
    (RUN + ["--ips", "margin"], "unknown ips 'margin'; allowed values: .*coreset"),
    (["run", "--dataset", "nope", "--embedder", EMBEDDER], "unknown dataset 'nope'; allowed values: .*banking77"),
    (["run", "--dataset", "blobs", "--embedder", "nope"], "unknown embedder 'nope'; allowed values: .*tfidf-svd"),
    (RUN + ["--k0", "0"], "k0 must be >= 1, got 0"),
    (RUN + ["--seed", "-1"], "seed must be >= 0, got -1"),
    (RUN + ["--seed", str(2**63)], "seed must be <= 9223372036854775807"),
    (["run", "--dataset", "blobs", "--embedder", EMBEDDER, "--k0", "10", "--budget", "5"],
     r"budget \(5\) must be >= k0 \(10\)"),
    (RUN + ["--cycles", "-1"], "cycles must be >= 0, got -1"),
    (RUN + ["--pool-size", "0"], "pool_size must be >= 1, got 0"),
    (["run", "--dataset", "blobs", "--embedder", EMBEDDER, "--k0", "5", "--budget", "7", "--cycles", "3"],
     "0 labels per cycle; budget must be >= k0 \\+ cycles = 8"),
    (["run", "--dataset", "blobs", "--embedder", EMBEDDER, "--budget", "400"],
     r"dataset 'blobs', strategy 'random', seed 0\): budget 400 is larger than the pool \(300 points\)"),
    (RUN[:-2] + ["--budget", "40", "--pool-size", "301"],
     r"pool_size 301 is larger than the train split \(300 rows\); allowed values: 1 \.\. 300"),
    (RUN[:-2] + ["--budget", "40", "--pool-size", "30"], r"budget 40 is larger than the pool \(pool_size=30\)"),
    (["grid", "missing.yaml"], "grid file 'missing.yaml' not found"),
    (["grid", "--book", "x.yaml"], "either a grid file or --book"),
    (["grid"], "either a grid file or --book"),
    (["verify", "--limit", "0"], "--limit must be >= 1, got 0"),
    (["verify", "--tolerance", "-1"], "--tolerance must be >= 0"),
    (["verify", "--strategy", "coreset"], "no stored run matches"),
    (["notebooks", "--only", "03_al_cycles", "-p", "colour", "red"], "unknown parameter of notebooks .*colour"),
    (["notebooks", "-p", "datasets", "[a, b"], "-p datasets '\\[a, b' is not valid YAML"),
    (["notebooks", "--only", "06_missing"], "unknown notebook '06_missing'; allowed values: 01_embeddings"),
    (["book", "--book-parameters", "missing.yaml"], "book parameter file 'missing.yaml' not found"),
    (["embed", "--dataset", "nope", "--embedder", "tfidf-svd"], "unknown dataset 'nope'"),
    (["embed", "--dataset", "trec6", "--embedder", "nope"], "unknown embedder 'nope'"),
    (["embed", "--dataset", "trec6", "--embedder", "tfidf-svd", "--limit", "0"], "limit must be >= 1, got 0"),
]


@pytest.mark.parametrize("argv, message", CLI_CASES, ids=[" ".join(a[:1] + a[-2:]) for a, _ in CLI_CASES])
def test_cli_refuses_with_a_message_and_does_nothing(argv, message, capsys, isolated):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and "Traceback" not in captured.err
    import re

    assert re.search(message, captured.err), captured.err
    assert nothing_done(isolated)


GRID_CASES = [
    ("dataset: [blobs\n", "grid file .* is not valid YAML"),
    (BASE + "strategy: random\nstrategy: margin\n", "duplicate key 'strategy'"),
    (BASE + "colour: red\n", "unknown grid key 'colour'; allowed values: .*strategy"),
    (BASE + "seed: []\n", "grid key 'seed' has an empty list of values"),
    (BASE + "strategy: falcun\nstrategy_params: {gamma: .nan}\n", "strategy 'falcun' parameter gamma must be a finite"),
    (BASE + "strategy: tyrogue\nstrategy_params: {r: 0}\n", "strategy 'tyrogue' parameter r must be >= 1, got 0"),
    (BASE + "strategy: dropquery\nstrategy_params: {p: 1.5}\n", "parameter p must be <= 0.996"),
    (BASE + "strategy: typiclust\nstrategy_params: {knn: 0}\n", "parameter knn must be >= 1"),
    (BASE + "strategy: probcover\nstrategy_params: {purity: 0}\n", "parameter purity must be > 0"),
    (BASE + "strategy: probcover\nstrategy_params: {delta: 3}\n", "parameter delta must be <= 2"),
    (BASE + "strategy: tyrogue\nstrategy_params: {n_random: 2}\n", "n_random \\(at least the batch of 3\\) must be >= 3"),
    (BASE + "ips: tyrogue\nips_params: {r: 3}\n", "initial pool 'tyrogue' parameter r must be <= 1"),
    (BASE + "strategy: margin\nstrategy_params: {r: 1}\n", "unknown parameter of strategy 'margin' 'r'"),
    (BASE + "probe: {C: -1}\n", "probe.C must be > 0"),
    (BASE + "probe: {solver: saga}\n", "unknown probe parameter 'solver'"),
    ("- dataset: blobs\n  embedder: gauss\n- 3\n", "a grid must be a mapping"),
    (BASE.replace("budget: 10", "budget: 400"), "budget 400 is larger than the pool"),
]


@pytest.mark.parametrize("text, message", GRID_CASES, ids=[m[:30] for _, m in GRID_CASES])
def test_grid_files_are_refused_before_any_run(text, message, capsys, isolated):
    assert main(["grid", grid_file(isolated, text), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    import re

    assert re.search(message, err), err
    assert nothing_done(isolated)


def test_an_unreachable_dask_scheduler_is_a_message_not_a_traceback(capsys, isolated):
    path = grid_file(isolated, BASE)
    assert main(["grid", path, "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9", "--workers", "1"]) == 2
    assert "cannot reach the Dask scheduler 'tcp://127.0.0.1:9'" in capsys.readouterr().err
    assert nothing_done(isolated) or not list((isolated / "results" / "runs").rglob("*.parquet"))


def config(**kw):
    return RunConfig.create(**{"dataset": "blobs", "embedder": EMBEDDER, "cycles": 2, "budget": 10, **kw})


API_CASES = [
    (lambda: config(seed=2**63), "seed must be <= 9223372036854775807"),
    (lambda: config(seed=1.5), "seed must be an integer, got 1.5"),
    (lambda: config(seed=True), "seed must be an integer, got True"),
    (lambda: config(strategy="falcun", strategy_params={"gamma": math.nan}), "gamma must be a finite number"),
    (lambda: config(strategy="falcun", strategy_params={"gamma": -1}), "gamma must be >= 0"),
    (lambda: config(strategy="dropquery", strategy_params={"p": 0}), "p must be >= 0.0039"),
    (lambda: config(strategy="contrastive", strategy_params={"eps": 1}), "eps must be < 1"),
    (lambda: config(strategy="kmeans"), "unknown strategy 'kmeans'"),
    (lambda: config(ips="badge"), "unknown ips 'badge'"),
    (lambda: config(ips="tyrogue", ips_params={"r": 2}), "initial pool 'tyrogue' parameter r must be <= 1"),
    (lambda: RunConfig(dataset="blobs", embedder=EMBEDDER, k0=4, budget=10, cycles=2, strategy="typiclust",
                       strategy_params={"knn": "20"}), "knn must be an integer, got '20'"),
    (lambda: config(probe={"C": math.inf}), "probe.C must be a finite number"),
    (lambda: config(probe={"max_iter": 0}), "probe.max_iter must be >= 1"),
    (lambda: config(probe={"nope": 1}), "unknown probe parameter 'nope'"),
    (lambda: config(strategy_params={"x": [1, {"a": 2}]}), "must be a number, string, bool, None or a list"),
    (lambda: ResultStore().cycles(seed="0"), "filter seed='0': seed values are ints"),
    (lambda: ResultStore().cycles(accuracy=1.0), "unknown filter column 'accuracy'"),
    (lambda: expand_grid("strategy: margin"), "a grid must be a mapping"),
    (lambda: run_grid([config()], executor="ray"), "unknown executor 'ray'; allowed values: dask, local"),
    (lambda: run_grid([config()], workers=0), "workers must be >= 1, got 0"),
    (lambda: get_or_run([config(budget=400)], loader=load_blobs), "budget 400 is larger than the pool"),
    (lambda: verify_runs([], tolerance=-0.1), "tolerance must be >= 0"),
    (lambda: embed_texts("one string", "tfidf-svd"), "texts must be a sequence of strings"),
    (lambda: embed_texts(["a", 3], "tfidf-svd"), r"texts\[1\] must be a string, got int"),
    (lambda: get_embedder("tfidf-svd", colour="red"), "unknown EmbedderSpec field"),
    (lambda: load_dataset("trec6", pool_size=0), "pool_size must be >= 1, got 0"),
    (lambda: load_dataset("nope"), "unknown dataset 'nope'"),
]


@pytest.mark.parametrize("call, message", API_CASES, ids=[m[:40] for _, m in API_CASES])
def test_the_python_api_refuses_with_a_config_error(call, message, isolated):
    with pytest.raises(ConfigError, match=message):
        call()
    assert nothing_done(isolated)


def test_a_store_root_that_is_a_file_is_refused(isolated):
    path = isolated / "file"
    path.write_text("x")
    with pytest.raises(ConfigError, match="is a file; give a folder"):
        ResultStore(path)


# --- data checked at load --------------------------------------------------------------------------

@pytest.fixture
def local_dataset(register, isolated):
    """``write(train_rows, test_rows)`` makes a local dataset 'mine' with classes a, b, c."""
    register(DatasetSpec("mine", "Mine", "user", ("a", "b", "c")))

    def write(train, test=(("t", "a"), ("u", "b"))):
        folder = isolated / "data" / "mine"
        folder.mkdir(parents=True, exist_ok=True)
        for split, rows in (("train", train), ("test", test)):
            pd.DataFrame(list(rows), columns=["text", "label"]).to_parquet(folder / f"{split}.parquet")
        return isolated / "data"

    return write


def test_a_train_split_with_one_class_is_refused(local_dataset):
    with pytest.raises(ConfigError, match="the train split holds one class only \\('a'\\)"):
        load_dataset("mine", data_dir=local_dataset([("x", "a"), ("y", "a")]))


def test_numbers_as_texts_are_refused(local_dataset):
    folder = local_dataset([("x", "a"), ("y", "b")])
    pd.DataFrame({"text": [1, 2], "label": ["a", "b"]}).to_parquet(folder / "mine" / "train.parquet")
    with pytest.raises(ConfigError, match="column 'text' of .*train.parquet holds int64 values; allowed: text"):
        load_dataset("mine", data_dir=folder)


def test_absent_classes_blank_texts_and_many_conflicts_warn(local_dataset):
    rows = [("x", "a"), ("y", "b"), ("  ", "a"), ("z", "a"), ("z", "b")]
    with pytest.warns(DataWarning) as caught:
        data = load_dataset("mine", data_dir=local_dataset(rows))
    messages = " | ".join(str(w.message) for w in caught)
    assert "1 of 3 classes have no train rows ('c')" in messages
    assert "1 empty or blank texts in the train split" in messages
    assert "2 of 7 rows (28.6%) dropped as label conflicts" in messages
    assert len(data.train_labels) == 3


def test_blank_texts_are_counted_as_blank_not_as_label_conflicts(local_dataset):
    rows = [("x", "a"), ("y", "b"), ("w", "a")] + [(" ", "a"), ("", "b")] * 20
    with pytest.warns(DataWarning) as caught:
        data = load_dataset("mine", data_dir=local_dataset(rows))
    messages = " | ".join(str(w.message) for w in caught)
    assert "40 empty or blank texts in the train split" in messages and "label conflicts" not in messages
    assert len(data.train_labels) == 43
