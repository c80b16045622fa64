"""Claim files: grids that share a result store compute each run once.

Before a grid computes a run it claims the run's key with a hidden file beside the run's future
file, created atomically (``O_EXCL``) and holding the claimer's host, process id and time. A
second grid skips runs that a live process has claimed (and :func:`almodules.results.grid.get_or_run` waits for their files); a claim whose
process has died (same host) or that is older than :data:`CLAIM_TTL_S` is taken over, so a
killed grid never blocks a run for good.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

__all__ = ["CLAIM_TTL_S", "GARBLED_GRACE_S", "claim_path", "try_claim", "release"]

CLAIM_TTL_S = 6 * 3600
"""Age after which any claim counts as abandoned."""


def claim_path(run_file: Path) -> Path:
    """The claim file of a run file."""
    return run_file.with_name(f".{run_file.stem}.claim")


def _owner() -> dict:
    return {"host": socket.gethostname(), "pid": os.getpid(), "time": time.time()}


def _alive(owner: dict) -> bool:
    if time.time() - float(owner.get("time", 0)) > CLAIM_TTL_S:
        return False
    if owner.get("pid") is None or owner.get("host") != socket.gethostname():
        return True  # another machine's process, or one still writing its claim: trust it until the TTL
    try:
        os.kill(int(owner["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


GARBLED_GRACE_S = 60
"""A claim file that cannot be read yet (its writer is between creating and filling it) counts
as held for this long after its last change, then as abandoned."""


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        try:
            fresh = time.time() - path.stat().st_mtime < GARBLED_GRACE_S
        except FileNotFoundError:
            return None
        # Being written right now: held by an unknown live process; otherwise abandoned.
        return {"host": None, "pid": None, "time": time.time()} if fresh else {}


def try_claim(run_file: Path) -> bool:
    """Claim ``run_file`` for this process; False when another live process holds it."""
    path = claim_path(run_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = _read(path)
            if owner is None:
                continue  # released meanwhile: try again
            if owner and (owner.get("pid") == os.getpid() and owner.get("host") == socket.gethostname()):
                return True
            if owner and _alive(owner):
                return False
            path.unlink(missing_ok=True)  # abandoned: take it over
            continue
        with os.fdopen(fd, "w") as fh:
            json.dump(_owner(), fh)
        return True
    return False


def release(run_file: Path) -> None:
    """Drop this process's claim of ``run_file`` (nothing if it holds none)."""
    path = claim_path(run_file)
    owner = _read(path)
    if owner is not None and owner.get("pid") == os.getpid():
        path.unlink(missing_ok=True)
