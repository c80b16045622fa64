"""The two papers' claims, each measured on the stored runs and given a verdict by a stated rule.

Every claim of :data:`CLAIMS` quotes what a paper says, names what is measured, and computes one
value per independent unit: a **cell** (dataset × embedder; its seeds share a pool, so they are
paired inside the cell and never counted as independent) or, for claims about embedding quality,
a **dataset** (the embedders of one dataset are compared with each other, so dataset difficulty is
not mistaken for embedding quality). The claim's effect is a statistic of those values (their mean,
unless the claim says otherwise) with a 95 % percentile interval from a bootstrap over **datasets**:
the cells of one dataset share its texts and test split, so they are resampled together (a cluster
bootstrap, :func:`cluster_bootstrap_interval`); treating them as independent made intervals too
narrow. The controlled quality ladder (derived embedders, ``<name>+pca32``, ``<name>+noise0.5``) is
left out of these claims: its cells are copies of one embedding, analysed apart (chapter 7).

Where a measure gives one value per seed of a cell, the bootstrap has two levels: datasets, then
the seeds of each drawn cell (:func:`~almodules.study.bootstrap.nested_bootstrap_interval`), so a
cell measured with few seeds counts as less certain.

Verdict rule (:func:`verdict`): with fewer datasets than :data:`MIN_DATASETS`, *inconclusive*;
otherwise *reproduced* when the whole interval lies on the claimed side of the claim's threshold,
*not reproduced* when the whole interval lies on the other side, and *inconclusive* when the
interval contains the threshold. A degenerate interval (no resample moves the effect: every unit
has the same value) is flagged in the ``degenerate`` column: on real runs it says the measure may
be unable to fail (as a difference of top strategies that seed noise alone saturates was).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from almodules.core.validation import ConfigError, check_int, require_columns
from almodules.embeddings.derived import DERIVED_SEPARATOR
from almodules.study import claim_measures as m
from almodules.study import strategy_measures as sm
from almodules.study.analysis import SETTING
from almodules.study.bootstrap import (bootstrap_interval, cluster_bootstrap_interval, nested_bootstrap_interval,
                                       replicate_means)
from almodules.study.claim_measures import CELL, PAPER_STRATEGIES, Evidence

__all__ = [
    "PAPER_STRATEGIES", "MINCELLS", "MIN_DATASETS", "VERDICTS", "Claim", "CLAIMS", "bootstrap_interval",
    "cluster_bootstrap_interval", "natural_cells", "ladder_cells", "seed_variance", "verdict", "claim_table",
]

MINCELLS = 8
"""Fewest dataset × embedder cells a verdict on a per-cell claim needs."""

MIN_DATASETS = 5
"""Fewest datasets a verdict on an embedding-quality claim needs."""

VERDICTS: tuple[str, ...] = ("reproduced", "not reproduced", "inconclusive")



@dataclass(frozen=True)
class Claim:
    """One claim of a paper and how this project measures it.

    Attributes
    ----------
    key : str
        Short identifier.
    paper : str
        Citation key in ``book/references.bib``.
    where : str
        Where the paper says it.
    statement : str
        What the paper claims.
    measure : str
        What is measured, in words, with the threshold it is compared with.
    unit : {"cell", "dataset"}
        The independent unit the bootstrap resamples.
    threshold : float
        The value the effect must exceed (``direction=1``) or stay below (``direction=-1``).
    direction : {1, -1}
    values : callable
        ``values(evidence) -> DataFrame`` with the unit's columns and a ``value`` column (one row
        per unit), or the rows a ``statistic`` needs.
    statistic : callable, optional
        ``statistic(frame) -> float`` on (a bootstrap resample of) the ``values`` frame; default the
        mean of ``value``.
    """

    key: str
    paper: str
    where: str
    statement: str
    measure: str
    unit: str
    threshold: float
    direction: int
    values: Callable[["Evidence"], pd.DataFrame]
    statistic: Callable[[pd.DataFrame], float] | None = None

    def effect(self, frame: pd.DataFrame) -> float:
        """The claim's statistic on ``frame``."""
        return float(self.statistic(frame)) if self.statistic else float(frame["value"].mean())


_RAUCH = "rauch2025nofreelunch"
_MAEKAWA = "maekawa2022tyrogue"

