"""Properties of an embedding space, each a small function of the pool's embeddings.

Label-free measures (a practitioner can compute them before labeling anything):

* :func:`effective_rank` — RankMe (Garrido et al. 2023): ``exp`` of the entropy of the normalised
  singular values; how many directions the embeddings really use.
* :func:`spectral_decay` — α-ReQ (Agrawal et al. 2022): the exponent α of a power law
  ``λ_k ∝ k^-α`` fitted to the covariance eigenvalues; larger α, faster decay.
* :func:`anisotropy` — the mean cosine similarity between two different points (0 isotropic, 1 all
  in one direction; Ethayarajh 2019).
* :func:`intrinsic_dimension` — TwoNN (Facco et al. 2017): from the distribution of the ratio of each
  point's second to first nearest-neighbour distance.
* :func:`hubness` — the skewness of the k-occurrence distribution (Radovanović et al. 2010): how
  much a few points are everyone's neighbours.
* :func:`cluster_silhouette` — the cosine silhouette of a k-means partition with as many clusters as
  classes (only the number of classes is needed).

Label-based measures (the ceiling a practitioner cannot see; for the analysis):

* :func:`fisher_ratio` — between-class over within-class scatter (traces).
* :func:`label_silhouette` — the cosine silhouette of the true classes.
* :func:`logme` — LogME (You et al. 2021): the mean log evidence of a Bayesian linear model of the
  one-hot labels.
* :func:`kmeans_nmi` — normalised mutual information between a k-means partition and the labels.
* :func:`few_shot_accuracy` — the linear probe's test accuracy with a few labels per class
  (MTEB-style), averaged over draws.

Initial-label measure (what the first few labels of a random initial pool tell, before querying):

* :func:`sample_knn_accuracy` — leave-one-out 1-nearest-neighbour accuracy (cosine) among a few
  random pool points and their labels, averaged over draws.

Quadratic measures run on a uniform sample of at most ``max_points`` rows (fixed seed).
"""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score, silhouette_score
from threadpoolctl import threadpool_limits

from almodules.core.validation import ConfigError, check_int
from almodules.engine.probe import LinearProbe
from almodules.engine.strategies.distances import chunk_rows, sq_dists, sq_norms

__all__ = [
    "MEASURE_THREADS", "effective_rank", "spectral_decay", "anisotropy", "intrinsic_dimension", "hubness",
    "cluster_silhouette", "fisher_ratio", "label_silhouette", "logme", "kmeans_nmi", "few_shot_accuracy",
    "sample_knn_accuracy",
]

MEASURE_THREADS = 2
"""BLAS threads of the decompositions: fixed, so their last bits do not depend on the machine's setting."""


def _matrix(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) < 3:
        raise ConfigError(f"embeddings must be a 2-D array with at least 3 rows, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ConfigError("embeddings hold NaN or infinite values")
    return X


def _sample(X: np.ndarray, max_points: int, seed: int, *others: np.ndarray):
    if len(X) <= max_points:
        return (X, *others)
    rows = np.sort(np.random.default_rng(seed).choice(len(X), max_points, replace=False))
    return (X[rows], *(o[rows] for o in others))


def _unit(X: np.ndarray) -> np.ndarray:
    return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)


def effective_rank(X, *, eps: float = 1e-7) -> float:
    """RankMe: ``exp(-Σ p_k log p_k)`` with ``p_k = σ_k / Σ σ + eps`` over the singular values ``σ``."""
    X = _matrix(X)
    with threadpool_limits(MEASURE_THREADS):
        sigma = np.linalg.svd(X, compute_uv=False)
    p = sigma / sigma.sum() + eps
    return float(np.exp(-(p * np.log(p)).sum()))


def spectral_decay(X, *, tail: float = 1e-6) -> float:
    """α-ReQ: the slope ``α`` of ``log λ_k = c - α log k`` over the covariance eigenvalues above
    ``tail · λ_1`` (least squares)."""
    X = _matrix(X)
    with threadpool_limits(MEASURE_THREADS):
        values = np.linalg.eigvalsh(np.cov(X, rowvar=False))[::-1]
    values = values[values > tail * values[0]]
    if len(values) < 2:
        return float("inf")
    k = np.arange(1, len(values) + 1)
    slope = np.polyfit(np.log(k), np.log(values), 1)[0]
    return float(-slope)


