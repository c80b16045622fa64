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
    from almodules.dataset_registry import DatasetSpec, register_dataset, unregister_dataset
    from almodules.embedders import register_embedder, unregister_embedder

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
    import almodules.experiment as experiment
    from engine_fakes import blobs, load_blobs

    monkeypatch.setattr(experiment, "load_dataset", lambda name: blobs(name)[0])
    monkeypatch.setattr(experiment, "embed_dataset", lambda data, emb: blobs(data.name)[1])
    monkeypatch.setattr(experiment, "embedding_fingerprint",
                        lambda data, emb: load_blobs(data.name, emb).embedding_fingerprint)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium through Playwright, one per test session (a second sync Playwright cannot
    start while one is running)."""
    from pathlib import Path

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), args=["--headless", "--no-sandbox", "--disable-gpu",
                                                                  "--disable-background-networking",
                                                                  "--disable-component-update", "--disable-sync"])
        yield b
        b.close()
