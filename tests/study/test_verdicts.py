"""The claims' verdicts: the rule, the bootstrap over cells, and each measure on constructed runs."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pytest
from synthetic_cycles import run_rows, table

from almodules.core.validation import ConfigError
from almodules.study import verdicts

DATASETS = [f"d{i}" for i in range(6)]
EMBEDDERS = ["weak", "mid", "strong"]
QUALITY = {"weak": 0.6, "mid": 0.75, "strong": 0.9}


def quality_table(datasets=DATASETS):
    return pd.DataFrame([{"dataset": d, "embedder": e, "probe_accuracy": QUALITY[e] + 0.01 * i,
                          "knn_accuracy": QUALITY[e] - 0.05 + 0.01 * i}
                         for i, d in enumerate(datasets) for e in EMBEDDERS])


def al_grid(badge_bonus, margin_bonus, ips_bonus=0.05, seeds=(0, 1, 2), rng_seed=0, fades=True, cycles=6):
    """AL runs of every paper strategy; badge/margin bonuses are functions of (dataset index, embedder)."""
    rng = np.random.default_rng(rng_seed)
    runs = []
    for (i, d), e, ips, s, seed in itertools.product(enumerate(DATASETS), EMBEDDERS, ("random", "typiclust"),
                                                      verdicts.PAPER_STRATEGIES + ("tyrogue",), seeds):
        base = 0.3 + 0.5 * QUALITY[e]
        steps = np.arange(cycles)
        bonus = {"badge": badge_bonus(i, e), "margin": margin_bonus(i, e)}.get(s, 0.0)
        gap = ips_bonus * (ips == "typiclust") * (np.exp(-steps) if fades else np.ones(cycles))  # gone by cycle 5, or kept
        curve = base + 0.1 * (1 - np.exp(-steps / 2)) + bonus * (steps > 0) + gap + rng.normal(0, 0.002, cycles)
        curve[0] = base + gap[0]  # the initial pool does not depend on the query strategy
        runs.append(run_rows(curve, dataset=d, embedder=e, ips=ips, strategy=s, seed=seed))
    return table(runs)


def ips_grid(gap_small, gap_large, seeds=(0, 1, 2), treated="typiclust"):
    """IPS-only runs; the ``treated`` pool's gap over random varies a little by embedder (mean unchanged)."""
    runs = []
    for d, (j, e), ips, k0, seed in itertools.product(DATASETS, enumerate(EMBEDDERS), ("random", treated),
                                                       (20, 100, 1000), seeds):
        wobble = 0.002 * (j - 1) * (seed - 1) * (1 if k0 <= 100 else -1)  # mean 0 over seeds
        gap = ((gap_small if k0 <= 100 else gap_large) + wobble) * (ips == treated)
        runs.append(run_rows([0.5 + gap + 0.001 * seed], dataset=d, embedder=e, ips=ips, seed=seed, k0=k0))
    return table(runs)


def curve_grid(bonus, seeds=(0, 1, 2), cycles=8, rng_seed=0):
    """AL runs (random IPS) of every paper strategy; ``bonus(i, e, s, steps)`` adds to strategy s's curve."""
    rng = np.random.default_rng(rng_seed)
    runs = []
    for (i, d), e, s, seed in itertools.product(enumerate(DATASETS), EMBEDDERS, verdicts.PAPER_STRATEGIES, seeds):
        steps = np.arange(cycles)
        curve = 0.3 + 0.5 * QUALITY[e] + 0.1 * (1 - np.exp(-steps / 2)) + bonus(i, e, s, steps) * (steps > 0)
        runs.append(run_rows(curve + rng.normal(0, 0.002, cycles) * (steps > 0), dataset=d, embedder=e,
                             strategy=s, seed=seed))
    return table(runs)


def judged(al, ips, latency=None, quality=None, **kw):
    empty = al.iloc[:0]
    out = verdicts.claim_table(al, ips, empty if latency is None else latency,
                               quality_table() if quality is None else quality, n_boot=300, **kw)
    return out.set_index("claim")


