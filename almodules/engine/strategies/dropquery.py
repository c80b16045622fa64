"""DropQuery (Gupte, Aklilu, Nirschl and Yeung-Levy 2024, "Revisiting Active Learning in the Era
of Vision Foundation Models"): dropout disagreement as the uncertainty filter, k-means for diversity.

As in the paper and the authors' code (``sanketx/AL-foundation-models``,
``ALFM/src/query_strategies/dropout.py``; M = 3 passes, dropout rate 0.75 on the classifier's
input features, PyTorch's ``nn.Dropout`` scaling the kept features by ``1 / (1 - p)``):

1. predict every unlabeled point with the probe on clean inputs, and again in ``n_passes`` passes
   on inputs under dropout;
2. candidates are the points whose dropout predictions disagree with the clean one in more than
   half of the passes (the authors' ``mismatch > M // 2``); while fewer than ``widen_below * b``
   points pass, the required number of disagreeing passes is lowered one step at a time down to
   one (the authors' final code: ``while (mismatch > thresh).sum() < 25 * num_samples``);
3. when even then fewer than ``b`` points disagree, all of them are taken and the batch is filled
   up (``fill="random"``: uniformly from the rest, as the authors do; ``fill="margin"``: the
   smallest margins between the two most probable classes);
4. otherwise k-means with ``b`` clusters on the L2-normalised candidates (k-means++ seeding, at
   most 100 Lloyd steps: the authors run faiss for 100 iterations; ``seeding="plain"`` draws each
   seed once, as the authors' code does, ``"greedy"`` keeps the best of ``2 + ln b`` draws, as
   scikit-learn does: on trec6 pools the two moved accuracy by -0.03 (MiniLM) and +0.03 (TF-IDF)) and from each cluster its member
   nearest the centre (``representative="member"``, the authors' ``cluster_features``;
   ``"distinct"`` takes the nearest point not yet taken, whatever its cluster). With more than
   ``max(max_points, 10 * b)`` candidates, both steps use a uniform sample of that many (as the
   k-means initial pool does): ``b`` centres are well estimated from it, and only the sample is
   normalised and copied (on a 560k x 4096 pool the candidates alone can take several GB).

Dropout masks are drawn one random
byte per entry (so ``p`` takes effect to within 2**-9, the paper's 0.75 exactly; 16-bit draws
cost 3x more, most of a query at 100k x 768) and applied blockwise, so a perturbed copy of the
whole pool never exists.
"""

from __future__ import annotations

import numpy as np

from almodules.core.validation import check_int
from almodules.engine.strategies.base import PoolState
from almodules.engine.strategies.clustering import kmeans_representatives
from almodules.engine.strategies.distances import chunk_rows
from almodules.engine.strategies.sampling import draw_seed, uniform_subset
from almodules.engine.strategies.uncertainty import top_b, uncertainty_scores

__all__ = ["FILL_RULES", "dropquery", "dropout_mask", "dropout_inputs", "dropout_disagreements",
           "disagreement_candidates"]

FILL_RULES: tuple[str, ...] = ("random", "margin")
"""How DropQuery completes a batch when fewer than ``b`` points disagree in any pass."""

_MASK_LEVELS = 1 << 8


def dropquery(state: PoolState, b: int, rng: np.random.Generator, *, n_passes: int = 3,
              p: float = 0.75, widen_below: int = 25, fill: str = "random", representative: str = "member",
              max_points: int | None = 20_000, seeding: str = "plain") -> np.ndarray:
    """Select ``b`` diverse points among those whose prediction flips under input dropout.

    Parameters
    ----------
    state : PoolState
        Needs ``probe`` and ``proba``.
    b : int
    rng : numpy.random.Generator
        Draws the dropout masks, the fill or the candidate sample (when needed), then the k-means
        seed.
    n_passes : int, default=3
        Dropout passes M (the paper's M = 3).
    p : float, default=0.75
        Dropout rate on the probe's input features, in [1/256, 255/256] (drawn in steps of 1/256).
    widen_below : int, default=25
        The filter is widened while fewer than ``widen_below * b`` points pass it (the authors'
        25; 1 widens only when the filter would not fill a batch).
    fill : {"random", "margin"}, default="random"
        How to complete a batch when fewer than ``b`` points disagree at all (:data:`FILL_RULES`).
    representative : {"member", "distinct"}, default="member"
        The point taken for each k-means centre (:data:`~.clustering.REPRESENTATIVE_RULES`).
    max_points : int or None, default=20_000
        Cluster a uniform sample of ``max(max_points, 10 * b)`` candidates when there are more;
        ``None``: all of them.
    seeding : {"plain", "greedy"}, default="plain"
        k-means++ variant (:data:`~.clustering.SEEDINGS`): ``"plain"`` is the authors', ``"greedy"``
        scikit-learn's (this package's default before 0.3; the committed study until its recompute).

    Returns
    -------
    ndarray of int64, shape (b,)
    """
    if max_points is not None:
        max_points = check_int("max_points", max_points, minimum=b)
    unlabeled = state.unlabeled_indices()
    clean = state.proba[unlabeled].argmax(axis=1)
    disagree = dropout_disagreements(state.probe, state.X, unlabeled, clean, n_passes, p, rng)
    chosen = disagreement_candidates(disagree, n_passes, widen_below * b)
    if len(chosen) < b:
        rest = np.flatnonzero(disagree == 0)
        if fill == "margin":
            extra = top_b(uncertainty_scores(state.proba[unlabeled[rest]], "margin"), rest, b - len(chosen))
        else:
            extra = np.sort(rng.choice(rest, size=b - len(chosen), replace=False))
        draw_seed(rng)  # keeps the stream's shape the same on both paths
        return unlabeled[np.concatenate([chosen, extra])]
    if max_points is not None:
        chosen = uniform_subset(chosen, max(max_points, 10 * b), rng)
    seed = draw_seed(rng)
    if len(chosen) == b:
        return unlabeled[chosen]
    return kmeans_representatives(state, unlabeled[chosen], b, seed, representative=representative, seeding=seeding)


