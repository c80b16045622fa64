"""Derived embedders: the controlled quality ladder, ``<base>+pca<d>`` and ``<base>+noise<a>``.

A derived embedder transforms the embeddings of a base embedder on one dataset, so that the
embedding quality changes while the data, the texts and everything else stay the same:

``pca<d>``
    Principal components fitted on the train split (centred, float64 covariance, the top ``d``
    eigenvectors, each signed so that its largest loading is positive), applied to every split.
``noise<a>``, ``0 < a < 1``
    ``sqrt(1 - a) * x + sqrt(a) * s * g``: a share ``a`` of the variance replaced by Gaussian noise,
    ``s`` the root mean per-dimension variance of the train split, ``g`` drawn from a generator
    seeded by the split, the level and the dimension (fixed: the same noise for every run).

Both are L2-normalised afterwards when the base is. ``<base>+bf16`` is not derived from the base's
embeddings but a variant of a transformers base that runs its forward pass in bfloat16 on the CPU
(``cpu_precision``), faster where the CPU has bfloat16 instructions (``benchmarks/embed_bf16.py``). They are registry entries like any other
(the name is resolved on first use, :func:`derived_spec`), cached by
:func:`almodules.embeddings.compute.embed_dataset` with a fingerprint that includes the base's.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
from threadpoolctl import threadpool_limits

from almodules.core.validation import ConfigError
from almodules.embeddings.encoders import SVD_THREADS
from almodules.embeddings.pooling import l2_normalize
from almodules.embeddings.registry import EMBEDDERS
from almodules.embeddings.spec import EmbedderSpec

__all__ = ["DERIVED_SEPARATOR", "derived_spec", "derive"]

DERIVED_SEPARATOR = "+"
"""Separates the base embedder's name from the transform: ``all-mpnet-base-v2+pca32``."""

_TRANSFORM = re.compile(r"pca(?P<dim>[1-9]\d*)|noise(?P<level>0?\.\d*[1-9]\d*)")
_SPLITS = ("train", "test", "val")


def derived_spec(name: str) -> EmbedderSpec | None:
    """The spec of a derived embedder name, or ``None`` when ``name`` is not of that form.

    Raises
    ------
    ConfigError
        When the base is not a registered embedder, the transform is malformed, or a PCA asks for
        more dimensions than the base has.
    """
    if not isinstance(name, str) or DERIVED_SEPARATOR not in name:
        return None
    base_name, _, transform = name.rpartition(DERIVED_SEPARATOR)
    if transform == "bf16":
        return _bf16_variant(name, base_name)
    match = _TRANSFORM.fullmatch(transform)
    if match is None:
        raise ConfigError(f"embedder {name!r}: a derived embedder reads <base>+pca<d> (d >= 1), <base>+noise<a> "
                          f"(0 < a < 1) or <base>+bf16, got the transform {transform!r}")
    if base_name not in EMBEDDERS:
        raise ConfigError(f"embedder {name!r}: unknown base embedder {base_name!r}; allowed values: "
                          f"{', '.join(sorted(EMBEDDERS))}")
    base = EMBEDDERS[base_name]
    if match["dim"]:
        dim = int(match["dim"])
        if dim > base.dim:
            raise ConfigError(f"embedder {name!r}: pca{dim} asks for more dimensions than {base_name!r} has "
                              f"({base.dim}); allowed: pca1 .. pca{base.dim}")
        what = f"the top {dim} principal components (fitted on the train split) of {base_name}"
    else:
        dim = base.dim
        level = float(match["level"])
        what = f"{base_name} with {level:.0%} of its variance replaced by fixed Gaussian noise"
    return EmbedderSpec(name=name, title=f"{base.title} + {transform}", backend="derived", dim=dim, pooling=None,
                        normalize=base.normalize, model=base_name, transform=transform, offline=base.offline,
                        notes=f"Derived: {what}.")


def _bf16_variant(name: str, base_name: str) -> EmbedderSpec:
    base = EMBEDDERS.get(base_name)
    if base is None or base.backend != "transformers":
        allowed = sorted(n for n, s in EMBEDDERS.items() if s.backend == "transformers")
        raise ConfigError(f"embedder {name!r}: +bf16 needs a transformers embedder as its base, got {base_name!r}; "
                          f"allowed values: {', '.join(allowed)}")
    return dataclasses.replace(base, name=name, title=f"{base.title} (bfloat16 on CPU)", cpu_precision="bfloat16",
                               notes=f"{base.notes} Forward pass under torch.autocast(bfloat16) on the CPU.".strip())


def derive(spec: EmbedderSpec, base: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The derived embeddings of each split from the base's (``{"train": X, "test": X, ...}``)."""
    match = _TRANSFORM.fullmatch(spec.transform or "")
    if spec.backend != "derived" or match is None:
        raise ConfigError(f"embedder {spec.name!r} is not a derived embedder")
    train = base["train"].astype(np.float64)
    with threadpool_limits(SVD_THREADS):  # the eigendecomposition's last bits depend on the thread count
        if match["dim"]:
            out = _pca(train, base, int(match["dim"]))
        else:
            out = _noise(train, base, float(match["level"]))
    return {split: (l2_normalize(X) if spec.normalize else X) for split, X in out.items()}


def _pca(train: np.ndarray, base: dict[str, np.ndarray], dim: int) -> dict[str, np.ndarray]:
    mean = train.mean(axis=0)
    centred = train - mean
    values, vectors = np.linalg.eigh(centred.T @ centred / max(len(train) - 1, 1))
    top = vectors[:, np.argsort(values, kind="stable")[::-1][:dim]]
    signs = np.sign(top[np.abs(top).argmax(axis=0), np.arange(dim)])
    top = top * np.where(signs == 0, 1.0, signs)
    return {split: ((X.astype(np.float64) - mean) @ top).astype(np.float32) for split, X in base.items()}


def _noise(train: np.ndarray, base: dict[str, np.ndarray], level: float) -> dict[str, np.ndarray]:
    scale = float(np.sqrt(train.var(axis=0, ddof=1).mean())) if len(train) > 1 else 1.0
    out = {}
    for split, X in base.items():
        rng = np.random.default_rng([_SPLITS.index(split), X.shape[1], round(level * 1e6)])
        noise = rng.standard_normal(X.shape)
        out[split] = (np.sqrt(1 - level) * X.astype(np.float64) + np.sqrt(level) * scale * noise).astype(np.float32)
    return out