@pytest.mark.parametrize("low, high, direction, n, expected", [
    (0.1, 0.3, 1, 10, "reproduced"), (-0.3, -0.1, 1, 10, "not reproduced"), (-0.1, 0.2, 1, 10, "inconclusive"),
    (0.1, 0.3, 1, 3, "inconclusive"), (0.5, 0.9, -1, 10, "reproduced"), (1.2, 1.5, -1, 10, "not reproduced"),
    (np.nan, np.nan, 1, 10, "inconclusive"),
])
def test_the_verdict_rule(low, high, direction, n, expected):
    threshold = 1.0 if direction < 0 else 0.0
    assert verdicts.verdict(low, high, threshold, direction, n, 8) == expected


def test_bootstrap_interval_covers_the_mean_and_shrinks_with_more_units():
    rng = np.random.default_rng(0)
    few = pd.DataFrame({"value": rng.normal(1.0, 1.0, 10)})
    many = pd.DataFrame({"value": rng.normal(1.0, 1.0, 400)})
    mean = lambda f: float(f["value"].mean())  # noqa: E731
    lo_f, hi_f = verdicts.bootstrap_interval(few, mean, n_boot=500)
    lo_m, hi_m = verdicts.bootstrap_interval(many, mean, n_boot=500)
    assert lo_m < 1.0 < hi_m and (hi_m - lo_m) < (hi_f - lo_f) / 3
    assert verdicts.bootstrap_interval(few, mean, n_boot=500) == (lo_f, hi_f)  # seeded
    assert np.isnan(verdicts.bootstrap_interval(few.iloc[:1], mean)[0])


def test_claims_that_hold_by_construction_are_reproduced():
    spikes = {(i, e): 0.03 * i - 0.06 + 0.01 * EMBEDDERS.index(e) for i in range(6) for e in EMBEDDERS}
    al = al_grid(badge_bonus=lambda i, e: 0.03 * QUALITY[e], margin_bonus=lambda i, e: spikes[i, e])
    out = judged(al, ips_grid(0.04, 0.0))
    for claim in ("ips_small_k0", "ips_fades_with_k0", "ips_fades_over_cycles", "badge_win_rate",
                  "badge_robust_across_tasks", "margin_spikes_between_datasets", "badge_gain_with_quality",
                  "accuracy_with_quality"):
        assert out.loc[claim, "verdict"] == "reproduced", (claim, out.loc[claim].to_dict())
    assert out.loc["ips_small_k0", "n_units"] == 6 and out.loc["ips_small_k0", "n_cells"] == 18
    assert out.loc["badge_gain_with_quality", "n_units"] == 6 and (out["unit"] == "dataset").all()
    assert out.loc["ips_small_k0", "effect"] == pytest.approx(0.04, abs=1e-9)
    assert out.loc["coreset_ips_worse", "n_units"] == 0  # no CoreSet initial pools in this study


def test_claims_that_fail_by_construction_are_not_reproduced_and_thin_data_is_inconclusive():
    al = al_grid(badge_bonus=lambda i, e: -0.03, margin_bonus=lambda i, e: 0.0)
    out = judged(al, ips_grid(-0.04, 0.0))
    assert out.loc["badge_win_rate", "verdict"] == "not reproduced"
    assert out.loc["ips_small_k0", "verdict"] == "not reproduced"
    assert out.loc["tyrogue_latency", "verdict"] == "inconclusive" and out.loc["tyrogue_latency", "n_units"] == 0
    kept = judged(al_grid(lambda i, e: 0.0, lambda i, e: 0.0, fades=False, cycles=11), ips_grid(0.04, 0.0))
    assert kept.loc["ips_fades_over_cycles", "verdict"] == "not reproduced"  # the gap is still 0.05 at cycles 5-10
    few = judged(al[al["dataset"] == "d0"], ips_grid(0.04, 0.0).query("dataset == 'd0'"))
    assert (few["verdict"] == "inconclusive").all()  # 3 cells, 1 dataset: too few for any verdict