def dropout_mask(shape: tuple[int, ...], p: float, rng: np.random.Generator) -> np.ndarray:
    """Boolean keep-mask: each entry ``False`` (dropped) with probability ``p`` (to within 2**-9).

    One byte per entry, taken from the generator's raw 64-bit output (three times faster than
    ``rng.integers(0, 256, dtype=uint8)``, which goes through bounded-integer sampling).
    """
    size = int(np.prod(shape))
    draws = rng.bit_generator.random_raw(-(-size // 8)).view(np.uint8)[:size].reshape(shape)
    return draws >= round(p * _MASK_LEVELS)


def dropout_inputs(X: np.ndarray, p: float, rng: np.random.Generator, out: np.ndarray | None = None) -> np.ndarray:
    """Inverted dropout: each entry zeroed with probability ``p``, the kept ones scaled by ``1/(1-p)``.

    ``out`` (same shape and dtype as ``X``) receives the result.
    """
    out = np.multiply(X, X.dtype.type(1.0 / (1.0 - p)), out=out)
    out *= dropout_mask(X.shape, p, rng)
    return out


def dropout_disagreements(probe, X: np.ndarray, rows: np.ndarray, clean: np.ndarray,
                          n_passes: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """How many of ``n_passes`` dropout predictions differ from ``clean``, for each of ``rows``.

    Rows are processed in blocks (all passes of one block, then the next block), so the
    generator's draws depend only on the shapes. Each block is scaled by ``1/(1-p)`` once and then
    masked in every pass (the same numbers as masking first: a kept entry is multiplied by one),
    into one reused buffer: a fresh array per pass costs about as much again in page faults.
    """
    counts = np.zeros(len(rows), dtype=np.int64)
    step = chunk_rows(len(rows), 4 * X.shape[1])  # the block, its mask and perturbed copy
    buffer = np.empty((min(step, len(rows)), X.shape[1]), dtype=X.dtype)
    scale = X.dtype.type(1.0 / (1.0 - p))
    for start in range(0, len(rows), step):
        block = X[rows[start:start + step]]
        block *= scale
        perturbed = buffer[:len(block)]
        for _ in range(n_passes):
            np.multiply(block, dropout_mask(block.shape, p, rng), out=perturbed)
            pred = probe.predict_proba(perturbed).argmax(axis=1)
            counts[start:start + step] += pred != clean[start:start + step]
    return counts


def disagreement_candidates(disagree: np.ndarray, n_passes: int, at_least: int) -> np.ndarray:
    """Positions that pass the disagreement filter, widened while fewer than ``at_least`` pass.

    Parameters
    ----------
    disagree : ndarray of int, shape (n,)
        Dropout passes that disagree with the clean prediction, per point.
    n_passes : int
    at_least : int
        Candidates wanted: the required number of disagreeing passes starts at the paper's
        majority (more than half of the passes) and is lowered one step at a time, down to one,
        until at least this many points pass.

    Returns
    -------
    ndarray of int64
        Ascending positions of the points that pass the last threshold tried (possibly fewer than
        ``at_least``: every point that disagrees at all).
    """
    for threshold in range(n_passes // 2 + 1, 0, -1):
        chosen = np.flatnonzero(disagree >= threshold)
        if len(chosen) >= at_least:
            break
    return chosen
