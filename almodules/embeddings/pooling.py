"""Pooling token states into one vector per text, and L2 normalisation.

Every pooling reads the attention mask, never the token ids, so it is correct under left and
right padding and when the padding token equals the end-of-sequence token (Qwen, Mistral):

* ``"cls"``  the first non-padding token (``[CLS]`` for BERT-style encoders),
* ``"eos"``  the last non-padding token (last-token pooling of decoder embedders),
* ``"mean"`` the mean over non-padding tokens.

Padded positions may hold NaN (fully masked attention rows under some kernels), so they are
masked with ``torch.where`` instead of multiplied by zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from almodules.core.validation import ConfigError

if TYPE_CHECKING:  # torch is imported where tensors are pooled, so the registry stays light
    import torch

__all__ = ["POOLINGS", "first_token_index", "last_token_index", "pool", "l2_normalize"]

POOLINGS = ("cls", "eos", "mean")


def first_token_index(mask: torch.Tensor) -> torch.Tensor:
    """Index of the first non-padding position of every row of a ``(batch, seq)`` 0/1 mask."""
    return mask.long().argmax(dim=1)


def last_token_index(mask: torch.Tensor) -> torch.Tensor:
    """Index of the last non-padding position of every row of a ``(batch, seq)`` 0/1 mask."""
    seq_len = mask.shape[1]
    return seq_len - 1 - mask.long().flip(dims=[1]).argmax(dim=1)


def pool(hidden: torch.Tensor, mask: torch.Tensor, method: str) -> torch.Tensor:
    """Pool ``hidden`` ``(batch, seq, dim)`` to ``(batch, dim)`` float32.

    Parameters
    ----------
    hidden : torch.Tensor
        Token states of the last layer, any floating dtype.
    mask : torch.Tensor
        ``(batch, seq)`` attention mask, 1 for real tokens, 0 for padding. Every row must hold
        at least one real token.
    method : {"cls", "eos", "mean"}
        See the module docstring.
    """
    import torch

    if method not in POOLINGS:
        raise ConfigError(f"unknown pooling {method!r}; allowed values: {', '.join(POOLINGS)}")
    hidden = hidden.float()
    rows = torch.arange(hidden.shape[0], device=hidden.device)
    if method == "cls":
        return hidden[rows, first_token_index(mask)]
    if method == "eos":
        return hidden[rows, last_token_index(mask)]
    keep = mask.bool().unsqueeze(-1)
    summed = torch.where(keep, hidden, torch.zeros((), dtype=hidden.dtype, device=hidden.device)).sum(dim=1)
    return summed / keep.sum(dim=1).clamp(min=1).to(hidden.dtype)


def l2_normalize(X: np.ndarray) -> np.ndarray:
    """Rows of ``X`` scaled to unit L2 norm, as float32; all-zero rows stay zero."""
    X = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.maximum(norms, np.finfo(np.float32).tiny)
