"""Checkpoints of long encodings: a killed process resumes where it stopped, with the same bits.

Encoding a corpus of long documents with a transformer on a CPU can take hours. The slow encoders
run their batches in a fixed order (the same for a fresh start and a resume, fixed by the texts
and the batch size), so saving the vectors finished so far and the number of batches behind them
is enough to continue later: every batch is computed exactly as an uninterrupted run computes it.
A checkpoint lives beside the cache file it will become (a hidden ``.partial.npz`` file) and is
removed once that file is written.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from almodules.core.atomic import write_atomic

__all__ = ["SAVE_EVERY_S", "Checkpoint"]

SAVE_EVERY_S = 120.0
"""Least seconds between two saves of a checkpoint."""


class Checkpoint:
    """Vectors finished so far for one split, saved at most every ``every_s`` seconds.

    Parameters
    ----------
    path : Path or None
        Where the checkpoint is kept (``None``: nothing is saved or resumed).
    n, dim, batch_size : int
        Rows, columns and the batch size of the encoding; a checkpoint of another shape or batch
        size (other bits) is not resumed.
    every_s : float, optional
        Least seconds between two saves (default :data:`SAVE_EVERY_S`).
    """

    def __init__(self, path: Path | None, n: int, dim: int, batch_size: int, every_s: float | None = None) -> None:
        self.path, self.shape, self.batch_size = path, (n, dim), batch_size
        self.every_s = SAVE_EVERY_S if every_s is None else every_s
        self._saved = time.monotonic()

    def resume(self, update: Callable[[int], object] | None = None) -> tuple[np.ndarray, int]:
        """``(vectors, done)``: the saved vectors and how many positions of the batch order are done
        (a fresh zero array and 0 when there is no usable checkpoint); ``update(done)`` advances a
        progress bar past them."""
        if self.path is not None and self.path.is_file():
            try:
                with np.load(self.path) as saved:
                    out, done, batch = saved["out"], int(saved["done"]), int(saved["batch_size"])
                if out.shape == self.shape and batch == self.batch_size and 0 <= done <= self.shape[0]:
                    if update is not None and done:
                        update(done)
                    return out, done
            except (OSError, ValueError, KeyError):
                pass  # unreadable (a torn disk?): start over
        return np.zeros(self.shape, dtype=np.float32), 0

    def save(self, out: np.ndarray, done: int) -> None:
        """Keep ``out`` with ``done`` positions finished, if ``every_s`` passed since the last save."""
        if self.path is None or time.monotonic() - self._saved < self.every_s:
            return
        write_atomic(self.path, lambda fh: np.savez(fh, out=out, done=done, batch_size=self.batch_size))
        self._saved = time.monotonic()
