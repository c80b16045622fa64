"""Your own data: a folder of train and test files (parquet or CSV), by name or by path, end to end."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from almodules.cli import main
from almodules.datasets.loading import load_dataset
from almodules.datasets.local import find_dataset, local_spec
from almodules.datasets.registry import DATASETS
from almodules.embeddings.registry import EMBEDDERS
from almodules.engine.config import DefaultBudgetWarning, RunConfig
from almodules.results.store import ResultStore

WORDS = {"sport": "goal match team score win", "music": "song band guitar album tour",
         "food": "bread soup cheese meal salt"}


def write_folder(folder, fmt="csv", n=40, classes_file=None):
    folder.mkdir(parents=True, exist_ok=True)
    rows = [(f"{WORDS[c]} {i}", c) for i in range(n) for c in WORDS]
    for split, part in (("train", rows[: len(rows) * 3 // 4]), ("test", rows[len(rows) * 3 // 4:])):
        frame = pd.DataFrame(part, columns=["text", "label"])
        if fmt == "csv":
            frame.to_csv(folder / f"{split}.csv", index=False)
        else:
            frame.to_parquet(folder / f"{split}.parquet")
    if classes_file:
        (folder / "classes.txt").write_text("\n".join(classes_file) + "\n")
    return folder


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ALM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ALM_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("ALM_CACHE_DIR", str(tmp_path / "cache"))
    yield tmp_path / "data"
    for name in [n for n, s in DATASETS.items() if s.group == "user" and str(tmp_path) in (s.folder or "")]:
        DATASETS.unregister(name)
    for name in [n for n, s in EMBEDDERS.items() if str(tmp_path) in s.model]:
        EMBEDDERS.unregister(name)


def test_a_csv_folder_in_the_data_directory_runs_by_name_from_the_cli(data_dir, capsys):
    write_folder(data_dir / "mycsv")
    argv = ["run", "--dataset", "mycsv", "--embedder", "tfidf-svd", "--strategy", "margin", "--k0", "3",
            "--budget", "21", "--cycles", "3", "--json"]
    assert main(argv) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["n_labeled"] for r in records] == [3, 9, 15, 21] and len(ResultStore()) == 1
    assert main(["datasets", "--json"]) == 0
    listed = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert listed["mycsv"]["group"] == "user" and listed["mycsv"]["available"] == "local"


def test_a_parquet_folder_by_path_with_its_own_class_order(data_dir, tmp_path):
    folder = write_folder(tmp_path / "elsewhere" / "mine", fmt="parquet", classes_file=["sport", "music", "food"])
    name = find_dataset(str(folder))
    assert name == "mine" and DATASETS["mine"].classes == ("sport", "music", "food")
    config = RunConfig.create(dataset=str(folder), embedder="tfidf-svd", k0=3, budget=12, cycles=3)
    assert config.dataset == "mine"
    data = load_dataset("mine")
    assert data.source == f"local:{folder.resolve()}" and len(data.train_labels) == 90


def test_classes_are_sorted_without_a_class_file(tmp_path):
    spec = local_spec(write_folder(tmp_path / "x"))
    assert spec.classes == ("food", "music", "sport") and spec.n_train == 90 and not spec.pair


def test_the_default_budget_fits_a_small_dataset_and_says_so(data_dir):
    write_folder(data_dir / "small", n=20)  # 45 train rows; the rule would give 3 + 20 * 5 * 3 = 303
    with pytest.warns(DefaultBudgetWarning, match="the default 303 does not fit the 45 train rows of 'small'; "
                                                  "using 23 \\(half the pool\\)"):
        config = RunConfig.create(dataset="small", embedder="tfidf-svd", k0=3)
    assert config.budget == 23 and config.batch_size == 1


def test_a_folder_named_like_a_registered_dataset_is_refused(tmp_path):
    folder = write_folder(tmp_path / "trec6")
    with pytest.raises(ValueError, match="named like the registered dataset 'trec6'; rename the folder"):
        find_dataset(str(folder))


@pytest.mark.slow
def test_a_local_model_folder_embeds_a_csv_dataset_end_to_end(data_dir, tmp_path, capsys):
    from tiny_transformers import tiny_encoder

    from almodules.embeddings.local import folder_embedder

    model = tiny_encoder(tmp_path / "models" / "tiny-bert")
    spec = folder_embedder(model)
    assert (spec.dim, spec.pooling, spec.normalize, spec.max_length) == (32, "mean", False, 64)
    write_folder(data_dir / "mycsv")
    argv = ["run", "--dataset", "mycsv", "--embedder", str(model), "--k0", "3", "--budget", "12", "--cycles", "3",
            "--json"]
    assert main(argv) == 0
    assert [r["n_labeled"] for r in json.loads(capsys.readouterr().out)] == [3, 6, 9, 12]
    run = ResultStore().runs().iloc[0]
    assert json.loads(run["config"])["embedder"] == "tiny-bert" and len(ResultStore()) == 1
    assert folder_embedder(model, pooling="cls", normalize=True).pooling == "cls"
    with pytest.raises(ValueError, match="has no config.json"):
        folder_embedder(tmp_path)


def test_imported_embeddings_run_like_any_embedder_across_processes(data_dir, tmp_path, capsys, monkeypatch):
    import numpy as np

    from almodules.embeddings.local import find_embedder
    from almodules.embeddings.registry import EMBEDDERS

    write_folder(data_dir / "mycsv")
    data = load_dataset("mycsv")
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 8))
    for split in ("train", "test"):
        labels = getattr(data, f"{split}_labels")
        np.save(tmp_path / f"{split}.npy", (centres[labels] + 0.1 * rng.normal(size=(len(labels), 8))).astype(np.float32))
    assert main(["embed", "import", "--dataset", "mycsv", "--name", "my-gpu-emb", str(tmp_path / "train.npy"),
                 str(tmp_path / "test.npy")]) == 0
    assert "imported mycsv as embedder 'my-gpu-emb' (8 dimensions)" in capsys.readouterr().out
    EMBEDDERS.unregister("my-gpu-emb")  # as in a new process: the name comes back from its import record
    assert find_embedder("my-gpu-emb") == "my-gpu-emb" and EMBEDDERS["my-gpu-emb"].backend == "precomputed"
    argv = ["run", "--dataset", "mycsv", "--embedder", "my-gpu-emb", "--k0", "3", "--budget", "12", "--cycles", "3",
            "--json"]
    assert main(argv) == 0
    records = json.loads(capsys.readouterr().out)
    assert records[-1]["accuracy"] == 1.0 and len(ResultStore()) == 1


@pytest.mark.parametrize("train_rows, dtype, bad, message", [
    (89, "float32", None, "train embeddings have 89 rows but the train split of 'mycsv' has 90"),
    (90, "float64", None, "unknown dtype of .*train.npy 'float64'; allowed values: float16, float32"),
    (90, "float32", "nan", "holds NaN or infinite values in 1 rows"),
    (90, "float32", "zeros", "all 90 rows are the same vector"),
    (90, "float32", "constant", "all 90 rows are the same vector"),
    (90, "float32", "huge", r"row norms up to [0-9.]+e\+30; allowed: at most 1e\+06"),
])
def test_bad_imported_embeddings_are_refused_before_anything_is_stored(data_dir, tmp_path, capsys, train_rows,
                                                                       dtype, bad, message):
    import numpy as np

    write_folder(data_dir / "mycsv")
    train = np.random.default_rng(0).normal(size=(train_rows, 4)).astype(dtype)
    if bad == "nan":
        train[5, 1] = np.nan
    elif bad in ("zeros", "constant"):
        train[:] = 0.0 if bad == "zeros" else 0.25
    elif bad == "huge":
        train[:] = 1e30
        train[0, 0] = 2e30
    np.save(tmp_path / "train.npy", train)
    np.save(tmp_path / "test.npy", np.random.default_rng(1).normal(size=(30, 4)).astype(np.float32))
    argv = ["embed", "import", "--dataset", "mycsv", "--name", "x", str(tmp_path / "train.npy"), str(tmp_path / "test.npy")]
    assert main(argv) == 2
    import re

    assert re.search(message, capsys.readouterr().err)
    assert not (tmp_path / "cache" / "imported").exists()


def test_an_imported_name_is_not_taken_over_by_other_embeddings_unless_replaced(data_dir, tmp_path, capsys):
    import numpy as np

    for name in ("mycsv", "other"):
        write_folder(data_dir / name)
    rng = np.random.default_rng(0)

    def files(tag):
        for split, rows in (("train", 90), ("test", 30)):
            np.save(tmp_path / f"{tag}-{split}.npy", rng.normal(size=(rows, 4)).astype(np.float32))
        return [str(tmp_path / f"{tag}-train.npy"), str(tmp_path / f"{tag}-test.npy")]

    first, second = files("a"), files("b")
    assert main(["embed", "import", "--dataset", "mycsv", "--name", "x", *first]) == 0
    assert main(["embed", "import", "--dataset", "mycsv", "--name", "x", *first]) == 0  # the same again: fine
    capsys.readouterr()
    assert main(["embed", "import", "--dataset", "other", "--name", "x", *second]) == 2
    err = capsys.readouterr().err
    assert "embedder name 'x' already holds other imported embeddings (imported for mycsv" in err and "--replace" in err
    assert "imported for mycsv" in (tmp_path / "cache" / "imported" / "x.json").read_text()
    assert main(["embed", "import", "--dataset", "other", "--name", "x", "--replace", *second]) == 0
    EMBEDDERS.unregister("x")


def test_embed_import_help_shows_its_arguments(capsys):
    with pytest.raises(SystemExit) as done:
        main(["embed", "import", "--help"])
    assert done.value.code == 0 and "train_file" in capsys.readouterr().out


def test_a_folder_config_names_other_columns_and_the_class_order(data_dir):
    folder = data_dir / "renamed"
    folder.mkdir(parents=True)
    rows = [(f"{WORDS[c]} {i}", c) for i in range(20) for c in WORDS]
    for split, part in (("train", rows[:45]), ("test", rows[45:])):
        pd.DataFrame(part, columns=["utterance", "intent"]).to_csv(folder / f"{split}.csv", index=False)
    (folder / "dataset.yaml").write_text("text: utterance\nlabel: intent\nclasses: [sport, music, food]\n")
    data = load_dataset("renamed")
    assert data.classes == ("sport", "music", "food") and len(data.train_text) == 45
    assert data.train_text[0].startswith("goal") and data.train_labels[0] == 0
    (folder / "dataset.yaml").write_text("text: utterance\ncolour: red\n")
    DATASETS.unregister("renamed")
    with pytest.raises(ValueError, match="unknown key of .*dataset.yaml 'colour'; allowed values: classes, label"):
        load_dataset("renamed")
