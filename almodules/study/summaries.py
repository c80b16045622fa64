"""The "This run" summary of each chapter: what the chapter's tables say, in a few sentences.

Each function takes the tables a chapter has already computed and returns a :class:`Summary`:
bullet lines for the chapter and named values that the reproduction page quotes (through myst-nb's
``glue``). :func:`show` publishes a summary in a notebook. Keeping the wording here, not in the
notebooks, lets the tests check what a chapter claims about its own results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from almodules.core.validation import require_columns
from almodules.datasets.registry import DATASETS
from almodules.study.analysis import acquisition_latency
from almodules.study.rankings import top_strategy_frequency, win_rate_matrix, win_rates
from almodules.study.verdicts import VERDICTS

__all__ = ["Summary", "PAPER_SEEDS", "MORE_SEEDS", "study_description", "embedder_ranking", "ips_wins", "al_cycles",
           "strategy_tops", "tyrogue_costs", "claim_verdicts", "seeds_to_compare", "seed_noise", "show"]

PAPER_SEEDS = 5
"""Seeds per setting in Rauch et al. 2025."""

MORE_SEEDS = 50
"""Repetitions per setting in CDALBench, the comparison once a study has the paper's seeds."""


@dataclass(frozen=True)
class Summary:
    """Bullet ``lines`` for the chapter and ``values`` (name -> text) and ``tables`` (name -> table) for
    the reproduction page."""

    lines: tuple[str, ...]
    values: dict[str, str] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def markdown(self) -> str:
        """The lines as a Markdown list."""
        return "\n".join(f"* {line}" for line in self.lines)


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _title(dataset: str) -> str:
    return DATASETS[dataset].title if dataset in DATASETS else dataset


def study_description(pairs: Sequence[tuple[str, str]], seeds: Sequence[int]) -> Summary:
    """What a chapter ran on, in one sentence: its datasets, the embedders of each, the derived
    (``+pca``, ``+noise``) ladder and the seeds. Written from the parameters, never typed."""
    datasets = list(dict.fromkeys(d for d, _ in pairs))
    natural = [(d, e) for d, e in pairs if "+" not in e]
    derived = [(d, e) for d, e in pairs if "+" in e]
    on = {e: [d for d, x in natural if x == e] for e in dict.fromkeys(e for _, e in natural)}
    everywhere = [e for e, ds in on.items() if len(ds) == len(datasets)]
    parts = []
    if everywhere:
        parts.append(f"{_listed(everywhere)} on every dataset")
    parts += [f"{e} on {len(ds)} of them ({_listed([_title(d) for d in ds])})"
              for e, ds in on.items() if e not in everywhere]
    if derived:
        bases = _listed(list(dict.fromkeys(e.split("+", 1)[0] for _, e in derived)))
        steps = _listed(list(dict.fromkeys(e.split("+", 1)[1] for _, e in derived)))
        ladder = list(dict.fromkeys(_title(d) for d, _ in derived))
        parts.append(f"a controlled ladder of {bases} ({steps}) on {_listed(ladder)}")
    many = [d for d in datasets if d in DATASETS and DATASETS[d].n_classes >= 8]
    line = (f"{len(pairs)} dataset × embedder cells, {len(seeds)} paired seeds each (the paper: {PAPER_SEEDS}): "
            f"{len(datasets)} datasets ({_listed([_title(d) for d in datasets])}; {len(many)} of them with 8 or more "
            f"classes); " + "; ".join(parts) + ".")
    return Summary((line,), {"study_description": line})


def embedder_ranking(quality: pd.DataFrame) -> Summary:
    """Chapter 1: embedders by their mean gap to the best embedder of each dataset, best first.

    The gap (full-pool probe accuracy minus the best one on the same dataset) keeps embedders
    comparable when they cover different datasets: a mean accuracy would favour an embedder
    computed only on easy datasets.
    """
    require_columns(quality, ["dataset", "embedder", "probe_accuracy", "knn_accuracy"], "embedder_ranking")
    gap = quality["probe_accuracy"] - quality.groupby("dataset")["probe_accuracy"].transform("max")
    ranking = quality.assign(gap=gap).groupby("embedder").agg(
        gap=("gap", "mean"), probe=("probe_accuracy", "mean"), knn=("knn_accuracy", "mean"),
        n=("dataset", "nunique")).sort_values("gap", ascending=False, kind="stable")

    def datasets(n: float) -> str:  # iterrows turns the count into a float
        return f"{int(n)} dataset" + ("s" if n != 1 else "")

    return Summary(
        tuple(f"**{e}**: {r.gap:+.3f} to the best embedder of its datasets (mean probe {r.probe:.3f}, k-NN "
              f"{r.knn:.3f}; {datasets(r.n)})" for e, r in ranking.iterrows()),
        {"embedder_ranking": ", ".join(f"{e} ({r.gap:+.3f}, {datasets(r.n)})" for e, r in ranking.iterrows())})


