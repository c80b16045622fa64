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

**Large pools.** The graph costs about N^2 D / 2 multiply-adds, once per run (the reference does
this exact all-pairs search on a GPU): minutes at 50k x 4096 on two cores, most of a day at
560k x 4096. Pools larger than ``max_points`` (default 50,000) therefore run ProbCover on a uniform
random sample of that many points (fixed seed): the paper's objective is the probability mass of
the covered balls, and covering a uniform sample estimates it without bias. Labeled points outside
the sample still cover the sample points in their balls; picks come from the sample. Pass
``max_points=None`` for the exact search over the whole pool.

**Memory.** The graph is stored as symmetric CSR (int32 column indices), built from upper-triangle
distance blocks, never an N x N matrix. It may hold at most ``max_edges`` entries (default 1.5e8:
about 0.6 GB of indices, 1.2 GB while it is built; an average of 3,000 neighbours at 50k points,
270 at 560k): when the purity rule's δ would exceed that (estimated from the sample),
the largest grid δ that fits is used instead; an explicit ``delta`` whose graph exceeds the budget
raises ``ValueError``. The graph and δ are kept in ``state.shared``: computed once per pool, for
every run and cycle on it.

After the first cycle a query only walks the graph: the coverage by the labeled points is kept
per run and extended by the newly labeled ones. No normalised copy of the pool is made (rows are
normalised block by block), so a 560k x 4096 pool needs its 9.2 GB once, not twice.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse

from almodules.core.validation import ConfigError
from almodules.engine.strategies.base import PoolState
from almodules.engine.strategies.clustering import fit_kmeans, nearest_centre
from almodules.engine.strategies.distances import chunk_rows, sq_norms
from almodules.engine.strategies.sampling import uniform_subset

__all__ = ["probcover", "ball_graph", "choose_delta", "DELTA_GRID"]

DELTA_GRID = np.round(np.arange(1, 201) * 0.01, 2)
"""Candidate radii for the purity rule; distances between unit vectors lie in [0, 2]."""

_PURITY_SAMPLE = 2000
"""Rows whose balls estimate purity and graph size (standard error of the purity below 0.5 %)."""

_KMEANS_SAMPLE = 20000
"""Points the pseudo-label k-means is fitted on before it labels the whole pool."""

_SEED = 0
"""Seed of the samples and the k-means: δ and the graph must depend on the pool alone."""


def _row_norms(X: np.ndarray) -> np.ndarray:
    """Row norms (float32) from squared norms accumulated in float64 (:func:`~.distances.sq_norms`)."""
    return np.sqrt(sq_norms(X)).astype(np.float32)


def _unit_block(X: np.ndarray, rows, norms: np.ndarray) -> np.ndarray:
    """Rows of ``X`` divided by their :func:`_row_norms` ``norms`` (float32).

    Not :meth:`PoolState.normalized_rows`, on purpose: ProbCover scales its thresholds on raw
    inner products by these same norms (:func:`ball_graph`, :func:`_unit_dists`), and it works on
    arrays that are not the pool (its node sample, the labeled centres). The two norms differ in
    the last bit for about a fifth of the rows (float64 against float32 accumulation), which can
    move a ball's edge, so switching would change picks.
    """
    return X[rows] / np.maximum(norms[rows], np.finfo(np.float32).tiny)[:, None]


def _pseudo_labels(X: np.ndarray, norms: np.ndarray, k: int) -> np.ndarray:
    """k-means pseudo-labels of every (normalised) row, the model fitted on a fixed sample.

    Unlike TypiClust's :func:`~.typiclust.cluster_pool` the seed is fixed (δ must depend on the
    pool alone) and every row is labeled by its nearest centre even when all rows were fitted.
    """
    n = X.shape[0]
    fit_rows = uniform_subset(n, _KMEANS_SAMPLE, np.random.default_rng(_SEED))
    _, centres = fit_kmeans(_unit_block(X, fit_rows, norms), k, seed=_SEED)
    return nearest_centre(lambda rows: _unit_block(X, rows, norms), n, centres,
                          chunk_rows(n, max(len(centres), X.shape[1])))