def test_cells_that_share_a_dataset_are_resampled_together():
    # One dataset's three cells gain a lot, the five others' nothing: over 18 cells as independent units
    # the interval would exclude 0; over 6 datasets it must not.
    runs = []
    for d, e, ips, seed in itertools.product(DATASETS, EMBEDDERS, ("random", "typiclust"), (0, 1, 2)):
        gap = (0.12 if d == "d0" else 0.0) * (ips == "typiclust")
        runs.append(run_rows([0.5 + gap + 0.001 * seed], dataset=d, embedder=e, ips=ips, seed=seed, k0=20))
    out = judged(al_grid(lambda i, e: 0.0, lambda i, e: 0.0, seeds=(0,)), table(runs))
    assert out.loc["ips_small_k0", "effect"] == pytest.approx(0.02, abs=1e-9)
    assert out.loc["ips_small_k0", "low"] <= 0.0 and out.loc["ips_small_k0", "verdict"] == "inconclusive"
    frame = pd.DataFrame({"dataset": ["d0"] * 6 + list(np.repeat(DATASETS[1:], 3)), "value": np.r_[[0.12] * 6, [0.0] * 15]})
    mean = lambda f: float(f["value"].mean())  # noqa: E731
    assert verdicts.bootstrap_interval(frame, mean, n_boot=500)[0] > 0.0  # what a per-cell bootstrap says
    assert verdicts.cluster_bootstrap_interval(frame, mean, n_boot=500)[0] <= 0.0


def test_the_controlled_ladder_is_left_out_of_the_claims():
    al = al_grid(lambda i, e: 0.0, lambda i, e: 0.0, seeds=(0,))
    ladder = al[al["embedder"] == "strong"].assign(embedder="strong+pca8")
    ips = ips_grid(0.04, 0.0, seeds=(0,))
    quality = pd.concat([quality_table(), quality_table().query("embedder == 'strong'").assign(embedder="strong+pca8")])
    with_ladder = judged(pd.concat([al, ladder]), pd.concat([ips, ips[ips["embedder"] == "strong"].assign(
        embedder="strong+pca8")]), quality=quality)
    assert with_ladder.equals(judged(al, ips))


def test_win_rates_count_ties_as_half_among_the_paper_strategies():
    runs = [run_rows([0.5, 0.6], dataset="d", embedder="e", strategy=s, seed=0) for s in ("badge", "margin")]
    runs.append(run_rows([0.5, 0.7], dataset="d", embedder="e", strategy="random", seed=0))
    runs.append(run_rows([0.5, 0.9], dataset="d", embedder="e", strategy="falcun", seed=0))  # not a paper strategy
    frame = table(runs)
    ev = verdicts.Evidence(frame, frame.iloc[:0], frame.iloc[:0], quality_table())
    badge = next(c for c in verdicts.CLAIMS if c.key == "badge_win_rate")
    rates = badge.values(ev)  # a tie with margin, a loss to random
    assert rates["value"].tolist() == [0.25]


def test_bad_inputs_are_refused_by_name():
    al = al_grid(lambda i, e: 0.0, lambda i, e: 0.0, seeds=(0,))
    with pytest.raises(ConfigError, match="claim_table quality"):
        verdicts.claim_table(al, al.iloc[:0], al.iloc[:0], quality_table().drop(columns="probe_accuracy"))
    with pytest.raises(ConfigError, match="one row per dataset and embedder"):
        verdicts.claim_table(al, al.iloc[:0], al.iloc[:0], pd.concat([quality_table()] * 2))
    with pytest.raises(ConfigError, match="claim_table ips_only"):
        verdicts.claim_table(al, al.drop(columns="select_s"), al.iloc[:0], quality_table())


def test_seed_variance_splits_seed_noise_from_cell_spread():
    rng = np.random.default_rng(0)
    cells, seeds = 400, 3
    cell_mean = rng.normal(0, 2.0, cells)  # between-cell sd 2
    rows = [{"dataset": f"d{c}", "embedder": "e", "strategy": "s", "seed": k, "gain": cell_mean[c] + rng.normal(0, 1.0)}
            for c in range(cells) for k in range(seeds)]  # seed sd 1
    out = verdicts.seed_variance(pd.DataFrame(rows), "gain", ["dataset", "embedder"], by=["strategy"])
    row = out.iloc[0]
    assert row["n_units"] == cells and row["seeds"] == 3
    assert abs(row["within_sd"] - 1.0) < 0.05 and abs(row["between_sd"] - 2.0) < 0.2
    expected_share = (1 / 3) / (4 + 1 / 3)
    assert abs(row["seed_share"] - expected_share) < 0.02
    assert abs(row["width_ratio"] - np.sqrt((4 + 1 / 5) / (4 + 1 / 3))) < 0.01



