"""Where data, caches and results live.

Every location is resolved at call time from an environment variable, falling back to a folder
of the repository checkout, so nothing is read from global state captured at import.

=================  ====================================  ===================================
variable           meaning                               default
=================  ====================================  ===================================
``ALM_DATA_DIR``   local ``<name>/{train,test}.parquet``  ``../shared/datasets`` beside the
                   dataset copies                         checkout when it exists
``ALM_CACHE_DIR``  embeddings, unpacked models            ``data/cache/``
``ALM_RESULTS_DIR`` the result store                      ``data/results/``
=================  ====================================  ===================================
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["repo_root", "data_dir", "cache_dir", "results_dir", "is_path"]


def repo_root() -> Path:
    """The checkout that holds this package (``almodules/..``)."""
    return Path(__file__).resolve().parents[2]


def _from_env(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


def data_dir() -> Path | None:
    """Directory of local dataset copies, or ``None`` when none is configured or found."""
    value = os.environ.get("ALM_DATA_DIR")
    if value:
        return Path(value).expanduser().resolve()
    shared = repo_root().parent / "shared" / "datasets"
    # Resolved, as ALM_DATA_DIR is: ../shared may be a link, and paths are compared after resolving.
    return shared.resolve() if shared.is_dir() else None


def cache_dir() -> Path:
    """Root of on-disk caches (embeddings, unpacked model archives); created on demand."""
    path = _from_env("ALM_CACHE_DIR", repo_root() / "data" / "cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


def results_dir() -> Path:
    """Root of the result store; created on demand."""
    path = _from_env("ALM_RESULTS_DIR", repo_root() / "data" / "results")
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_path(name: str) -> bool:
    """Whether a dataset or embedder argument names a folder rather than a registry entry."""
    return "/" in name or name.startswith((".", "~"))
