"""Pooling: CLS / EOS / mean under left and right padding equal a hand computation.

The hand computation runs each text alone through the model (no padding at all) and takes the
first token state, the last token state or the mean; the batched, length-sorted, padded path
of :class:`almodules.embeddings.encoders.TransformerEncoder` must reproduce it, in dataset order.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tiny_transformers import PAIRS, TEXTS, hidden_states_one_by_one, tiny_decoder, tiny_encoder

from almodules.embeddings.encoders import TransformerEncoder
from almodules.embeddings.pooling import first_token_index, l2_normalize, last_token_index, pool
from almodules.embeddings.registry import EmbedderSpec


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory):
    return tiny_encoder(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="module")
def decoder_dir(tmp_path_factory):
    return tiny_decoder(tmp_path_factory.mktemp("tiny-qwen2"))


@pytest.fixture(scope="module")
def encoder_states(encoder_dir):
    """Token ids and hidden states of each text run alone through the tiny BERT."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(encoder_dir)
    ids = [tok(t)["input_ids"] for t in TEXTS]
    assert all(seq[0] == tok.cls_token_id and seq[-1] == tok.sep_token_id for seq in ids)
    return hidden_states_one_by_one(encoder_dir, ids)


@pytest.fixture(scope="module")
def decoder_states(decoder_dir):
    """Hidden states of each text + EOS (the token last-token pooling reads) run alone."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(decoder_dir)
    assert tok.pad_token_id == tok.eos_token_id  # padding must be found from the mask, not the token id
    return hidden_states_one_by_one(decoder_dir, [tok(t)["input_ids"] + [tok.eos_token_id] for t in TEXTS])


def hand_pool(states: list[np.ndarray], method: str) -> np.ndarray:
    pick = {"cls": lambda h: h[0], "eos": lambda h: h[-1], "mean": lambda h: h.mean(axis=0)}[method]
    return np.stack([pick(h) for h in states])


# ----------------------------------------------------------------------------- pure functions

@pytest.mark.parametrize("side", ["left", "right"])
def test_first_and_last_token_index_follow_the_mask(side):
    lengths = [3, 5, 1]
    mask = torch.zeros(3, 5, dtype=torch.int64)
    for r, n in enumerate(lengths):
        if side == "left":
            mask[r, 5 - n:] = 1
        else:
            mask[r, :n] = 1
    first = [5 - n if side == "left" else 0 for n in lengths]
    last = [4 if side == "left" else n - 1 for n in lengths]
    assert first_token_index(mask).tolist() == first
    assert last_token_index(mask).tolist() == last


def test_pool_ignores_nan_at_padded_positions():
    hidden = torch.arange(2 * 3 * 2, dtype=torch.float32).reshape(2, 3, 2)
    mask = torch.tensor([[1, 1, 0], [0, 1, 1]])
    hidden[0, 2] = float("nan")  # padding states may be NaN (fully masked attention rows)
    hidden[1, 0] = float("nan")
    np.testing.assert_allclose(pool(hidden, mask, "mean").numpy(), [[1, 2], [9, 10]])
    np.testing.assert_allclose(pool(hidden, mask, "cls").numpy(), [[0, 1], [8, 9]])
    np.testing.assert_allclose(pool(hidden, mask, "eos").numpy(), [[2, 3], [10, 11]])


def test_pool_rejects_unknown_method():
    with pytest.raises(ValueError, match="pooling 'max'.*cls, eos, mean"):
        pool(torch.zeros(1, 1, 2), torch.ones(1, 1), "max")


def test_l2_normalize_unit_rows_and_zero_rows_stay_zero():
    X = l2_normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert X.dtype == np.float32
    np.testing.assert_allclose(X, [[0.6, 0.8], [0.0, 0.0]])


# ----------------------------------------------------------------------------- tiny models

@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("method", ["cls", "eos", "mean"])
def test_encoder_pooling_matches_one_text_at_a_time(encoder_dir, encoder_states, method, side):
    spec = EmbedderSpec(name="tiny-bert", title="tiny", backend="transformers", model=str(encoder_dir), dim=32,
                        pooling=method, padding_side=side, batch_size=3)
    got = TransformerEncoder(spec, device="cpu").encode(TEXTS)
    np.testing.assert_allclose(got, hand_pool(encoder_states, method), atol=2e-5, rtol=1e-4)


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("method", ["cls", "eos", "mean"])
def test_decoder_pooling_matches_one_text_at_a_time(decoder_dir, decoder_states, method, side):
    spec = EmbedderSpec(name="tiny-qwen2", title="tiny", backend="transformers", model=str(decoder_dir), dim=32,
                        pooling=method, padding_side=side, append_eos=True, batch_size=3)
    got = TransformerEncoder(spec, device="cpu").encode(TEXTS)
    np.testing.assert_allclose(got, hand_pool(decoder_states, method), atol=2e-5, rtol=1e-4)


def test_decoder_eos_is_not_appended_twice_and_survives_truncation(decoder_dir):
    spec = EmbedderSpec(name="tiny-qwen2", title="tiny", backend="transformers", model=str(decoder_dir), dim=32,
                        pooling="eos", append_eos=True, max_length=8)
    enc = TransformerEncoder(spec, device="cpu")
    eos_text = enc.tokenizer.eos_token
    ids, _ = enc.tokenize(["abc" + eos_text, "a much longer text than eight characters"], None)
    eos = enc.tokenizer.eos_token_id
    assert ids[0] == enc.tokenizer("abc")["input_ids"] + [eos]
    assert len(ids[1]) == 8 and ids[1][-1] == eos


@pytest.mark.parametrize("side", ["left", "right"])
def test_pair_inputs_match_one_pair_at_a_time(encoder_dir, side):
    spec = EmbedderSpec(name="tiny-bert", title="tiny", backend="transformers", model=str(encoder_dir), dim=32,
                        pooling="mean", padding_side=side, batch_size=2)
    enc = TransformerEncoder(spec, device="cpu")
    got = enc.encode(TEXTS, PAIRS)
    encoded = [enc.tokenizer(t, p) for t, p in zip(TEXTS, PAIRS)]
    assert all(1 in e["token_type_ids"] for e in encoded)  # the second segment has its own type
    states = hidden_states_one_by_one(encoder_dir, [e["input_ids"] for e in encoded],
                                      [e["token_type_ids"] for e in encoded])
    np.testing.assert_allclose(got, hand_pool(states, "mean"), atol=2e-5, rtol=1e-4)
    assert not np.allclose(got, enc.encode(TEXTS), atol=1e-3)


def test_prompt_is_prefixed_and_counts_towards_max_length(decoder_dir):
    spec = EmbedderSpec(name="tiny-qwen2", title="tiny", backend="transformers", model=str(decoder_dir), dim=32,
                        pooling="eos", append_eos=True, prompt="query: ", max_length=12)
    enc = TransformerEncoder(spec, device="cpu")
    ids, _ = enc.tokenize(["abcdefghijklmnop"], None)
    tok = enc.tokenizer
    assert ids[0] == tok("query: abcd")["input_ids"] + [tok.eos_token_id]