def test_the_top_strategy_depends_on_the_embedder_only_beyond_seed_noise():
    # Badge tops with the weak embedder, Margin with the strong one, on every dataset: the embedder decides.
    decided = al_grid(badge_bonus=lambda i, e: 0.05 * (e == "weak"), margin_bonus=lambda i, e: 0.05 * (e == "strong"),
                      seeds=(0, 1, 2, 3))
    out = judged(decided, ips_grid(0.0, 0.0))
    assert out.loc["top_depends_on_embedder", "verdict"] == "reproduced"
    assert out.loc["top_depends_on_embedder", "low"] < out.loc["top_depends_on_embedder", "high"]
    # No strategy is better anywhere: the tops differ between embedders only as much as between seeds.
    noise = al_grid(badge_bonus=lambda i, e: 0.0, margin_bonus=lambda i, e: 0.0, seeds=(0, 1, 2, 3), rng_seed=5)
    out = judged(noise, ips_grid(0.0, 0.0))
    assert out.loc["top_depends_on_embedder", "verdict"] != "reproduced", out.loc["top_depends_on_embedder"].to_dict()
    assert abs(out.loc["top_depends_on_embedder", "effect"]) < 0.2


def test_initial_pools_over_half_the_pool_do_not_count_for_the_fading_with_k0():
    from almodules.study import claim_measures
    rows = []
    for k0, gap in ((20, 0.04), (1000, 0.0), (5000, 0.0)):
        for ips in ("random", "typiclust"):
            rows.append(run_rows([0.5 + gap * (ips == "typiclust")], dataset="trec6", embedder="e", ips=ips,
                                 seed=0, k0=k0))
    ev = claim_measures.Evidence(table([]), table(rows), table([]), quality_table())
    gap = claim_measures._ips_gap(ev.ips_only, [*claim_measures.SETTING, "strategy", "seed"])
    kept = gap[gap["k0"] <= claim_measures._pool_rows(gap) / 2]
    assert sorted(kept["k0"]) == [20, 1000]  # trec6's pool is 5,452: k0 = 5000 leaves both IPS the same points


def test_seeds_are_a_second_level_of_the_bootstrap():
    # Every cell has the same true mean 0.02; only its seeds are noisy. Resampling the datasets alone
    # (the seed means as fixed values) gives a narrower interval than resampling seeds inside cells too.
    rng = np.random.default_rng(1)
    rows = [{"dataset": d, "embedder": e, "seed": k, "value": 0.02 + rng.normal(0, 0.05)}
            for d in DATASETS for e in EMBEDDERS for k in range(3)]
    frame = pd.DataFrame(rows)
    mean = lambda f: float(f["value"].mean())  # noqa: E731
    low_n, high_n = verdicts.nested_bootstrap_interval(frame, mean, n_boot=800)
    cells = verdicts.replicate_means(frame, ["dataset", "embedder"])
    low_c, high_c = verdicts.cluster_bootstrap_interval(cells, mean, n_boot=800)
    assert high_n - low_n > 1.2 * (high_c - low_c)
    assert low_n < mean(frame) < high_n and mean(cells) == pytest.approx(mean(frame))
    assert (low_n, high_n) == verdicts.nested_bootstrap_interval(frame, mean, n_boot=800)  # seeded