def anisotropy(X) -> float:
    """Mean cosine similarity over all pairs of different rows (exact, without forming the pairs)."""
    U = _unit(_matrix(X))
    n = len(U)
    total = float(np.square(U.sum(axis=0)).sum())
    return (total - float(np.square(U).sum())) / (n * (n - 1))


def _nearest_two(X: np.ndarray) -> np.ndarray:
    """Distances to the first and second nearest other row, blockwise."""
    norms = sq_norms(X)
    out = np.empty((len(X), 2))
    step = chunk_rows(len(X), len(X))
    for start in range(0, len(X), step):
        d = sq_dists(X[start:start + step], X, norms[start:start + step], norms)
        d[np.arange(len(d)), np.arange(start, start + len(d))] = np.inf
        out[start:start + len(d)] = np.sqrt(np.sort(np.partition(d, 1, axis=1)[:, :2], axis=1))
    return out


def intrinsic_dimension(X, *, max_points: int = 5000, seed: int = 0, keep: float = 0.9,
                        duplicate: float = 0.01) -> float:
    """TwoNN: the slope through the origin of ``-log(1 - F(μ))`` against ``log μ``, ``μ = r₂ / r₁``, over the
    ``keep`` smallest ratios (Facco et al. discard the largest 10 %). Duplicates give huge ratios that drag
    the estimate towards zero, and texts hold many: points whose nearest neighbour is closer than
    ``duplicate`` times the median nearest-neighbour distance are left out."""
    X = _sample(_matrix(X), max_points, seed)[0]
    r = _nearest_two(X)
    ok = r[:, 0] > duplicate * np.median(r[:, 0])
    if ok.sum() < 3:
        raise ConfigError("intrinsic_dimension needs at least 3 distinct points")
    mu = np.sort(r[ok, 1] / r[ok, 0])
    n = len(mu)
    used = max(int(keep * n), 2)
    x = np.log(mu[:used])
    y = -np.log(1.0 - np.arange(1, used + 1) / n)
    return float((x * y).sum() / (x * x).sum())


def hubness(X, *, k: int = 10, max_points: int = 5000, seed: int = 0) -> float:
    """Skewness of how often each point is among the ``k`` nearest neighbours (cosine) of the others."""
    k = check_int("k", k, minimum=1)
    U = _unit(_sample(_matrix(X), max_points, seed)[0])
    counts = np.zeros(len(U))
    step = chunk_rows(len(U), len(U))
    for start in range(0, len(U), step):
        sim = U[start:start + step] @ U.T
        sim[np.arange(len(sim)), np.arange(start, start + len(sim))] = -np.inf
        top = np.argpartition(-sim, min(k, len(U) - 2), axis=1)[:, :k]
        np.add.at(counts, top.ravel(), 1)
    centred = counts - counts.mean()
    spread = centred.std()
    return float((centred ** 3).mean() / spread ** 3) if spread > 0 else 0.0


def _kmeans_labels(X: np.ndarray, k: int, seed: int) -> np.ndarray:
    with threadpool_limits(MEASURE_THREADS):
        return KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(_unit(X))


def cluster_silhouette(X, n_clusters: int, *, max_points: int = 5000, seed: int = 0) -> float:
    """Cosine silhouette of a k-means partition (``n_clusters`` clusters, on unit vectors)."""
    n_clusters = check_int("n_clusters", n_clusters, minimum=2)
    X = _sample(_matrix(X), max_points, seed)[0]
    labels = _kmeans_labels(X, n_clusters, seed)
    return float(silhouette_score(X, labels, metric="cosine")) if len(set(labels)) > 1 else 0.0


def _labels(y, n: int) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,):
        raise ConfigError(f"labels must have one entry per row ({n}), got shape {y.shape}")
    if len(np.unique(y)) < 2:
        raise ConfigError("labels must hold at least two classes")
    return y


def fisher_ratio(X, y) -> float:
    """``trace(S_B) / trace(S_W)``: between-class scatter of the class means over within-class scatter."""
    X = _matrix(X)
    y = _labels(y, len(X))
    mean = X.mean(axis=0)
    between = within = 0.0
    for c in np.unique(y):
        Xc = X[y == c]
        centre = Xc.mean(axis=0)
        between += len(Xc) * float(np.square(centre - mean).sum())
        within += float(np.square(Xc - centre).sum())
    return between / within if within > 0 else float("inf")


