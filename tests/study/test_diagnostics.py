"""almodules.study.diagnostics: the cached computation helper and the embedding-quality measures."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from almodules.core.atomic import canonical_hash
from almodules.study import diagnostics


def test_canonical_hash_ignores_key_order_and_sees_values():
    assert canonical_hash({"a": 1, "b": [1, 2]}) == canonical_hash({"b": [1, 2], "a": 1})
    assert canonical_hash({"a": 1}) != canonical_hash({"a": 2})


def test_cached_frame_computes_once_per_key_and_leaves_no_temporary_files(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return pd.DataFrame({"v": [len(calls)]})

    first = diagnostics.cached_frame("thing", {"x": 1}, compute, root=tmp_path)
    again = diagnostics.cached_frame("thing", {"x": 1}, compute, root=tmp_path)
    other = diagnostics.cached_frame("thing", {"x": 2}, compute, root=tmp_path)
    assert len(calls) == 2
    assert first["v"].tolist() == again["v"].tolist() == [1] and other["v"].tolist() == [2]
    files = sorted(p.name for p in (tmp_path / "diagnostics" / "thing").iterdir())
    assert len(files) == 2 and all(f.endswith(".parquet") for f in files)


def test_cached_frame_failure_writes_nothing(tmp_path):
    def boom():
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        diagnostics.cached_frame("thing", {"x": 1}, boom, root=tmp_path)
    assert not (tmp_path / "diagnostics" / "thing").exists() or not any((tmp_path / "diagnostics" / "thing").iterdir())


def _separable(n, rng, shift):
    y = np.repeat([0, 1], n // 2)
    X = rng.normal(size=(n, 5)).astype(np.float32)
    X[:, 0] += shift * (2 * y - 1)
    return X, y


@pytest.fixture
def fake_pool(monkeypatch):
    rng = np.random.default_rng(0)
    Xtr, ytr = _separable(200, rng, 4.0)
    Xte, yte = _separable(100, rng, 4.0)
    inputs = SimpleNamespace(train=Xtr, train_labels=ytr, test=Xte, test_labels=yte, n_classes=3)
    calls = []

    def fake(dataset, embedder, pool_size, seed):
        calls.append((dataset, embedder, pool_size, seed))
        n = pool_size or len(ytr)
        return Xtr[:n], ytr[:n], inputs, ("neg", "pos", "never")

    monkeypatch.setattr(diagnostics, "_pool", fake)
    monkeypatch.setattr(diagnostics, "registered_fingerprints", lambda d, e: (f"data-{d}", f"emb-{e}", 200))
    return calls


def test_embedding_quality_scores_and_caches(tmp_path, fake_pool):
    row = diagnostics.embedding_quality("d", "e", root=tmp_path)
    assert len(row) == 1
    r = row.iloc[0]
    assert r["probe_accuracy"] > 0.95 and r["knn_accuracy"] > 0.95
    assert r["n_pool"] == 200 and r["n_test"] == 100 and r["dim"] == 5 and r["n_classes"] == 3
    assert 0 < r["probe_macro_f1"] < 0.7  # macro over all three classes, one never occurs
    diagnostics.embedding_quality("d", "e", root=tmp_path)
    assert len(fake_pool) == 1  # the second call read the stored row
    table = diagnostics.embedding_quality_table([("d", "e"), ("d", "f")], root=tmp_path, progress=False)
    assert list(table["embedder"]) == ["e", "f"] and len(fake_pool) == 2


def test_embedding_quality_rejects_bad_parameters(tmp_path):
    with pytest.raises(ValueError, match="pool_size"):
        diagnostics.embedding_quality("d", "e", pool_size=0, root=tmp_path)
    with pytest.raises(ValueError, match="k must be"):
        diagnostics.embedding_quality("d", "e", k=0, root=tmp_path)


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_projection_2d_returns_one_named_point_per_sample(tmp_path, fake_pool, method):
    points = diagnostics.projection_2d("d", "e", n_points=60, method=method, root=tmp_path)
    assert list(points.columns) == ["dataset", "embedder", "x", "y", "label"]
    assert len(points) == 60 and set(points["label"]) <= {"neg", "pos"}
    assert np.isfinite(points[["x", "y"]].to_numpy()).all()


def test_projection_2d_rejects_unknown_method(tmp_path):
    with pytest.raises(ValueError, match="method"):
        diagnostics.projection_2d("d", "e", method="umap", root=tmp_path)