def test_the_mean_without_a_statistic_is_the_mean_statistic_for_every_resample_at_once():
    # statistic=None takes a vectorised path: the same interval as the mean computed resample by resample,
    # NaN values skipped as DataFrame.mean skips them, with uneven clusters and units.
    rng = np.random.default_rng(2)
    rows = [{"dataset": d, "embedder": e, "seed": k, "value": rng.normal(0.01, 0.05), "other": 1.0}
            for d in DATASETS for e in EMBEDDERS[:1 + DATASETS.index(d) % 3] for k in range(1 + DATASETS.index(d) % 4)]
    frame = pd.DataFrame(rows)
    frame.loc[frame.index[::7], "value"] = np.nan
    mean = lambda f: float(f["value"].mean())  # noqa: E731
    for n_boot, seed in ((300, 0), (200, 5)):
        fast = verdicts.nested_bootstrap_interval(frame, None, n_boot=n_boot, seed=seed)
        assert fast == pytest.approx(verdicts.nested_bootstrap_interval(frame, mean, n_boot=n_boot, seed=seed),
                                     rel=1e-12, abs=1e-15)
        cells = verdicts.replicate_means(frame, ["dataset", "embedder"])
        fast = verdicts.cluster_bootstrap_interval(cells, None, n_boot=n_boot, seed=seed)
        assert fast == pytest.approx(verdicts.cluster_bootstrap_interval(cells, mean, n_boot=n_boot, seed=seed),
                                     rel=1e-12, abs=1e-15)


def test_a_measure_no_resample_can_move_is_flagged_degenerate():
    al = al_grid(lambda i, e: 0.0, lambda i, e: 0.0, seeds=(0,))
    constant = verdicts.Claim("constant", "x", "y", "a claim", "always 1", "cell", 0.5, 1,
                              lambda ev: pd.DataFrame({"dataset": DATASETS * 3, "embedder": np.repeat(EMBEDDERS, 6),
                                                       "value": 1.0}))
    out = judged(al, ips_grid(0.0, 0.0, seeds=(0,)), claims=[constant])
    assert out.loc["constant", "degenerate"] and out.loc["constant", "low"] == 1.0


@pytest.mark.parametrize("gap, expected", [(-0.03, "reproduced"), (0.03, "not reproduced")])
def test_coreset_initial_pools_worse_than_random(gap, expected):
    al = al_grid(lambda i, e: 0.0, lambda i, e: 0.0, seeds=(0,))
    out = judged(al, ips_grid(gap, gap, treated="coreset"))
    assert out.loc["coreset_ips_worse", "verdict"] == expected
    assert out.loc["coreset_ips_worse", "effect"] == pytest.approx(gap, abs=1e-9)


def test_badge_robust_across_tasks_needs_every_dataset():
    # Badge wins everywhere but on two datasets, where it loses everything: its mean win rate stays
    # high, its worst dataset does not.
    bonus = lambda i, e, s, t: {"badge": 0.05 if i >= 2 else -0.2}.get(s, 0.0)  # noqa: E731
    out = judged(curve_grid(bonus), ips_grid(0.0, 0.0))
    assert out.loc["badge_win_rate", "effect"] == pytest.approx(4 / 6)
    assert out.loc["badge_robust_across_tasks", "verdict"] != "reproduced"
    assert out.loc["badge_robust_across_tasks", "effect"] == pytest.approx(0.0)
    everywhere = judged(curve_grid(lambda i, e, s, t: 0.05 * (s == "badge")), ips_grid(0.0, 0.0))
    assert everywhere.loc["badge_robust_across_tasks", "verdict"] == "reproduced"


def _preconditioned(shift):
    """Entropy beats TypiClust (the query strategy) after a TypiClust initial pool iff shift > 0."""
    runs = []
    for (i, d), e, ips, s, seed in itertools.product(enumerate(DATASETS), EMBEDDERS, ("random", "typiclust"),
                                                      ("entropy", "typiclust", "random"), (0, 1, 2)):
        lead = {"entropy": shift * (1 if ips == "typiclust" else -1)}.get(s, 0.0) + 0.001 * ((seed + i) % 3 - 1)
        runs.append(run_rows([0.5, 0.6 + lead, 0.7 + lead], dataset=d, embedder=e, ips=ips, strategy=s, seed=seed))
    return table(runs)


@pytest.mark.parametrize("shift, expected", [(0.01, "reproduced"), (-0.01, "not reproduced")])
def test_a_typiclust_initial_pool_favours_entropy_over_typiclust(shift, expected):
    out = judged(_preconditioned(shift), ips_grid(0.0, 0.0))
    assert out.loc["ips_preconditions_uncertainty", "verdict"] == expected


