"""Derived embedders (the controlled quality ladder): PCA and noise transforms, names, caching."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA

from almodules.core.validation import ConfigError
from almodules.embeddings.derived import derive, derived_spec
from almodules.embeddings.registry import EMBEDDERS


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ALM_CACHE_DIR", str(tmp_path / "cache"))
    yield tmp_path
    for name in [n for n, s in EMBEDDERS.items() if "+" in n or str(tmp_path) in s.model]:
        EMBEDDERS.unregister(name)


def splits(seed=0, n=300, d=24):
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((d, d)) * np.linspace(3, 0.1, d)[:, None]
    return {"train": (rng.standard_normal((n, d)) @ mixing).astype(np.float32),
            "test": (rng.standard_normal((n // 3, d)) @ mixing).astype(np.float32)}


def test_pca_equals_scikit_learn_up_to_the_sign_of_each_component():
    base = splits()
    spec = derived_spec("tfidf-svd+pca8")
    ours = derive(spec.__class__(**{**spec.__dict__, "normalize": False}), base)
    reference = PCA(8, svd_solver="full").fit(base["train"].astype(np.float64))
    for split in ("train", "test"):
        expected = reference.transform(base[split].astype(np.float64))
        signs = np.sign((ours[split] * expected).sum(axis=0))
        np.testing.assert_allclose(ours[split], expected * signs, atol=2e-4)
        assert ours[split].dtype == np.float32 and ours[split].shape[1] == 8


def test_noise_replaces_the_given_share_of_the_variance_with_fixed_noise():
    base = splits(d=64, n=3000)
    spec = derived_spec("tfidf-svd+noise0.75")
    plain = spec.__class__(**{**spec.__dict__, "normalize": False})
    out = derive(plain, base)
    residual = out["train"] - np.sqrt(0.25) * base["train"]
    expected_var = 0.75 * base["train"].astype(np.float64).var(axis=0, ddof=1).mean()
    assert residual.var(axis=0).mean() == pytest.approx(expected_var, rel=0.05)
    again = derive(plain, base)
    np.testing.assert_array_equal(out["test"], again["test"])  # the same noise for every run
    assert not np.allclose(out["train"][:10], derive(derived_spec("tfidf-svd+noise0.5").__class__(
        **{**plain.__dict__, "transform": "noise0.5"}), base)["train"][:10])


@pytest.mark.parametrize("name, message", [
    ("tfidf-svd+pca0", "pca<d> \\(d >= 1\\)"), ("tfidf-svd+pca999", "more dimensions than 'tfidf-svd' has \\(256\\)"),
    ("nope+pca8", "unknown base embedder 'nope'"), ("tfidf-svd+noise1.5", "0 < a < 1"),
    ("tfidf-svd+blur", "got the transform 'blur'"),
])
def test_malformed_derived_names_are_refused_with_the_allowed_form(name, message):
    with pytest.raises(ConfigError, match=message):
        derived_spec(name)


def test_a_derived_embedder_is_cached_and_fingerprinted_with_its_base(cache):
    from almodules.embeddings.compute import embed_dataset, embedding_fingerprint
    from almodules.engine.config import RunConfig

    config = RunConfig.create(dataset="bbc_news", embedder="tfidf-svd+pca16", k0=5, budget=25, cycles=2)
    assert config.embedder == "tfidf-svd+pca16" and EMBEDDERS["tfidf-svd+pca16"].dim == 16
    first = embed_dataset("bbc_news", "tfidf-svd+pca16", progress=False)
    again = embed_dataset("bbc_news", "tfidf-svd+pca16", progress=False)
    assert first.train.shape == (1778, 16) and not first.from_cache and again.from_cache
    np.testing.assert_array_equal(first.test, again.test)
    np.testing.assert_allclose(np.linalg.norm(first.train, axis=1), 1.0, atol=1e-5)  # the base normalises
    base = embed_dataset("bbc_news", "tfidf-svd", progress=False)
    assert len({first.fingerprint, base.fingerprint, embedding_fingerprint("bbc_news", "tfidf-svd+pca32")}) == 3
    assert first.fingerprint == embedding_fingerprint("bbc_news", "tfidf-svd+pca16")


def test_a_bf16_variant_runs_its_base_under_autocast_with_its_own_fingerprint(cache, tmp_path):
    from tiny_transformers import tiny_encoder

    from almodules.embeddings.compute import embed_texts, embedder_key
    from almodules.embeddings.devices import precision_name
    from almodules.embeddings.local import find_embedder

    base = find_embedder(str(tiny_encoder(tmp_path / "models" / "tiny-bert")))
    spec = derived_spec(f"{base}+bf16")
    assert spec.cpu_precision == "bfloat16" and spec.backend == "transformers" and spec.model == EMBEDDERS[base].model
    assert precision_name(spec, "cpu") == "bfloat16-autocast"
    assert embedder_key(spec, "bfloat16-autocast") != embedder_key(EMBEDDERS[base], "float32")
    texts = ["goal match team score", "song band guitar album", "bread soup cheese meal"] * 3
    full = embed_texts(texts, base, progress=False)
    half = embed_texts(texts, f"{base}+bf16", progress=False)
    cosine = (full * half).sum(1) / np.linalg.norm(full, axis=1) / np.linalg.norm(half, axis=1)
    assert half.dtype == np.float32 and cosine.min() > 0.99 and not np.array_equal(full, half)
    with pytest.raises(ConfigError, match="needs a transformers embedder as its base, got 'tfidf-svd'"):
        derived_spec("tfidf-svd+bf16")