CLAIMS: tuple[Claim, ...] = (
    Claim("ips_small_k0", _RAUCH, "Sec. 4.1, Fig. 1",
          "TypiClust, which aims to select diverse and representative instances through clustering, outperforms "
          "random sampling and CoreSet for smaller initial pools, particularly those up to approximately 250-300 "
          "instances.",
          "IPS study, k0 <= 100: accuracy of the TypiClust initial pool minus the random one, paired per seed; "
          "mean over cells > 0", "cell", 0.0, 1, m.ips_small_k0),
    Claim("ips_fades_with_k0", _RAUCH, "Sec. 4.1 (takeaway), Fig. 1",
          "The advantage diminishes with larger initial pools or simpler tasks.",
          "the TypiClust − random gap at k0 <= 100 minus the gap at k0 >= 1000 (k0 at most half the pool: a "
          "larger one forces the gap to 0); mean over cells > 0", "cell", 0.0, 1, m.ips_fades_with_k0),
    Claim("ips_fades_over_cycles", _RAUCH, "Sec. 4.2, Fig. 3",
          "The performance difference generally diminishes and approaches zero within approximately 5 to 10 "
          "AL cycles.",
          f"AL runs: the TypiClust − random IPS gap over cycles {m.FADED_BY[0]}-{m.FADED_BY[1]}, paired per seed "
          f"and query strategy; |mean over cells| < {m.FADED_MARGIN}", "cell", m.FADED_MARGIN, -1,
          m.ips_fades_over_cycles, m.absolute_mean),
    Claim("ips_gain_with_quality", _RAUCH, "abstract; Fig. 2",
          "Initializing the labeled pool using diversity-based sampling synergizes with high-quality embeddings, "
          "boosting performance in early AL iterations.",
          "per dataset, Spearman correlation over its embedders between full-pool k-NN accuracy (quality) and "
          "the small-k0 IPS gain; mean over datasets > 0", "dataset", 0.0, 1, m.ips_gain_with_quality),
    Claim("coreset_ips_worse", _RAUCH, "Sec. 4.1 (takeaway), Fig. 1",
          "CoreSet consistently underperforms random sampling for IPS in this setting.",
          "IPS study: accuracy of the CoreSet initial pool minus the random one, paired per seed, k0 at most half "
          "the pool; mean over cells < 0", "cell", 0.0, -1, m.coreset_ips_worse),
    Claim("badge_win_rate", _RAUCH, "Fig. 4; abstract",
          "Badge, Entropy, and Margin consistently achieve high average win rates (0.62-0.74).",
          "per cell and seed, Badge's share of wins (ties count half) against the other 7 paper strategies, every "
          "cycle >= 1, both IPS; mean over cells > 0.5", "cell", 0.5, 1, sm.win_rate_of("badge")),
    Claim("entropy_win_rate", _RAUCH, "Fig. 4",
          "Badge, Entropy, and Margin consistently achieve high average win rates (0.62-0.74).",
          "per cell and seed, Entropy's share of wins against the other 7 paper strategies; mean over cells > 0.5",
          "cell", 0.5, 1, sm.win_rate_of("entropy")),
    Claim("margin_win_rate", _RAUCH, "Fig. 4",
          "Badge, Entropy, and Margin consistently achieve high average win rates (0.62-0.74).",
          "per cell and seed, Margin's share of wins against the other 7 paper strategies; mean over cells > 0.5",
          "cell", 0.5, 1, sm.win_rate_of("margin")),
    Claim("badge_robust_across_tasks", _RAUCH, "Sec. 4.3 (takeaway)",
          "Badge and Entropy emerge as more consistently high-performing and robust strategies across datasets and "
          "AL cycles.",
          "Badge's win rate (as above) on its worst dataset (the lowest dataset mean); > 0.5", "cell", 0.5, 1,
          sm.win_rate_of("badge"), sm.worst_dataset),
    Claim("ips_preconditions_uncertainty", _RAUCH, "Sec. 4.2, Fig. 4",
          "Entropy's win rate against TypiClust increases from 0.69 to 0.73 [when the AL process is initiated "
          "with TypiClust IPS].",
          "per cell and seed, Entropy's win rate against the TypiClust query strategy after a TypiClust initial "
          "pool minus after a random one; mean over cells > 0", "cell", 0.0, 1, sm.ips_preconditions_entropy),
    Claim("margin_spikes_between_datasets", _RAUCH, "Sec. 1 (contribution 3), Fig. 7",
          "While Margin sampling is strong on specific datasets, Badge and Entropy demonstrate greater robustness "
          "and benefit from higher-quality embeddings.",
          "over datasets, the standard deviation of each dataset's mean AUC gain over random (paired per seed): "
          "Margin's minus Badge's; > 0", "cell", 0.0, 1, sm.strategy_gains, sm.spread_between_datasets),
    Claim("margin_robust_to_quality", _RAUCH, "Sec. 4.3 (takeaway), Fig. 7 (left)",
          "Margin sampling exhibits strong performance spikes and is relatively robust to varying embedding "
          "qualities.",
          "within each dataset, the standard deviation over its embedders of Margin's AUC gain minus the mean of "
          "the other 6 paper strategies'; mean over datasets < 0", "cell", 0.0, -1, sm.strategy_gains,
          sm.spread_within_datasets),
    Claim("top_depends_on_embedder", _RAUCH, "Fig. 5, 7; abstract",
          "The choice of the optimal query strategy is sensitive to embedding quality.",
          "per dataset, how often two embedders' top strategies (AUC, random IPS, paper strategies, same seed) "
          "differ minus how often two seeds' of one embedder do (seed noise); mean over datasets > 0",
          "dataset", 0.0, 1, sm.top_varies_with_embedder),
    Claim("quality_speeds_transition", _RAUCH, "Sec. 1 (finding 3), Fig. 5",
          "Superior representations accelerate the transition from initial diversity-based exploration to "
          "effective uncertainty-based exploitation later in the cycle.",
          "per cell, the first cycle from which Margin, Entropy or Badge top at least as many runs as TypiClust, "
          "ProbCover, CoreSet or DropQuery for good; per dataset, its Spearman correlation with k-NN accuracy "
          "(quality) over the embedders; mean over datasets < 0", "dataset", 0.0, -1, sm.quality_speeds_transition),
    Claim("badge_gain_with_quality", _RAUCH, "abstract; Fig. 6, 7",
          "Strategies like Badge exhibit greater robustness across tasks. Importantly, their effectiveness is "
          "often enhanced when paired with higher-quality embeddings.",
          "per dataset, Spearman correlation over its embedders between k-NN accuracy (quality) and Badge's "
          "AUC gain over random; mean over datasets > 0", "dataset", 0.0, 1, sm.badge_gain_with_quality),
    Claim("accuracy_with_quality", _RAUCH, "Sec. 4.3 (takeaway), Fig. 6",
          "High-quality LLM embeddings generally boost AL performance compared to baseline embeddings.",
          "per dataset, Spearman correlation over its embedders between k-NN accuracy (quality, not the AL "
          "probe's own full-pool score) and the final AL accuracy (mean over strategies); mean over datasets > 0", "dataset", 0.0, 1, m.accuracy_with_quality),
    Claim("tyrogue_label_cost", _MAEKAWA, "abstract; Sec. 4.1, Fig. 3",
          "TYROGUE reduces the labeling cost by up to 43%.",
          "its protocol (1,000 labels in batches of 50; TYROGUE from its cold start, Entropy from a random first "
          "batch): per cell and seed, log of the labels TYROGUE needs to reach 85 % and 95 % of the full-pool "
          "probe's macro-F1 over those Entropy needs (not reached: budget + 1); geometric mean < 1",
          "cell", 1.0, -1, m.tyrogue_label_cost, m.geometric_mean),
    Claim("tyrogue_label_cost_study", _MAEKAWA, "abstract",
          "TYROGUE reduces the labeling cost by up to 43%.",
          f"this study's AL runs (random IPS, its batches): labels TYROGUE needs to reach {m.TARGET:.0%} of the "
          "full-pool probe's accuracy over those Entropy needs from the same initial pool, as a log ratio; "
          "geometric mean < 1", "cell", 1.0, -1, m.tyrogue_label_cost_study, m.geometric_mean),
    Claim("tyrogue_latency", _MAEKAWA, "abstract",
          "TYROGUE reduces the labeling cost by up to 43% and the acquisition latency by as much as 11X.",
          "latency study, largest pool: median query seconds of whole-pool TypiClust (the clustering TYROGUE's "
          "pre-filter avoids; with cached embeddings no strategy needs a forward pass) over TYROGUE's; mean "
          "ratio > 1", "cell", 1.0, 1, m.tyrogue_latency),
)
"""Every claim the book gives a verdict on, in the order of the papers' figures."""