@pytest.mark.parametrize("margin_varies, expected", [(False, "reproduced"), (True, "not reproduced")])
def test_margin_robust_to_embedding_quality_within_datasets(margin_varies, expected):
    def bonus(i, e, s, t):
        if s == "margin":
            return 0.1 * QUALITY[e] if margin_varies else 0.03
        return 0.0 if margin_varies or s == "random" else 0.1 * QUALITY[e]
    out = judged(curve_grid(bonus), ips_grid(0.0, 0.0))
    assert out.loc["margin_robust_to_quality", "verdict"] == expected


@pytest.mark.parametrize("better_earlier, expected", [(True, "reproduced"), (False, "not reproduced")])
def test_better_embeddings_hand_over_to_exploitation_earlier(better_earlier, expected):
    # TypiClust leads until a handover cycle, Margin after it; the cycle falls (or rises) with quality.
    handover = {"weak": 6, "mid": 4, "strong": 2} if better_earlier else {"weak": 2, "mid": 4, "strong": 6}

    def bonus(i, e, s, t):
        late = t >= handover[e]
        return {"typiclust": 0.05 * ~late, "margin": 0.05 * late}.get(s, np.zeros(len(t)))
    curves = curve_grid(bonus)
    from almodules.study import strategy_measures
    cycles = strategy_measures.transition_cycles(curves).set_index(["dataset", "embedder"])["value"]
    assert cycles.loc[("d0", "weak")] == handover["weak"]
    out = judged(curves, ips_grid(0.0, 0.0))
    assert out.loc["quality_speeds_transition", "verdict"] == expected


def test_label_cost_is_reported_against_each_baseline_separately():
    from almodules.study import claim_measures
    runs = []
    for (i, d), e, s, seed in itertools.product(enumerate(DATASETS), EMBEDDERS, ("tyrogue", "entropy", "random"),
                                                (0, 1)):
        # reaches 0.9 x probe at cycle 2 (tyrogue), 4 (entropy) or never (random); batches of 10
        reach = {"tyrogue": 2, "entropy": 4, "random": 99}[s]
        curve = [0.5 if t < reach else 0.99 for t in range(6)]
        runs.append(run_rows(curve, dataset=d, embedder=e, strategy=s, seed=seed))
    frame = table(runs)
    quality = quality_table().assign(probe_accuracy=1.0)
    ev = claim_measures.Evidence(frame, frame.iloc[:0], frame.iloc[:0], quality)
    out = claim_measures.label_cost_table(ev, ("entropy", "random", "contrastive"), n_boot=100).set_index("baseline")
    assert list(out.index) == ["entropy", "random"]  # no CAL runs, no protocol runs: left out, not a guess
    assert out.loc["entropy", "ratio"] == pytest.approx(30 / 50)  # 10 + 2 x 10 labels over 10 + 4 x 10
    assert out.loc["random", "ratio"] == pytest.approx(30 / 61)  # never reached: budget + 1 (censored)


def _protocol_runs(tyrogue_reach, entropy_reach=10):
    """TYROGUE (from its cold start) and Entropy at TYROGUE's protocol: macro-F1 jumps past both targets
    at the given cycle (batches of 50 from 50 labels)."""
    runs = []
    for (i, d), e, seed in itertools.product(enumerate(DATASETS), EMBEDDERS, (0, 1, 2)):
        for s, ips, reach in (("tyrogue", "tyrogue", tyrogue_reach + (seed + i) % 2), ("entropy", "random", entropy_reach)):
            curve = [0.5 if t < reach else 0.99 for t in range(20)]
            runs.append(run_rows(curve, dataset=d, embedder=e, ips=ips, strategy=s, seed=seed, k0=50, batch_size=50))
    frame = table(runs)
    return frame.assign(macro_f1=frame["accuracy"])


