"""Fixtures shared by the test modules."""

from __future__ import annotations

import pytest
from engine_fakes import registered


@pytest.fixture
def blob_registry():
    """The synthetic ``blobs`` datasets and the ``gauss`` embedder, registered for one test."""
    with registered():
        yield


@pytest.fixture
def register():
    """``register(spec)`` adds a DatasetSpec or EmbedderSpec to its registry for one test."""
    from almodules.datasets.registry import DatasetSpec, register_dataset, unregister_dataset
    from almodules.embeddings.registry import register_embedder, unregister_embedder

    undo = []

    def add(spec):
        if isinstance(spec, DatasetSpec):
            register_dataset(spec)
            undo.append(lambda: unregister_dataset(spec.name))
        else:
            register_embedder(spec)
            undo.append(lambda: unregister_embedder(spec.name))
        return spec

    yield add
    for step in reversed(undo):
        step()


@pytest.fixture
def registry_loaders(blob_registry, monkeypatch):
    """The default loader finds the blobs: the engine's dataset and embedding calls are redirected."""
    from engine_fakes import blobs, load_blobs

    import almodules.engine.experiment as experiment

    monkeypatch.setattr(experiment, "load_dataset", lambda name: blobs(name)[0])
    monkeypatch.setattr(experiment, "embed_dataset", lambda data, emb: blobs(data.name)[1])
    monkeypatch.setattr(experiment, "embedding_fingerprint",
                        lambda data, emb: load_blobs(data.name, emb).embedding_fingerprint)
