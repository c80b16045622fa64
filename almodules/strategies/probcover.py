"""ProbCover: greedy maximum coverage of δ-balls (Yehuda et al. 2022).

On the L2-normalised embeddings, every point covers the points closer than ``δ`` (itself
included), as in the authors' code (``dist < delta``). The points labeled so far cover their balls
first; then each pick is the point whose ball holds the most uncovered points (lowest index on
ties), its ball becomes covered, and the edges into covered points no longer count. Once every
point is covered no pick adds coverage: the rest of the batch is drawn uniformly from the
remaining unlabeled points with ``rng``, like the reference implementations, whose tie-break among
all-zero scores is random.

**Choosing δ.** The paper's rule: the largest ``δ`` on a grid (0.01, 0.02, ..., 2.00) such that at
least a fraction ``purity`` of the points have a *pure* ball, i.e. one holding only points of their
own k-means pseudo-label (k = number of classes unless ``n_clusters`` is given). A ball is pure
exactly when ``δ`` is at most the distance to the nearest point of another pseudo-label, so one
pass over a sample of ``_PURITY_SAMPLE`` rows (every row in pools up to that size) gives the
purity of every grid value at once; the same pass counts the pairs closer than each grid value,
which estimates the size of the graph. The k-means runs on at most ``_KMEANS_SAMPLE`` points and
then labels the whole pool; both samples use a fixed seed, so δ depends on the pool alone.

**Memory.** The graph is stored as symmetric CSR (int32 column indices), built from upper-triangle
distance blocks, never an N x N matrix. It may hold at most ``max_edges`` entries (default 1.5e8,
about 0.6 GB of indices, 1.2 GB while it is built), which bounds it for a 560k pool at an average
of about 270 neighbours: when the purity rule's δ would exceed that (estimated from the sample),
the largest grid δ that fits is used instead; an explicit ``delta`` whose graph exceeds the budget
raises ``ValueError``. The graph and δ are kept in ``state.cache`` for the whole run.

The graph build is the cost of this strategy: about N^2 D / 2 multiply-adds once per run (the
exact all-pairs search that the reference does on a GPU); every later cycle only walks the graph.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse

from .base import PoolState
from .clustering import fit_kmeans
from .distances import chunk_rows, sq_dists, sq_norms

__all__ = ["probcover", "ball_graph", "choose_delta", "DELTA_GRID"]

DELTA_GRID = np.round(np.arange(1, 201) * 0.01, 2)
"""Candidate radii for the purity rule; distances between unit vectors lie in [0, 2]."""

_PURITY_SAMPLE = 2000
"""Rows whose balls estimate purity and graph size (standard error of the purity below 0.5 %)."""

_KMEANS_SAMPLE = 20000
"""Points the pseudo-label k-means is fitted on before it labels the whole pool."""

_SEED = 0
"""Seed of the samples and the k-means: δ and the graph must depend on the pool alone."""


def _pseudo_labels(Xn: np.ndarray, k: int) -> np.ndarray:
    """k-means pseudo-labels of every row, the model fitted on a fixed sample."""
    n = Xn.shape[0]
    rng = np.random.default_rng(_SEED)
    fit_rows = np.sort(rng.choice(n, _KMEANS_SAMPLE, replace=False)) if n > _KMEANS_SAMPLE else slice(None)
    _, centres = fit_kmeans(Xn[fit_rows], k, seed=_SEED)
    labels = np.empty(n, dtype=np.int64)
    c_norms = sq_norms(centres)
    step = chunk_rows(n, len(centres))
    for s in range(0, n, step):
        labels[s:s + step] = sq_dists(Xn[s:s + step], centres, b_norms=c_norms).argmin(axis=1)
    return labels


def choose_delta(Xn: np.ndarray, labels: np.ndarray, purity: float, max_edges: int) -> float:
    """The largest grid δ with ball purity >= ``purity`` whose graph has at most ``max_edges`` entries.

    Parameters
    ----------
    Xn : ndarray of shape (N, D)
        L2-normalised embeddings.
    labels : ndarray of shape (N,)
        Pseudo-labels.
    purity : float
        Required fraction of pure balls, in (0, 1].
    max_edges : int
        Budget for the graph's entries (self-loops included).
    """
    n = Xn.shape[0]
    rows = np.arange(n)
    if n > _PURITY_SAMPLE:
        rows = np.sort(np.random.default_rng(_SEED).choice(n, _PURITY_SAMPLE, replace=False))
    norms = sq_norms(Xn)
    nearest_other = np.empty(len(rows))
    pair_counts = np.zeros(len(DELTA_GRID) + 1, dtype=np.int64)
    step = chunk_rows(len(rows), n)
    for s in range(0, len(rows), step):
        r = rows[s:s + step]
        d = np.sqrt(sq_dists(Xn[r], Xn, norms[r], norms))
        # Bin k holds distances in [0.01 k, 0.01 (k + 1)); unit vectors are at most 2 apart.
        pair_counts += np.histogram(np.minimum(d, 2.0), bins=len(pair_counts), range=(0.0, 2.01))[0]
        d[labels[r][:, None] == labels[None, :]] = np.inf
        nearest_other[s:s + step] = d.min(axis=1)
    # A ball of radius δ is pure when no point of another pseudo-label is closer than δ.
    pure = (nearest_other[None, :] >= DELTA_GRID[:, None]).mean(axis=1)
    edges = np.cumsum(pair_counts)[:-1] * (n / len(rows))  # pairs closer than each grid value
    ok = (pure >= purity) & (edges <= max_edges)
    if not ok.any():
        warnings.warn(f"no grid delta reaches purity {purity} within max_edges={max_edges}; "
                      f"using the smallest, {DELTA_GRID[0]}", stacklevel=3)
        return float(DELTA_GRID[0])
    return float(DELTA_GRID[np.flatnonzero(ok)[-1]])


def ball_graph(Xn: np.ndarray, delta: float, max_edges: int) -> sparse.csr_array:
    """Symmetric δ-ball graph: entry (i, j) when ``||x_i - x_j|| < delta``, self-loops included.

    The rows of ``Xn`` are unit vectors, so ``||x_i - x_j||^2 = 2 - 2 <x_i, x_j>`` and a block of
    inner products is compared with one threshold. Blocks of rows are multiplied with the rows
    after them only (the upper triangle: half the products of a full search, never an N x N
    matrix); the lower triangle is its transpose, and each row of the result is its lower part,
    itself, then its upper part, so the column indices come out sorted without a sort.

    Raises
    ------
    ValueError
        If the graph would hold more than ``max_edges`` entries.
    """
    n = Xn.shape[0]
    threshold = 1.0 - 0.5 * delta * delta
    upper_counts = np.zeros(n, dtype=np.int64)
    upper_cols = []
    n_entries = n  # self-loops
    step = chunk_rows(n, n)
    for s in range(0, n, step):
        e = min(n, s + step)
        i, j = np.nonzero(Xn[s:e] @ Xn[s:].T > threshold)  # row-major, so sorted by (i, j)
        above = j > i
        i, j = i[above], j[above]
        n_entries += 2 * len(i)
        if n_entries > max_edges:
            raise ValueError(f"delta={delta} gives a graph of more than max_edges={max_edges} "
                             f"entries; pass a smaller delta or a larger max_edges")
        upper_counts[s:e] = np.bincount(i, minlength=e - s)
        upper_cols.append((j + s).astype(np.int32))
    upper_indptr = np.concatenate([[0], np.cumsum(upper_counts)])
    upper = sparse.csr_array((np.ones(upper_indptr[-1], dtype=np.int8), np.concatenate(upper_cols),
                              upper_indptr), shape=(n, n))
    lower = upper.T.tocsr()  # the transpose's rows list their columns in order
    lower_counts = np.diff(lower.indptr)
    indptr = np.concatenate([[0], np.cumsum(lower_counts + 1 + upper_counts)])
    indices = np.empty(indptr[-1], dtype=np.int32)
    starts = indptr[:-1]
    indices[_spread(starts, lower_counts)] = lower.indices
    indices[starts + lower_counts] = np.arange(n, dtype=np.int32)
    indices[_spread(starts + lower_counts + 1, upper_counts)] = upper.indices
    return sparse.csr_array((np.ones(len(indices), dtype=np.int8), indices, indptr), shape=(n, n))


def _spread(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Positions ``starts[r] + 0 .. counts[r] - 1`` for every row ``r``, concatenated."""
    total = int(counts.sum())
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return np.repeat(starts - first, counts) + np.arange(total)


