"""Where a result came from: the package version, the git commit and the library versions.

Stored with every run so a reader can tell which code and which libraries computed it.
"""

from __future__ import annotations

import functools
import platform
import subprocess
from importlib import metadata

import numpy as np
from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
from threadpoolctl import threadpool_info

from almodules import __version__
from almodules.core.paths import repo_root

__all__ = ["LIBRARIES", "package_version", "git_commit", "blas_architecture", "blas_threads", "numpy_simd",
           "library_versions"]

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


def blas_architecture() -> str:
    """numpy's BLAS library and the CPU kernels it chose (``"numpy 2.4.6: openblas 0.3.31 Haswell"``).

    Machines of one kind can differ here (a CPU with AVX-512 gets other kernels), and then results
    can differ in their last bits; it is recorded, not part of any key.
    """
    blas = "; ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture', '')}".strip()
                     for i in threadpool_info() if i.get("user_api") == "blas")
    return f"numpy {np.__version__}: {blas or 'unknown'}"


def blas_threads() -> int:
    """Threads the BLAS libraries may use now (the most of any; a run sets 1)."""
    return max((i.get("num_threads", 1) for i in threadpool_info() if i.get("user_api") == "blas"), default=1)


def numpy_simd() -> str:
    """numpy's SIMD targets in use on this CPU (``"X86_V3,X86_V4,AVX512_ICL"``).

    numpy picks its own loops (sums, products, comparisons) by them, as OpenBLAS picks its kernels:
    a run on a CPU with AVX-512 (``X86_V4``) can differ in its last bits from one on an AVX2-only CPU
    (``X86_V3``). ``NPY_DISABLE_CPU_FEATURES`` turns targets off (:mod:`almodules.study.reproduce`).
    """
    return ",".join(f for f in __cpu_dispatch__ if __cpu_features__.get(f))


def library_versions() -> dict[str, str | None]:
    """``{"python", "blas", "blas_threads", "numpy_simd", <distribution>: version or None}`` for :data:`LIBRARIES`."""
    return {"python": platform.python_version(), "blas": blas_architecture(),
            "blas_threads": str(blas_threads()), "numpy_simd": numpy_simd(), **_distribution_versions()}


@functools.cache
def _distribution_versions() -> dict[str, str | None]:
    # Read once per process: the metadata lookups cost about 12 ms, and a grid stores a run every
    # fraction of a second; the code that runs is the code imported at start anyway.
    versions: dict[str, str | None] = {}
    for dist in LIBRARIES:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return versions