def ips_wins(wins: pd.DataFrame) -> Summary:
    """Chapter 2: each IPS's share of wins at the smallest and the largest k0."""
    require_columns(wins, ["k0", "ips", "frequency"], "ips_wins")
    small, large = wins["k0"].min(), wins["k0"].max()

    def shares(k: int) -> str:
        rows = wins[wins["k0"] == k].sort_values("frequency", ascending=False, kind="stable")
        return ", ".join(f"{r.ips} {r.frequency:.0%}" for r in rows.itertuples())

    return Summary((f"k₀ = {small}: {shares(small)}", f"k₀ = {large}: {shares(large)}"),
                   {"ips_wins_small": f"k0 = {small}: {shares(small)}",
                    "ips_wins_large": f"k0 = {large}: {shares(large)}"})


def al_cycles(auc: pd.DataFrame, difference: pd.DataFrame | None) -> Summary:
    """Chapter 3: strategies by mean AUC, and the TypiClust - random IPS difference at both ends.

    ``difference`` is :func:`~almodules.study.analysis.ips_difference_curves`, or ``None`` when the
    chapter did not run both initial pools.
    """
    require_columns(auc, ["strategy", "mean"], "al_cycles")
    order = auc.groupby("strategy")["mean"].mean().sort_values(ascending=False, kind="stable")
    lines = ["AUC: " + ", ".join(f"**{s}** {v:.3f}" for s, v in order.items())]
    effect = "not run (needs random and typiclust IPS)"
    if difference is not None:
        by_cycle = difference.groupby("cycle")["mean"].mean()
        effect = (f"{by_cycle.iloc[0]:+.3f} at cycle {by_cycle.index[0]}, "
                  f"{by_cycle.iloc[-1]:+.3f} at cycle {by_cycle.index[-1]}")
        lines.append(f"TypiClust − random IPS: {effect}")
    return Summary(tuple(lines), {"auc_ranking": ", ".join(f"{s} {v:.3f}" for s, v in order.items()),
                                  "ips_effect": effect})


def strategy_tops(cycle_table: pd.DataFrame, embedders: list[str]) -> Summary:
    """Chapter 4: the strategy most often on top, the best mean win rate, the top per embedder."""
    best = top_strategy_frequency(cycle_table, by=()).iloc[0]
    tidy = win_rates(cycle_table)
    rates = win_rate_matrix(tidy)
    ties = tidy["ties"].sum() / max(tidy["comparisons"].sum(), 1)
    lines = [f"Most often top over all competitions: **{best.strategy}** ({best.frequency:.0%} of "
             f"{int(best.groups)}).",
             f"Highest mean pairwise win rate: **{rates.index[0]}** ({rates.iloc[0].mean():.0%}); "
             f"{ties:.1%} of the pairwise comparisons were ties (counted one half)."]
    per_embedder = []
    for name in embedders:
        top = top_strategy_frequency(cycle_table[cycle_table["embedder"] == name], by=()).iloc[0]
        lines.append(f"With {name}: **{top.strategy}** is top most often ({top.frequency:.0%}).")
        per_embedder.append(f"{name}: {top.strategy} ({top.frequency:.0%})")
    return Summary(tuple(lines), {
        "top_overall": f"{best.strategy} ({best.frequency:.0%} of {int(best.groups)} competitions)",
        "best_win_rate": f"{rates.index[0]} ({rates.iloc[0].mean():.0%})",
        "top_per_embedder": "; ".join(per_embedder)})