def _neighbours(graph: sparse.csr_array, points: np.ndarray) -> np.ndarray:
    """Concatenated neighbour lists of ``points`` (with repeats across lists)."""
    starts = graph.indptr[points]
    return graph.indices[_spread(starts, graph.indptr[points + 1] - starts)]


def _check_params(delta, purity, n_clusters, max_edges) -> None:
    if delta is not None and not (isinstance(delta, (int, float)) and 0 < delta <= 2):
        raise ValueError(f"delta must be None (purity rule) or a number in (0, 2], got {delta!r}")
    if not (isinstance(purity, (int, float)) and 0 < purity <= 1):
        raise ValueError(f"purity must be a number in (0, 1], got {purity!r}")
    if n_clusters is not None and (isinstance(n_clusters, bool) or not isinstance(n_clusters, (int, np.integer))
                                   or n_clusters < 2):
        raise ValueError(f"n_clusters must be None (number of classes) or an integer >= 2, got {n_clusters!r}")
    if isinstance(max_edges, bool) or not isinstance(max_edges, (int, np.integer)) or max_edges < 1:
        raise ValueError(f"max_edges must be a positive integer, got {max_edges!r}")


def probcover(state: PoolState, b: int, rng: np.random.Generator, *, delta: float | None = None,
              purity: float = 0.95, n_clusters: int | None = None,
              max_edges: int = 150_000_000) -> np.ndarray:
    """Greedy max coverage of δ-balls on the L2-normalised embeddings.

    Parameters
    ----------
    state : PoolState
    b : int
        Batch size, ``1 <= b < #unlabeled``.
    rng : numpy.random.Generator
        Draws the picks left once every point is covered.
    delta : float, optional
        Ball radius in (0, 2]; by default the purity rule chooses it.
    purity : float
        Fraction of pure balls the purity rule requires, in (0, 1].
    n_clusters : int, optional
        Number of k-means pseudo-label clusters; the number of classes by default.
    max_edges : int
        Most entries the graph may hold (memory bound, see the module notes).

    Returns
    -------
    ndarray of int64
        Pool indices in the order they were picked.
    """
    _check_params(delta, purity, n_clusters, max_edges)
    Xn = state.normalized()
    if delta is None:
        key = ("probcover/delta", purity, n_clusters or max(2, state.n_classes), max_edges)
        if key not in state.cache:
            state.cache[key] = choose_delta(Xn, _pseudo_labels(Xn, key[2]), purity, max_edges)
        delta = state.cache[key]
    key = ("probcover/graph", float(delta), max_edges)
    if key not in state.cache:
        state.cache[key] = ball_graph(Xn, float(delta), max_edges)
    graph = state.cache[key]

    covered, gain = _labeled_coverage(state, graph, key)
    covered, gain = covered.copy(), gain.copy()
    pickable = ~state.labeled
    picks: list[int] = []
    while len(picks) < b:
        i = int(np.argmax(np.where(pickable, gain, -1)))
        if gain[i] <= 0:
            rest = rng.choice(np.flatnonzero(pickable), size=b - len(picks), replace=False)
            picks.extend(int(j) for j in rest)
            break
        picks.append(i)
        pickable[i] = False
        _cover(graph, covered, gain, np.array([i]))
    return np.asarray(picks, dtype=np.int64)