def _unit_dists(U: np.ndarray, X: np.ndarray, norms: np.ndarray) -> np.ndarray:
    """Distances between unit rows ``U`` and the normalised rows of ``X``: ``sqrt(2 - 2 cos)``."""
    cos = U @ X.T
    cos /= np.maximum(norms, np.finfo(np.float32).tiny)[None, :]
    np.clip(cos, -1.0, 1.0, out=cos)
    return np.sqrt(2.0 - 2.0 * cos)


def choose_delta(X: np.ndarray, labels: np.ndarray, purity: float, max_edges: int) -> float:
    """The largest grid δ with ball purity >= ``purity`` whose graph has at most ``max_edges`` entries.

    Parameters
    ----------
    X : ndarray of shape (N, D)
        Embeddings; distances are taken between their L2-normalised rows.
    labels : ndarray of shape (N,)
        Pseudo-labels.
    purity : float
        Required fraction of pure balls, in (0, 1].
    max_edges : int
        Budget for the graph's entries (self-loops included).
    """
    n = X.shape[0]
    norms = _row_norms(X)
    rows = uniform_subset(n, _PURITY_SAMPLE, np.random.default_rng(_SEED))
    nearest_other = np.empty(len(rows))
    pair_counts = np.zeros(len(DELTA_GRID) + 1, dtype=np.int64)
    step = chunk_rows(len(rows), n)
    for s in range(0, len(rows), step):
        r = rows[s:s + step]
        d = _unit_dists(_unit_block(X, r, norms), X, norms)
        # Bin k holds distances in [0.01 k, 0.01 (k + 1)); unit vectors are at most 2 apart.
        pair_counts += np.histogram(d, bins=len(pair_counts), range=(0.0, 2.01))[0]
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


