"""Where a result came from: the package version, the git commit and the library versions.

Stored with every run so a reader can tell which code and which libraries computed it.
"""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata

from . import __version__
from .paths import repo_root

__all__ = ["LIBRARIES", "package_version", "git_commit", "library_versions"]

LIBRARIES: tuple[str, ...] = ("numpy", "scipy", "scikit-learn", "scikit-activeml", "pandas", "pyarrow", "torch",
                              "transformers", "threadpoolctl", "joblib")
"""Distributions whose versions are recorded with every run."""


def package_version() -> str:
    """The version of ``almodules``."""
    return __version__


def git_commit() -> str | None:
    """The checkout's ``HEAD`` commit, or ``None`` outside a git checkout."""
    root = repo_root()
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def library_versions() -> dict[str, str | None]:
    """``{"python": ..., <distribution>: version or None}`` for :data:`LIBRARIES`."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for dist in LIBRARIES:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return versions