def _cover(graph: sparse.csr_array, covered: np.ndarray, gain: np.ndarray, centres: np.ndarray) -> None:
    """Mark the balls of ``centres`` covered; ``gain`` (uncovered points per ball) drops accordingly.

    The graph is symmetric, so the balls holding a newly covered point are its own neighbours.
    """
    ball = _neighbours(graph, centres)
    newly = np.unique(ball[~covered[ball]])
    covered[newly] = True
    gain -= np.bincount(_neighbours(graph, newly), minlength=len(gain))


def _labeled_coverage(state: PoolState, graph: sparse.csr_array, graph_key: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Coverage by the labeled points, kept per run and extended by the newly labeled ones."""
    key = ("probcover/coverage",) + graph_key[1:]
    cov = state.cache.get(key)
    if cov is None or (cov["labeled"] & ~state.labeled).any():
        cov = state.cache[key] = {"labeled": np.zeros(state.n_pool, dtype=bool),
                                  "covered": np.zeros(state.n_pool, dtype=bool),
                                  "gain": np.diff(graph.indptr).astype(np.int64)}
    new = np.flatnonzero(state.labeled & ~cov["labeled"])
    if len(new):
        _cover(graph, cov["covered"], cov["gain"], new)
        cov["labeled"] = state.labeled.copy()
    return cov["covered"], cov["gain"]