def tyrogue_costs(labels_summary: pd.DataFrame, cycle_table: pd.DataFrame) -> Summary:
    """Chapter 5: mean labels to reach each target per strategy, and TYROGUE's latency against whole-pool
    TypiClust (the measure of the claims chapter's latency verdict).

    ``labels_summary`` is the seed summary of :func:`~almodules.study.analysis.labels_to_target`
    (columns ``fraction``, ``strategy``, ``mean``).
    """
    require_columns(labels_summary, ["fraction", "strategy", "mean"], "tyrogue_costs")
    mean_labels = labels_summary.groupby(["fraction", "strategy"])["mean"].mean().unstack("strategy")
    latency = acquisition_latency(cycle_table, by=("strategy",)).set_index("strategy")["median_s"]
    lines, label_texts = [], []
    for fraction, row in mean_labels.iterrows():
        reached = row.dropna().sort_values(kind="stable")
        text = ", ".join(f"{s} {v:.0f}" for s, v in reached.items()) or "no strategy reached it"
        lines.append(f"labels to {fraction:.0%} of full supervision (mean): {text}")
        label_texts.append(f"{fraction:.0%}: {text}")
    latency_text = "TYROGUE and TypiClust not both among the strategies"
    if {"tyrogue", "typiclust"} <= set(latency.index):
        # The claims chapter's measure: whole-pool TypiClust, the clustering TYROGUE's pre-filter avoids.
        latency_text = (f"TYROGUE {latency['tyrogue']:.3f} s; whole-pool TypiClust {latency['typiclust']:.3f} s "
                        f"({latency['typiclust'] / latency['tyrogue']:.1f}× TYROGUE's)")
        lines.append(f"median query latency: {latency_text}")
    return Summary(tuple(lines), {"labels_to_target": "; ".join(label_texts), "latency_ratio": latency_text})


def claim_verdicts(claims: pd.DataFrame) -> Summary:
    """Chapter 6: the count of each verdict, and one value per claim (``claim_<key>``) for the reproduction page."""
    require_columns(claims, ["claim", "statement", "paper", "where", "effect", "low", "high", "n_units", "unit", "verdict"],
                    "claim_verdicts")
    values, counts = {}, claims["verdict"].value_counts()
    for row in claims.itertuples():
        interval = "no interval" if pd.isna(row.low) else f"[{row.low:.3f}, {row.high:.3f}]"
        effect = "no data" if pd.isna(row.effect) else f"{row.effect:.3f} {interval}"
        cells = f" ({row.n_cells} cells)" if getattr(row, "n_cells", row.n_units) != row.n_units else ""
        values[f"claim_{row.claim}"] = f"{row.verdict}: {effect}, {row.n_units} {row.unit}s{cells}"
    lines = (", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS)
             + f" of {len(claims)} claims",)
    values["claims_overview"] = lines[0]
    sources = {"rauch2025nofreelunch": "Rauch et al. 2025", "maekawa2022tyrogue": "Maekawa et al. 2022"}
    table = pd.DataFrame({
        "claim": claims["statement"].to_numpy(),
        "source": [f"{sources.get(r.paper, r.paper)}, {r.where}" for r in claims.itertuples()],
        "this run: verdict, effect [95 % interval], units": [values[f"claim_{k}"] for k in claims["claim"]],
    })
    return Summary(lines, values, {"claims_table": table})


def seeds_to_compare(n_seeds: int) -> int:
    """The seed count a study of ``n_seeds`` is compared with: the paper's, or CDALBench's once it has those."""
    return PAPER_SEEDS if n_seeds < PAPER_SEEDS else MORE_SEEDS


def seed_noise(noise: pd.DataFrame, seeds_then: int) -> Summary:
    """Chapter 6: how much of the between-cell spread is seed noise, and what ``seeds_then`` seeds would buy."""
    require_columns(noise, ["seed_share", "width_ratio"], "seed_noise")
    share, ratio = noise["seed_share"].dropna(), noise["width_ratio"].dropna()
    if share.empty:
        line = "Seed noise cannot be measured here: it needs two seeds or more in a cell and two cells or more."
        return Summary((line,), {"seed_noise": line})
    line = (f"Seed noise is {share.min():.0%}–{share.max():.0%} of the variance of a cell's mean gain "
            f"(median {share.median():.0%}); {seeds_then} seeds would make the intervals over cells "
            f"{1 - ratio.max():.0%}–{1 - ratio.min():.0%} narrower.")
    return Summary((line,), {"seed_noise": line})


def show(summary: Summary) -> None:
    """Publish ``summary`` in a notebook: glue its values for the reproduction page, display its lines."""
    # Imported here: only a notebook kernel needs them, and myst-nb pulls in Sphinx.
    from IPython.display import Markdown, display
    from myst_nb import glue

    for name, text in summary.values.items():
        glue(name, text, display=False)
    for name, table in summary.tables.items():
        glue(name, table.style.hide(axis="index"), display=False)
    display(Markdown(summary.markdown))
