"""Embedders the user brings as model folders: a transformers or sentence-transformers layout.

Any folder with a ``config.json`` (and its tokenizer) is usable wherever an embedder name is
asked for, by its path (:func:`find_embedder`). The spec is read from the folder: the dimension
from ``config.json``; pooling, normalisation and maximum length from a sentence-transformers
layout (``modules.json``, ``1_Pooling/config.json``, ``sentence_bert_config.json``) when it has
one, else mean pooling without normalisation. :func:`folder_embedder` takes them as options too.
"""

from __future__ import annotations

import json
from pathlib import Path

from .embedders import EMBEDDERS, EmbedderSpec, register_embedder
from .imported_embeddings import find_imported
from .paths import is_path
from .validation import ConfigError

__all__ = ["folder_embedder", "find_embedder"]

_POOLING_MODES = {"pooling_mode_cls_token": "cls", "pooling_mode_mean_tokens": "mean", "pooling_mode_lasttoken": "eos"}


def _read_json(path: Path) -> dict | list | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise ConfigError(f"model folder file {path} is not valid JSON ({exc})") from None


def folder_embedder(folder: str | Path, *, name: str | None = None, pooling: str | None = None,
                    normalize: bool | None = None, max_length: int | None = None,
                    prompt: str | None = None) -> EmbedderSpec:
    """The spec of a local model folder; options override what the folder says.

    Raises
    ------
    ConfigError
        When the folder has no ``config.json`` or it names no hidden size.
    """
    folder = Path(folder).expanduser().resolve()
    config = _read_json(folder / "config.json")
    if not isinstance(config, dict):
        raise ConfigError(f"embedder folder {str(folder)!r} has no config.json; allowed: a transformers or "
                          "sentence-transformers model folder")
    dim = next((config[k] for k in ("hidden_size", "d_model", "dim") if isinstance(config.get(k), int)), None)
    if dim is None:
        raise ConfigError(f"embedder folder {str(folder)!r}: its config.json names no hidden_size")
    modules = _read_json(folder / "modules.json") or []
    kinds = {m.get("type", "").rsplit(".", 1)[-1]: m.get("path", "") for m in modules if isinstance(m, dict)}
    pooled = _read_json(folder / kinds.get("Pooling", "1_Pooling") / "config.json") or {}
    found = next((mode for key, mode in _POOLING_MODES.items() if pooled.get(key)), None)
    bert = _read_json(folder / "sentence_bert_config.json") or {}
    positions = config.get("max_position_embeddings") or 512
    return EmbedderSpec(
        name=name or folder.name, title=folder.name, backend="transformers", model=str(folder), dim=dim,
        pooling=pooling or found or "mean",
        normalize=normalize if normalize is not None else "Normalize" in kinds,
        max_length=max_length or int(bert.get("max_seq_length") or min(512, positions)), prompt=prompt,
        notes=f"local model folder {folder}")


def find_embedder(name: str) -> str:
    """The registry name of ``name``: registered, imported earlier (:mod:`almodules.imported_embeddings`),
    or a path to a model folder (registered now)."""
    if not isinstance(name, str) or name in EMBEDDERS:
        return name
    folder = Path(name).expanduser()
    if not is_path(name):
        return find_imported(name)
    if folder.is_dir():
        spec = folder_embedder(folder)
        if spec.name in EMBEDDERS and EMBEDDERS[spec.name].model != spec.model:
            raise ConfigError(f"model folder {name!r} is named like the registered embedder {spec.name!r}; "
                              "rename the folder")
        register_embedder(spec, replace=True)
        return spec.name
    return name
