"""Embedders the user brings: a model folder (transformers or sentence-transformers layout) or a hub id.

Any folder with a ``config.json`` (and its tokenizer) is usable wherever an embedder name is
asked for, by its path, and so is a hub model as ``hub:OWNER/NAME`` (:func:`find_embedder`; the
model is taken from ``$ALM_MODELS_DIR``, the Hugging Face cache, or downloaded when
``ALM_ALLOW_DOWNLOAD=1``). The spec is read from the folder: the dimension from ``config.json``;
pooling, normalisation and maximum length from a sentence-transformers layout (``modules.json``,
``1_Pooling/config.json``, ``sentence_bert_config.json``) when it has one, else mean pooling
without normalisation. Options override them (:data:`EMBEDDER_OPTIONS`), in Python as arguments of
:func:`folder_embedder` / :func:`hub_embedder`, elsewhere as a tail of the name::

    hub:sentence-transformers/all-MiniLM-L6-v2?max_length=128
    ./models/my-encoder?pooling=cls&normalize=true&prompt=query:%20
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from almodules.core.hub_references import is_hub, parse_reference, registry_slug
from almodules.core.paths import is_path
from almodules.core.validation import ConfigError, check_int
from almodules.embeddings.derived import derived_spec
from almodules.embeddings.imported import find_imported
from almodules.embeddings.model_files import hub_snapshot
from almodules.embeddings.registry import EMBEDDERS, register_embedder
from almodules.embeddings.spec import EmbedderSpec

__all__ = ["EMBEDDER_OPTIONS", "folder_embedder", "find_embedder", "hub_embedder"]

EMBEDDER_OPTIONS: tuple[str, ...] = ("pooling", "normalize", "max_length", "prompt")
"""Options of a model folder or hub embedder: pooling (cls, mean, eos), normalize (true or false),
max_length (tokens) and prompt (prepended to every text)."""

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


def hub_embedder(hub_id: str, *, revision: str | None = None, name: str | None = None, **options) -> EmbedderSpec:
    """The spec of hub model ``hub_id`` (its folder located by :func:`~.model_files.hub_snapshot`).

    The spec names the hub id and the snapshot's revision, so the embedding fingerprint follows
    the model's version; ``options`` are those of :func:`folder_embedder`.
    """
    folder = hub_snapshot(hub_id, revision)
    spec = folder_embedder(folder, name=name or registry_slug(parse_reference("embedder", f"hub:{hub_id}", ())),
                           **options)
    commit = revision or (folder.name if folder.parent.name == "snapshots" else None)
    return dataclasses.replace(spec, title=hub_id, model=hub_id, revision=commit,
                               notes=f"Hugging Face hub model {hub_id}" + (f" at {commit}" if commit else ""))


def _options(name: str, options: dict[str, str]) -> dict:
    out: dict = dict(options)
    if "normalize" in out:
        flag = out["normalize"].lower()
        if flag not in ("true", "false"):
            raise ConfigError(f"embedder {name!r}: option normalize must be true or false, got {options['normalize']!r}")
        out["normalize"] = flag == "true"
    if "max_length" in out:
        try:
            out["max_length"] = check_int(f"embedder {name!r} option max_length", int(out["max_length"]), minimum=2)
        except ValueError:
            raise ConfigError(f"embedder {name!r}: option max_length must be an integer >= 2, "
                              f"got {options['max_length']!r}") from None
    return out


def _register(spec: EmbedderSpec, name: str) -> str:
    if spec.name in EMBEDDERS and EMBEDDERS[spec.name].model != spec.model:
        raise ConfigError(f"embedder {name!r} would be registered as {spec.name!r}, a registered embedder; "
                          "rename the folder")
    register_embedder(spec, replace=True)
    return spec.name


def find_embedder(name: str) -> str:
    """The registry name of ``name``: registered, imported earlier (:mod:`almodules.embeddings.imported`),
    derived from one (``<base>+pca32``, :mod:`almodules.embeddings.derived`), a path to a model folder or
    a ``hub:`` id, each with options (registered now)."""
    if not isinstance(name, str) or name in EMBEDDERS:
        return name
    if (derived := derived_spec(name)) is not None:
        register_embedder(derived, replace=True)
        return derived.name
    if is_hub(name):
        ref = parse_reference("embedder", name, EMBEDDER_OPTIONS)
        return _register(hub_embedder(ref.target, **_options(name, ref.options)), name)
    if not is_path(name):
        return find_imported(name)
    ref = parse_reference("embedder", name, EMBEDDER_OPTIONS)
    folder = Path(ref.target).expanduser()
    if folder.is_dir():
        return _register(folder_embedder(folder, **_options(name, ref.options)), name)
    return name