def label_silhouette(X, y, *, max_points: int = 5000, seed: int = 0) -> float:
    """Cosine silhouette of the true classes."""
    X = _matrix(X)
    X, y = _sample(X, max_points, seed, _labels(y, len(X)))
    return float(silhouette_score(X, y, metric="cosine"))


def logme(X, y, *, max_iter: int = 100, tol: float = 1e-3) -> float:
    """LogME: per class, the log evidence of Bayesian ridge regression of its one-hot target on the
    features (α, β by the fixed-point updates of You et al. 2021), averaged over classes and rows."""
    X = _matrix(X)
    y = _labels(y, len(X))
    n, d = X.shape
    with threadpool_limits(MEASURE_THREADS):
        u, s, _ = np.linalg.svd(X, full_matrices=False)
    sigma = s ** 2
    evidences = []
    for c in np.unique(y):
        t = (y == c).astype(np.float64)
        proj = u.T @ t
        residual_base = float(t @ t - proj @ proj)
        alpha, beta = 1.0, 1.0
        for _ in range(max_iter):
            gamma = float((beta * sigma / (alpha + beta * sigma)).sum())
            m2 = float(((beta * s * proj / (alpha + beta * sigma)) ** 2).sum())
            res2 = float(((alpha * proj / (alpha + beta * sigma)) ** 2).sum()) + residual_base
            new_alpha, new_beta = gamma / (m2 + 1e-5), (n - gamma) / (res2 + 1e-5)
            done = abs(new_alpha / alpha - 1) < tol and abs(new_beta / beta - 1) < tol
            alpha, beta = new_alpha, new_beta
            if done:
                break
        evidence = (d / 2 * np.log(alpha) + n / 2 * np.log(beta) - 0.5 * np.log(alpha + beta * sigma).sum()
                    - (d - len(sigma)) / 2 * np.log(alpha) - beta / 2 * res2 - alpha / 2 * m2 - n / 2 * np.log(2 * np.pi))
        evidences.append(evidence / n)
    return float(np.mean(evidences))


def kmeans_nmi(X, y, *, seed: int = 0) -> float:
    """Normalised mutual information between a k-means partition (as many clusters as classes) and the labels."""
    X = _matrix(X)
    y = _labels(y, len(X))
    return float(normalized_mutual_info_score(y, _kmeans_labels(X, len(np.unique(y)), seed)))


def few_shot_accuracy(X, y, X_test, y_test, *, shots: int = 8, draws: int = 5, seed: int = 0) -> float:
    """Test accuracy of the AL runs' probe trained on ``shots`` random labels per class, mean over ``draws``."""
    X = _matrix(X)
    y = _labels(y, len(X))
    X_test = _matrix(X_test)
    y_test = np.asarray(y_test)
    shots = check_int("shots", shots, minimum=1)
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(check_int("draws", draws, minimum=1)):
        rows = np.concatenate([rng.choice(np.flatnonzero(y == c), min(shots, int((y == c).sum())), replace=False)
                               for c in np.unique(y)])
        probe = LinearProbe(n_classes=int(max(y.max(), y_test.max())) + 1).fit(X[rows].astype(np.float32), y[rows])
        scores.append(float((probe.predict_proba(X_test.astype(np.float32)).argmax(axis=1) == y_test).mean()))
    return float(np.mean(scores))


def sample_knn_accuracy(X, y, *, n_labels: int, draws: int = 5, seed: int = 0) -> float:
    """Leave-one-out 1-NN accuracy (cosine) among ``n_labels`` random points of ``X`` with their labels.

    What a practitioner learns from labeling a random initial pool of ``n_labels`` points: how often
    a labeled point's nearest labeled neighbour shares its class. Mean over ``draws`` random draws.
    """
    X = _matrix(X)
    y = _labels(y, len(X))
    n_labels = check_int("n_labels", n_labels, minimum=2)
    if n_labels > len(X):
        raise ConfigError(f"n_labels must be at most the number of points ({len(X)}), got {n_labels}")
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(check_int("draws", draws, minimum=1)):
        rows = rng.choice(len(X), n_labels, replace=False)
        U = _unit(X[rows])
        similarity = U @ U.T
        np.fill_diagonal(similarity, -np.inf)
        scores.append(float((y[rows][similarity.argmax(axis=1)] == y[rows]).mean()))
    return float(np.mean(scores))
