"""Datasets and embedders by Hugging Face hub id, with the hub out of reach: copies in a fake cache.

Each case runs the command line in a fresh process (the hub libraries read ``HF_HUB_OFFLINE`` and
the cache locations when they are imported), with a cache built here the way ``datasets`` and
``huggingface_hub`` lay it out after a download.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from almodules.core.hub_references import parse_reference, registry_slug
from almodules.core.validation import ConfigError

ROOT = Path(__file__).resolve().parents[2]
WORDS = {"sport": "goal match team score win", "music": "song band guitar album tour",
         "food": "bread soup cheese meal salt"}
REVISION = "0123456789abcdef0123456789abcdef01234567"


def fake_hub_dataset(cache: Path, hub_id: str, frames: dict[str, pd.DataFrame], features=None) -> None:
    """Put ``frames`` in a ``datasets`` cache as ``datasets.load_dataset(hub_id)`` would leave them."""
    import datasets

    files = {}
    for split, frame in frames.items():
        path = cache / "_source" / f"{split}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        datasets.Dataset.from_pandas(frame, features=features, preserve_index=False).to_parquet(str(path))
        files[split] = str(path)
    built = datasets.load_dataset("parquet", data_files=files, cache_dir=str(cache / "_build"))
    source = Path(built[next(iter(frames))].cache_files[0]["filename"]).parent
    owner, name = hub_id.split("/")
    target = cache / f"{owner}___{name}" / "default" / "0.0.0" / REVISION[:16]
    target.mkdir(parents=True)
    for split in frames:
        shutil.copy(source / f"parquet-{split}.arrow", target / f"{name}-{split}.arrow")
    info = json.loads((source / "dataset_info.json").read_text())
    info.update(builder_name=name, dataset_name=name, config_name="default")
    (target / "dataset_info.json").write_text(json.dumps(info))


def fake_hub_model(hub_cache: Path, hub_id: str) -> Path:
    """A tiny encoder as a snapshot of ``hub_id`` in a ``huggingface_hub`` cache."""
    from tiny_transformers import tiny_encoder

    repo = hub_cache / ("models--" + hub_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(REVISION)
    return tiny_encoder(repo / "snapshots" / REVISION)


def topics(n: int = 30) -> dict[str, pd.DataFrame]:
    rows = [(f"{WORDS[c]} {i}", c) for i in range(n) for c in WORDS]
    frame = pd.DataFrame(rows, columns=["sentence", "topic"])
    return {"train": frame.iloc[: len(rows) * 3 // 4], "test": frame.iloc[len(rows) * 3 // 4:]}


def cli(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "HF_DATASETS_CACHE": str(tmp_path / "hf" / "datasets"), "HF_HUB_CACHE": str(tmp_path / "hf" / "hub"),
           "ALM_RESULTS_DIR": str(tmp_path / "results"), "ALM_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "almodules", *argv], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)


RUN = ["--k0", "3", "--budget", "12", "--cycles", "3", "--json"]


def test_a_hub_dataset_with_mapped_columns_runs_from_the_cache(tmp_path):
    fake_hub_dataset(tmp_path / "hf" / "datasets", "someone/tiny_topics", topics())
    name = "hub:someone/tiny_topics?text=sentence&label=topic"
    done = cli(tmp_path, "run", "--dataset", name, "--embedder", "tfidf-svd", *RUN)
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert [r["n_labeled"] for r in records] == [3, 6, 9, 12]
    assert records[0]["dataset"] == "someone--tiny_topics"
    listed = cli(tmp_path, "embed", "--dataset", name, "--embedder", "glove-50d")
    assert listed.returncode == 0 and "train (67, 50), test (23, 50)" in listed.stdout, listed.stderr


def test_a_hub_dataset_with_a_class_label_keeps_its_class_order_and_splits_one_split(tmp_path):
    import datasets

    features = datasets.Features({"sentence": datasets.Value("string"),
                                  "topic": datasets.ClassLabel(names=["sport", "music", "food"])})
    frame = pd.concat(topics().values()).assign(topic=lambda f: f["topic"].map({"sport": 0, "music": 1, "food": 2}))
    fake_hub_dataset(tmp_path / "hf" / "datasets", "someone/labelled", {"train": frame}, features)
    code = ("from almodules.datasets.loading import load_dataset; from almodules.datasets.registry import DATASETS; "
            "d = load_dataset('hub:someone/labelled?text=sentence&label=topic&splits=train&test_fraction=0.25'); "
            "print(DATASETS[d.name].classes, len(d.train_text), len(d.test_text), d.source)")
    env_run = cli(tmp_path, "datasets")  # the environment works at all
    assert env_run.returncode == 0
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
                               "HF_DATASETS_CACHE": str(tmp_path / "hf" / "datasets"), "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == "('sport', 'music', 'food') 68 22 hub:someone/labelled"


def test_a_hub_dataset_out_of_reach_is_refused_with_the_way_to_provide_it(tmp_path):
    done = cli(tmp_path, "run", "--dataset", "hub:someone/absent", "--embedder", "tfidf-svd", *RUN)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "hub dataset 'someone/absent' could not be loaded" in done.stderr and "HF_HUB_OFFLINE=1" in done.stderr
    wrong = cli(tmp_path, "run", "--dataset", "hub:someone/absent?txt=sentence", "--embedder", "tfidf-svd", *RUN)
    assert wrong.returncode == 2 and "unknown option of dataset" in wrong.stderr and "text_pair" in wrong.stderr


@pytest.mark.slow
def test_a_hub_embedder_with_options_embeds_from_the_cache(tmp_path):
    fake_hub_dataset(tmp_path / "hf" / "datasets", "someone/tiny_topics", topics())
    fake_hub_model(tmp_path / "hf" / "hub", "someone/tiny-bert")
    dataset = "hub:someone/tiny_topics?text=sentence&label=topic"
    done = cli(tmp_path, "run", "--dataset", dataset, "--embedder", "hub:someone/tiny-bert?pooling=cls&max_length=16",
               *RUN)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["embedder"] == "someone--tiny-bert"
    again = cli(tmp_path, "run", "--dataset", dataset, "--embedder", "hub:someone/tiny-bert?pooling=mean&max_length=16",
                *RUN)  # another pooling: another embedding, another run
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)[0]["run_key"] != json.loads(done.stdout)[0]["run_key"]
    bad = cli(tmp_path, "run", "--dataset", dataset, "--embedder", "hub:someone/tiny-bert?normalize=maybe", *RUN)
    assert bad.returncode == 2 and "option normalize must be true or false, got 'maybe'" in bad.stderr
    absent = cli(tmp_path, "run", "--dataset", dataset, "--embedder", "hub:someone/absent-model", *RUN)
    assert absent.returncode == 2 and "is not available offline" in absent.stderr


def test_hub_references_parse_and_refuse_malformed_ones():
    ref = parse_reference("dataset", "hub:nyu-mll/glue:sst2?text=sentence&splits=train,validation",
                          ("text", "splits"))
    assert (ref.target, ref.hub, ref.config) == ("nyu-mll/glue", True, "sst2")
    assert ref.options == {"text": "sentence", "splits": "train,validation"}
    assert registry_slug(ref) == "nyu-mll--glue--sst2"
    assert parse_reference("embedder", "./m?pooling=cls", ("pooling",)).target == "./m"
    for bad, message in [("hub:noslash", "a hub id reads"), ("hub:a/b?text", "options must read"),
                         ("hub:a/b?text=x&text=y", "given once"), ("hub:a/b?colour=red", "unknown option")]:
        with pytest.raises(ConfigError, match=message):
            parse_reference("dataset", bad, ("text",))