# ---------------------------------------------------------------------------------------- statistics

def natural_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the controlled ladder's cells (derived embedders, named ``<base>+<transform>``)."""
    return frame[~frame["embedder"].astype(str).str.contains(DERIVED_SEPARATOR, regex=False)] if len(frame) else frame


def ladder_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """The controlled ladder's rows of ``frame``: its derived cells and, on the same dataset, the cell of
    the embedding each derives from (empty without a ladder)."""
    if not len(frame):
        return frame
    embedder = frame["embedder"].astype(str)
    derived = embedder.str.contains(DERIVED_SEPARATOR, regex=False)
    bases = set(zip(frame.loc[derived, "dataset"], embedder[derived].str.split(DERIVED_SEPARATOR, n=1).str[0]))
    return frame[derived | pd.Series([c in bases for c in zip(frame["dataset"], embedder)], index=frame.index)]


def seed_variance(frame: pd.DataFrame, value: str, unit: Sequence[str], *, by: Sequence[str] = (),
                  seeds_then: int = 5) -> pd.DataFrame:
    """How much of the spread of unit means is seed noise, and what more seeds would buy.

    A one-way random-effects split of ``value`` (one row per unit and seed): ``within_sd`` is the
    spread of one seed around its unit's mean (pooled over units), ``between_sd`` the spread of the
    units' true means (the variance of the unit means less the seed noise left in them, floored at
    0). An interval over units is as wide as the standard deviation of the unit means, so with
    ``n`` seeds it scales as ``sqrt(between² + within² / n)``.

    Parameters
    ----------
    frame : DataFrame
        ``unit`` columns, ``by`` columns and ``value``, one row per seed of a unit.
    value : str
    unit : sequence of str
        The columns of the independent unit (a cell: dataset and embedder).
    by : sequence of str
        One row per group (e.g. per strategy).
    seeds_then : int
        The seed count to compare with.

    Returns
    -------
    DataFrame
        ``by``, ``n_units``, ``seeds`` (mean per unit), ``within_sd``, ``between_sd``, ``seed_share``
        (share of the variance of a unit mean that is seed noise) and ``width_ratio`` (interval width
        with ``seeds_then`` seeds over the width now).
    """
    require_columns(frame, [*unit, *by, value], "seed_variance")
    check_int("seeds_then", seeds_then, minimum=1)
    rows = []
    for key, grp in (frame.groupby(list(by), sort=True) if by else [((), frame)]):
        per_unit = grp.groupby(list(unit))[value]
        n = float(per_unit.count().mean())
        within = float(per_unit.var(ddof=1).mean())
        means = float(per_unit.mean().var(ddof=1))
        between = max(means - within / n, 0.0)
        now, then = between + within / n, between + within / seeds_then
        rows.append((*(key if isinstance(key, tuple) else (key,)), per_unit.ngroups, n, np.sqrt(within),
                     np.sqrt(between), (within / n) / now if now > 0 else np.nan,
                     np.sqrt(then / now) if now > 0 else np.nan))
    return pd.DataFrame(rows, columns=[*by, "n_units", "seeds", "within_sd", "between_sd", "seed_share",
                                       "width_ratio"])