def ball_graph(X: np.ndarray, delta: float, max_edges: int) -> sparse.csr_array:
    """Symmetric δ-ball graph of the normalised rows: entry (i, j) when ``||u_i - u_j|| < delta``.

    Self-loops included. For unit vectors ``||u_i - u_j||^2 = 2 - 2 <u_i, u_j>``, so a block of
    inner products of normalised rows with the raw rows after them is compared with one threshold
    scaled by each column's norm: no normalised copy of the pool, no N x N matrix, and half the
    products of a full search (the upper triangle). The lower triangle is its transpose, and each
    row of the result is its lower part, itself, then its upper part, so the column indices come
    out sorted without a sort.

    Raises
    ------
    ValueError
        If the graph would hold more than ``max_edges`` entries.
    """
    n = X.shape[0]
    norms = _row_norms(X)
    scaled_threshold = np.float32(1.0 - 0.5 * delta * delta) * norms
    upper_counts = np.zeros(n, dtype=np.int64)
    upper_cols = []
    n_entries = n  # self-loops
    step = chunk_rows(n, n)
    for s in range(0, n, step):
        e = min(n, s + step)
        inner = _unit_block(X, slice(s, e), norms) @ X[s:].T
        i, j = np.nonzero(inner > scaled_threshold[None, s:])  # row-major, so sorted by (i, j)
        above = j > i
        i, j = i[above], j[above]
        n_entries += 2 * len(i)
        if n_entries > max_edges:
            raise ConfigError(f"delta={delta} gives a graph of more than max_edges={max_edges} "
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


class _Nodes:
    """The points ProbCover works on: the whole pool, or its fixed uniform sample."""

    def __init__(self, n_pool: int, max_points: int | None):
        self.index = np.arange(n_pool) if max_points is None else \
            uniform_subset(n_pool, max_points, np.random.default_rng(_SEED))
        self.position = np.full(n_pool, -1, dtype=np.int64)  # pool index -> node, -1 outside
        self.position[self.index] = np.arange(len(self.index))

    @property
    def whole_pool(self) -> bool:
        return len(self.index) == len(self.position)


def probcover(state: PoolState, b: int, rng: np.random.Generator, *, delta: float | None = None,
              purity: float = 0.95, n_clusters: int | None = None, max_edges: int = 150_000_000,
              max_points: int | None = 50_000) -> np.ndarray:
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
    max_points : int or None
        Larger pools work on a fixed uniform sample of this many points; ``None``: whole pool.

    Returns
    -------
    ndarray of int64
        Pool indices in the order they were picked.
    """
    run_key = (max_edges, max_points)
    shared = state.shared  # the sample, the radius and the graph depend on the pool alone
    nodes = shared.get(("probcover/nodes", max_points))
    if nodes is None:
        nodes = shared[("probcover/nodes", max_points)] = _Nodes(state.n_pool, max_points)
    X = state.X if nodes.whole_pool else None
    if delta is None:
        k = n_clusters or max(2, state.n_classes)
        key = ("probcover/delta", purity, k) + run_key
        if key not in shared:
            X = state.X[nodes.index] if X is None else X
            shared[key] = choose_delta(X, _pseudo_labels(X, _row_norms(X), k), purity, max_edges)
        delta = shared[key]
    graph_key = ("probcover/graph", float(delta)) + run_key
    if graph_key not in shared:
        X = state.X[nodes.index] if X is None else X
        shared[graph_key] = ball_graph(X, float(delta), max_edges)
    graph = shared[graph_key]

    covered, gain = _labeled_coverage(state, nodes, graph, graph_key, float(delta))
    covered, gain = covered.copy(), gain.copy()
    pickable = ~state.labeled[nodes.index]
    picks: list[int] = []
    while len(picks) < b:
        i = int(np.argmax(np.where(pickable, gain, -1)))
        if gain[i] <= 0:
            break
        picks.append(int(nodes.index[i]))
        pickable[i] = False
        _cover(graph, covered, gain, np.array([i]))
    if len(picks) < b:
        # Every node is covered: the rest is drawn uniformly from the remaining unlabeled points.
        rest = np.setdiff1d(state.unlabeled_indices(), picks)
        picks.extend(int(j) for j in rng.choice(rest, size=b - len(picks), replace=False))
    return np.asarray(picks, dtype=np.int64)


def _cover(graph: sparse.csr_array, covered: np.ndarray, gain: np.ndarray, centres: np.ndarray) -> None:
    """Mark nodes in the balls of ``centres`` covered; ``gain`` (uncovered nodes per ball) drops.

    The graph is symmetric, so the balls holding a newly covered node are its own neighbours.
    """
    _mark(graph, covered, gain, _neighbours(graph, centres))


def _mark(graph: sparse.csr_array, covered: np.ndarray, gain: np.ndarray, ball: np.ndarray) -> None:
    newly = np.unique(ball[~covered[ball]])
    covered[newly] = True
    gain -= np.bincount(_neighbours(graph, newly), minlength=len(gain))


def _labeled_coverage(state: PoolState, nodes: _Nodes, graph: sparse.csr_array, graph_key: tuple,
                      delta: float) -> tuple[np.ndarray, np.ndarray]:
    """Coverage of the nodes by the labeled points, kept per run and extended by newly labeled ones."""
    key = ("probcover/coverage",) + graph_key[1:]
    cov = state.cache.get(key)
    if cov is None or (cov["labeled"] & ~state.labeled).any():
        cov = state.cache[key] = {"labeled": np.zeros(state.n_pool, dtype=bool),
                                  "covered": np.zeros(len(nodes.index), dtype=bool),
                                  "gain": np.diff(graph.indptr).astype(np.int64)}
    new = np.flatnonzero(state.labeled & ~cov["labeled"])
    if len(new):
        inside = nodes.position[new]
        _cover(graph, cov["covered"], cov["gain"], inside[inside >= 0])
        outside = new[inside < 0]
        if len(outside):  # labeled points outside the sample: measure their balls directly
            _mark(graph, cov["covered"], cov["gain"], _ball_members(state.X, outside, nodes.index, delta))
        cov["labeled"] = state.labeled.copy()
    return cov["covered"], cov["gain"]


def _ball_members(X: np.ndarray, centres: np.ndarray, node_index: np.ndarray, delta: float) -> np.ndarray:
    """Nodes closer than ``delta`` to any of ``centres`` (pool indices), on normalised rows."""
    C = X[centres]
    U = _unit_block(C, slice(None), _row_norms(C))
    members = []
    step = chunk_rows(len(node_index), len(centres) + X.shape[1])
    for s in range(0, len(node_index), step):
        rows = node_index[s:s + step]
        block = X[rows]
        d = _unit_dists(U, block, _row_norms(block))
        members.append(s + np.flatnonzero((d < delta).any(axis=0)))
    return np.concatenate(members)
