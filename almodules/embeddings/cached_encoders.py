"""Encoders of embedders whose vectors come from the embedding cache, never from texts.

Imported embeddings (:mod:`almodules.embeddings.imported`) and derived embedders
(:mod:`almodules.embeddings.derived`) are embedders like any other in the registry, but there is
nothing to compute from a loose list of texts: asking for it is refused with the way to get them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from almodules.core.validation import ConfigError
from almodules.embeddings.spec import EmbedderSpec

__all__ = ["PrecomputedEncoder", "DerivedEncoder"]

Texts = Sequence[str]
Update = Callable[[int], object]


class PrecomputedEncoder:
    """Imported embeddings (:mod:`almodules.embeddings.imported`) live in the cache: nothing to compute."""

    needs_fit = False

    def __init__(self, spec: EmbedderSpec, device: str | None = None) -> None:
        self.spec = spec

    def encode(self, texts: Texts, pairs: Texts | None = None, *, batch_size: int | None = None,
               update: Update | None = None) -> np.ndarray:
        raise ConfigError(f"embedder {self.spec.name!r} holds imported embeddings and computes none: these texts "
                          "were not imported (python -m almodules embed import --dataset D --name "
                          f"{self.spec.name} train.npy test.npy)")


class DerivedEncoder:
    """Derived embedders (:mod:`almodules.embeddings.derived`) transform their base's embeddings of a whole
    dataset: :func:`~almodules.embeddings.compute.embed_dataset` computes them, not an encoder of texts."""

    needs_fit = False

    def __init__(self, spec: EmbedderSpec, device: str | None = None) -> None:
        self.spec = spec

    def encode(self, texts: Texts, pairs: Texts | None = None, *, batch_size: int | None = None,
               update: Update | None = None) -> np.ndarray:
        raise ConfigError(f"embedder {self.spec.name!r} is derived from {self.spec.model!r} over a whole dataset "
                          "(its PCA or noise level is fitted on the train split): embed a dataset with it "
                          "(embed_dataset, python -m almodules embed), not loose texts")
