"""Tiny randomly initialised transformers saved to a folder, for pooling and loading tests.

``tiny_encoder`` is a 2-layer BERT with a word-level vocabulary; ``tiny_decoder`` a 2-layer
Qwen2 (the architecture of Qwen2.5-7B and Stella-v5) with a character-level byte-level BPE
tokenizer whose padding token equals its EOS token, as in the real Qwen tokenizers.
"""

from __future__ import annotations

from pathlib import Path

WORDS = ("how do i top up my card bank transfer money is why not working the a pin reset "
         "change exchange rate pending arrived").split()
TEXTS = (
    "how do i top up my card",
    "why is my transfer pending",
    "pin",
    "my card is not working why",
    "how do i change my pin the exchange rate is not working",
)
PAIRS = ("top up", "transfer", "reset my pin", "card", "rate")


def tiny_encoder(folder: Path) -> Path:
    """Save a tiny BERT model and tokenizer to ``folder``; return it."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    tokenizer = BertTokenizer(vocab={w: i for i, w in enumerate(vocab)})
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=48, max_position_embeddings=64)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def tiny_decoder(folder: Path) -> Path:
    """Save a tiny Qwen2 model and tokenizer (pad token = EOS token) to ``folder``; return it."""
    import torch
    from transformers import Qwen2Config, Qwen2Model, Qwen2Tokenizer

    # Byte-level alphabet of printable ASCII: 'Ġ' is the space, 'Ċ' the newline.
    symbols = [chr(c) for c in range(33, 127)] + ["Ġ", "Ċ", "<|endoftext|>"]
    tokenizer = Qwen2Tokenizer(vocab={s: i for i, s in enumerate(symbols)}, merges=[])
    torch.manual_seed(0)
    config = Qwen2Config(vocab_size=len(symbols), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, intermediate_size=48, max_position_embeddings=128)
    Qwen2Model(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def hidden_states_one_by_one(folder: Path, token_ids: list[list[int]], token_types=None):
    """Last hidden states of each sequence run alone (no padding), as float64 numpy arrays."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(folder, local_files_only=True).eval()
    states = []
    with torch.no_grad():
        for i, ids in enumerate(token_ids):
            inputs = {"input_ids": torch.tensor([ids])}
            if token_types is not None:
                inputs["token_type_ids"] = torch.tensor([token_types[i]])
            states.append(model(**inputs).last_hidden_state[0].double().numpy())
    return states
