"""Derived embedders (the controlled quality ladder): PCA and noise transforms, names, caching."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA

from almodules.derived_embedders import derive, derived_spec
from almodules.embedders import EMBEDDERS
from almodules.validation import ConfigError


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ALM_CACHE_DIR", str(tmp_path / "cache"))
    yield tmp_path
    for name in [n for n, s in EMBEDDERS.items() if s.backend == "derived"]:
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
    from almodules.config import RunConfig
    from almodules.embeddings import embed_dataset, embedding_fingerprint

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