def verdict(low: float, high: float, threshold: float, direction: int, n_units: int, min_units: int) -> str:
    """The verdict rule of the module docstring."""
    if n_units < min_units or not (np.isfinite(low) and np.isfinite(high)):
        return "inconclusive"
    above, below = low > threshold, high < threshold
    if (above and direction > 0) or (below and direction < 0):
        return "reproduced"
    if (below and direction > 0) or (above and direction < 0):
        return "not reproduced"
    return "inconclusive"


def claim_table(al_runs: pd.DataFrame, ips_only: pd.DataFrame, latency: pd.DataFrame, quality: pd.DataFrame, *,
                tyrogue_runs: pd.DataFrame | None = None, claims: Sequence[Claim] = CLAIMS, n_boot: int = 2000, seed: int = 0, min_cells: int = MINCELLS,
                min_datasets: int = MIN_DATASETS) -> pd.DataFrame:
    """One row per claim: the paper's statement, the measured effect, its interval, units and verdict.

    Parameters
    ----------
    al_runs, ips_only, latency : DataFrame
        The store's cycle tables of the AL runs, of the IPS study (``cycles == 0``) and of the
        latency study (see :class:`Evidence`); an empty table leaves its claims inconclusive.
    tyrogue_runs : DataFrame, optional
        TYROGUE and its baselines at its paper's protocol (the claims plan's ``"tyrogue"`` runs); without
        them the protocol's label-cost claim is inconclusive with no units.
    quality : DataFrame
        ``dataset``, ``embedder``, ``probe_accuracy`` (the full-pool probe of each cell: TYROGUE's target;
        with ``tyrogue_runs`` also ``probe_macro_f1``)
        and ``knn_accuracy`` (its quality in the quality claims, :data:`~.claim_measures.QUALITY`)
        (:func:`almodules.study.diagnostics.embedding_quality_table`).
    claims : sequence of Claim
    n_boot, seed : int
        Bootstrap resamples and their seed.
    min_cells, min_datasets : int
        Fewest datasets for a verdict other than inconclusive, and fewest cells for a per-cell claim.

    Returns
    -------
    DataFrame
        ``claim``, ``paper``, ``where``, ``statement``, ``measure``, ``unit`` (``dataset``: what the
        bootstrap resamples), ``n_units`` (datasets), ``n_cells``, ``effect``, ``low``, ``high``,
        ``threshold``, ``verdict``, ``degenerate``. The AL runs, the IPS study and the quality table are taken on the
        natural embedders only (:func:`natural_cells`).
    """
    columns = [*SETTING, "ips", "strategy", "seed", "cycle", "n_labeled", "accuracy", "select_s"]
    for name, frame in (("al_runs", al_runs), ("ips_only", ips_only), ("latency", latency)):
        require_columns(frame, columns, f"claim_table {name}")
    require_columns(quality, [*CELL, "probe_accuracy", m.QUALITY], "claim_table quality")
    if quality.duplicated(list(CELL)).any():
        raise ConfigError("quality must hold one row per dataset and embedder")
    if tyrogue_runs is not None and len(tyrogue_runs):
        require_columns(tyrogue_runs, columns, "claim_table tyrogue_runs")
        require_columns(quality, ["probe_macro_f1"], "claim_table quality (for tyrogue_runs)")
    evidence = Evidence(natural_cells(al_runs), natural_cells(ips_only), latency, natural_cells(quality),
                        None if tyrogue_runs is None else natural_cells(tyrogue_runs))
    rows = []
    for claim in claims:
        frame = claim.values(evidence)
        n_units = int(frame["dataset"].nunique()) if len(frame) else 0
        n_cells = len(frame[list(CELL)].drop_duplicates()) if len(frame) and "embedder" in frame else n_units
        statistic = claim.effect if claim.statistic else None  # None: the mean, for all resamples at once
        if "seed" in frame:  # one row per seed of a cell: datasets, then seeds within cells
            effect = claim.effect(replicate_means(frame, CELL)) if len(frame) else np.nan
            low, high = nested_bootstrap_interval(frame, statistic, unit=CELL, n_boot=n_boot, seed=seed)
        else:
            effect = claim.effect(frame) if len(frame) else np.nan
            low, high = cluster_bootstrap_interval(frame, statistic, n_boot=n_boot, seed=seed)
        judged = verdict(low, high, claim.threshold, claim.direction, n_units, min_datasets)
        if claim.unit == "cell" and n_cells < min_cells:
            judged = "inconclusive"

        rows.append({"claim": claim.key, "paper": claim.paper, "where": claim.where, "statement": claim.statement,
                     "measure": claim.measure, "unit": "dataset", "n_units": n_units, "n_cells": n_cells,
                     "effect": effect, "low": low, "high": high, "threshold": claim.threshold,
                     "verdict": judged, "degenerate": bool(np.isfinite(low) and low == high)})
    return pd.DataFrame(rows)