@pytest.mark.parametrize("tyrogue_reach, expected", [(5, "reproduced"), (15, "not reproduced")])
def test_tyrogue_label_cost_at_its_own_protocol(tyrogue_reach, expected):
    al = al_grid(lambda i, e: 0.0, lambda i, e: 0.0, seeds=(0,))
    quality = quality_table().assign(probe_accuracy=1.0, probe_macro_f1=1.0)
    out = verdicts.claim_table(al, ips_grid(0.0, 0.0, seeds=(0,)), al.iloc[:0], quality,
                               tyrogue_runs=_protocol_runs(tyrogue_reach), n_boot=200).set_index("claim")
    assert out.loc["tyrogue_label_cost", "verdict"] == expected
    assert out.loc["tyrogue_label_cost", "n_units"] == 6
    without = judged(al, ips_grid(0.0, 0.0, seeds=(0,)))
    assert without.loc["tyrogue_label_cost", "n_units"] == 0 and without.loc["tyrogue_label_cost", "verdict"] == "inconclusive"
    with pytest.raises(ConfigError, match="probe_macro_f1"):
        verdicts.claim_table(al, al.iloc[:0], al.iloc[:0], quality_table(), tyrogue_runs=_protocol_runs(5))


def test_a_dataset_drawn_twice_counts_as_two_datasets():
    frame = pd.DataFrame({"dataset": np.repeat(DATASETS, 3), "embedder": EMBEDDERS * 6, "seed": 0,
                          "value": np.arange(18.0)})
    seen = []
    count = lambda f: seen.append(f["dataset"].nunique()) or 0.0  # noqa: E731
    verdicts.cluster_bootstrap_interval(frame, count, n_boot=50)
    verdicts.nested_bootstrap_interval(frame, count, n_boot=50)
    assert set(seen) == {len(DATASETS)}  # every resample has six datasets, duplicates included


PAPERS = {"rauch2025nofreelunch": "rauch2025-no-free-lunch-in-active-learning.txt",
          "maekawa2022tyrogue": "maekawa2022-tyrogue-low-resource-interactive-al.txt"}


def _plain(text: str) -> str:
    text = re.sub(r"-\n(?=[a-zA-Z])", "", text)  # a word hyphenated at a line break
    return re.sub(r"\s+", " ", text.replace("*", "")).lower()


@pytest.mark.parametrize("claim", verdicts.CLAIMS, ids=lambda c: c.key)
def test_every_claim_quotes_its_paper(claim):
    from almodules.core.paths import repo_root
    papers = (repo_root().parent / "shared" / "papers").resolve()
    if not papers.is_dir():
        pytest.skip("the papers' texts are in ../shared/papers")
    text = _plain((papers / PAPERS[claim.paper]).read_text(encoding="utf-8"))
    for part in re.split(r"\s*\[[^\]]*\]\s*", claim.statement):  # [an editor's insertion] is not quoted
        assert _plain(part).strip(" .") in text, (claim.key, part)


def test_the_small_k0_gain_is_one_row_per_cell_whatever_the_seeds():
    from almodules.study import claim_measures
    ips = ips_grid(0.04, 0.0, seeds=(0, 1, 2))
    ev = claim_measures.Evidence(ips.iloc[:0], ips, ips.iloc[:0], quality_table())
    per_seed, per_cell = claim_measures.ips_small_k0(ev), claim_measures.small_k0_gain(ev)
    assert len(per_seed) == 3 * len(per_cell) and not per_cell.duplicated(["dataset", "embedder"]).any()
    assert per_cell["value"].to_numpy() == pytest.approx(0.04)


def test_the_ladder_is_its_derived_cells_and_the_cells_they_derive_from():
    frame = pd.DataFrame({"dataset": ["a", "a", "a", "a", "b", "b"],
                          "embedder": ["m", "m+pca8", "m+noise0.5", "g", "m", "g"]})
    ladder = verdicts.ladder_cells(frame)
    assert list(zip(ladder["dataset"], ladder["embedder"])) == [("a", "m"), ("a", "m+pca8"), ("a", "m+noise0.5")]
    assert verdicts.ladder_cells(verdicts.natural_cells(frame)).empty
    assert list(verdicts.natural_cells(frame)["embedder"]) == ["m", "g", "m", "g"]
