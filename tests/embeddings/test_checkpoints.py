"""A killed encoding resumes from its checkpoint and gives the bits of an uninterrupted one."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from tiny_transformers import TEXTS, tiny_encoder

import almodules.embeddings.checkpoints as checkpoints
from almodules.embeddings.compute import embed_dataset
from almodules.embeddings.encoders import TransformerEncoder
from almodules.embeddings.spec import EmbedderSpec


@pytest.fixture(autouse=True)
def cache(monkeypatch, tmp_path):
    monkeypatch.setenv("ALM_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    folder = tiny_encoder(tmp_path_factory.mktemp("tiny-bert"))
    return EmbedderSpec(name="tiny-bert", title="tiny BERT", backend="transformers", model=str(folder), dim=32,
                        pooling="cls", normalize=True, max_length=16, batch_size=2)


def dataset(name):
    texts = tuple(f"{a} {b}" for a in TEXTS for b in TEXTS)  # 25 texts of different lengths
    return SimpleNamespace(name=name, train_text=texts, test_text=texts[:7], train_pair=None, test_pair=None,
                           val_text=None, val_pair=None)


def test_a_killed_encoding_resumes_with_the_same_bits(spec, monkeypatch, tmp_path):
    whole = embed_dataset(dataset("once"), spec, progress=False)
    monkeypatch.setattr(checkpoints, "SAVE_EVERY_S", 0.0)  # save after every batch
    real, calls = TransformerEncoder.forward, []

    def dies_after_five(self, *args):
        calls.append(1)
        if len(calls) == 6:
            raise KeyboardInterrupt  # the session's end
        return real(self, *args)

    monkeypatch.setattr(TransformerEncoder, "forward", dies_after_five)
    with pytest.raises(KeyboardInterrupt):
        embed_dataset(dataset("killed"), spec, progress=False)
    partial = list((tmp_path / "cache").rglob(".*.partial.npz"))
    assert len(partial) == 1 and int(np.load(partial[0])["done"]) == 10  # five batches of two kept
    monkeypatch.setattr(TransformerEncoder, "forward", lambda self, *a: calls.append(1) or real(self, *a))
    calls.clear()
    resumed = embed_dataset(dataset("killed"), spec, progress=False)
    assert len(calls) == 13 - 5 + 4  # the train split's 8 remaining batches, then the test split's 4
    np.testing.assert_array_equal(resumed.train, whole.train)
    np.testing.assert_array_equal(resumed.test, whole.test)
    assert not list((tmp_path / "cache").rglob(".*.partial.npz"))  # removed once cached


def test_a_checkpoint_of_another_batch_size_is_not_resumed(tmp_path):
    path = tmp_path / ".x.partial.npz"
    saved = checkpoints.Checkpoint(path, 6, 4, batch_size=2, every_s=0)
    saved.save(np.ones((6, 4), np.float32), 4)
    assert checkpoints.Checkpoint(path, 6, 4, batch_size=2).resume()[1] == 4
    out, done = checkpoints.Checkpoint(path, 6, 4, batch_size=3).resume()
    assert done == 0 and not out.any()
    path.write_bytes(b"torn")
    assert checkpoints.Checkpoint(path, 6, 4, batch_size=2).resume()[1] == 0
