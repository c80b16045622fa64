"""What the study's warm-started probe buys: run and fit time, and the accuracy difference per cycle,
against the paper's refit from zero, side by side in one process with one BLAS thread.

Two synthetic problems at the paper's protocol (T = 20, logistic regression on the whole labeled
pool every cycle, lbfgs, tol 1e-4, max_iter 1000): the shape of Banking77 under all-mpnet-base-v2
(10k pool, 3k test, 77 classes, 768-d, B = 5000) and a two-class one (10k pool, 872 test, 768-d,
B = 500, as SST-2). Anisotropic Gaussian classes around unit-norm centres. ``random`` isolates the
solver (both runs label the same points), ``margin`` shows a probe-driven trajectory. Writes
``benchmarks/results/warm_start.json`` and ``.md``.

    python benchmarks/warm_start.py            # a few minutes on 2 cores
    python benchmarks/warm_start.py --quick    # smaller problems, for a smoke test
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import time
from pathlib import Path

import numpy as np

from almodules.core.provenance import blas_architecture
from almodules.engine.config import RunConfig
from sklearn.metrics import accuracy_score, f1_score

from almodules.engine import experiment
from almodules.engine.experiment import RunInputs, execute_run


def synthetic_inputs(n_train: int, n_test: int, n_classes: int, dim: int, noise: float = 0.2,
                     seed: int = 0) -> RunInputs:
    """Class-conditional Gaussians around unit-norm centres with a shared random covariance."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_classes, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    mixing = rng.normal(size=(dim, dim)) / np.sqrt(dim)
    y = rng.integers(0, n_classes, size=n_train + n_test)
    X = centres[y] + noise * rng.normal(size=(len(y), dim)) @ mixing
    X = X.astype(np.float32)
    return RunInputs(X[:n_train], X[n_train:], y[:n_train].astype(np.int64), y[n_train:].astype(np.int64),
                     n_classes, "synthetic", "synthetic")


PROBLEMS = {  # name: (n_train, n_test, n_classes, dim, budget, noise)
    "banking77-shaped": (10_000, 3_000, 77, 768, 5_000, 0.2),
    "two-class": (10_000, 872, 2, 768, 500, 1.2),
}
QUICK = {"banking77-shaped": (2_000, 500, 20, 128, 420, 0.2), "two-class": (2_000, 500, 2, 128, 100, 1.2)}


@contextlib.contextmanager
def scored_as_before(active: bool):
    """Runs scored by scikit-learn's metric functions, as before numpy's (the same numbers, checked)."""
    if not active:
        yield
        return
    saved = experiment.accuracy, experiment.macro_f1
    experiment.accuracy = lambda y, p: float(accuracy_score(y, p))
    experiment.macro_f1 = lambda y, p, n: float(f1_score(y, p, labels=np.arange(n), average="macro", zero_division=0))
    try:
        yield
    finally:
        experiment.accuracy, experiment.macro_f1 = saved


def compare(inputs, n_classes: int, budget: int, strategy: str, rounds: int) -> dict:
    """Cold and warm runs interleaved ``rounds`` times; each side's least CPU time counts.

    CPU time of this one-threaded process, not wall time: other jobs on the shared cores stretch
    the wall clock of whichever side they overlap, not the work done.
    """
    runs: dict[str, tuple] = {}
    for _ in range(rounds):
        for side in ("before", "cold", "warm"):
            config = RunConfig.create(dataset="banking77", embedder="all-minilm-l6-v2", strategy=strategy,
                                      k0=n_classes, budget=budget, probe={"warm_start": side == "warm"})
            with scored_as_before(side == "before"):
                start, wall = time.process_time(), time.perf_counter()
                result = execute_run(config, inputs, blas_threads=1)
                seconds, wall = time.process_time() - start, time.perf_counter() - wall
            if side not in runs or seconds < runs[side][1]:
                runs[side] = (result, seconds, wall)
    (before, before_s, _), (cold, cold_s, cold_wall), (warm, warm_s, _) = runs["before"], runs["cold"], runs["warm"]
    assert [r["macro_f1"] for r in before.cycles] == [r["macro_f1"] for r in cold.cycles]
    acc_cold = np.array([r["accuracy"] for r in cold.cycles])
    acc_warm = np.array([r["accuracy"] for r in warm.cycles])
    fit_cold, fit_warm = sum(r["fit_s"] for r in cold.cycles), sum(r["fit_s"] for r in warm.cycles)
    return {"fit_s_cold": fit_cold, "fit_s_warm": fit_warm, "fit_speedup": fit_cold / fit_warm,
            "run_s_cold": cold_s, "run_s_warm": warm_s, "run_speedup": cold_s / warm_s,
            "run_s_before": before_s, "run_speedup_vs_before": before_s / warm_s,
            "fit_share_cold": fit_cold / cold_wall,  # both wall clock: the cycles time their fits so
            "max_abs_accuracy_diff": float(np.abs(acc_cold - acc_warm).max()),
            "mean_abs_accuracy_diff": float(np.abs(acc_cold - acc_warm).mean()),
            "same_selections": all(a["selected"] == b["selected"] for a, b in zip(cold.cycles, warm.cycles)),
            "accuracy_cold": acc_cold.tolist(), "accuracy_warm": acc_warm.tolist()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved cold/warm rounds (the fastest counts)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "warm_start.json")
    args = parser.parse_args()
    report = {"machine": {"python": platform.python_version(), "processor": platform.machine(),
                          "blas": blas_architecture()}, "problems": {}}
    lines = ["# The warm-started probe against the paper's refit from zero", "",
             f"Same process, one BLAS thread, cold and warm interleaved {args.rounds} times, the least CPU time of each "
             "(ratios; CPU time, because other jobs share the cores). "
             f"BLAS: {blas_architecture()}.", "",
             "\"Before\" is the run as it was when the recompute was planned: cold fits, scored with scikit-learn's "
             "metric functions (the same numbers as the numpy scoring now, asserted).", "",
             "| problem | strategy | fit share (cold) | fit speedup | run speedup | run speedup vs before "
             "| max abs accuracy diff per cycle | same picks |", "|---|---|---:|---:|---:|---:|---:|---|"]
    for name, (n_train, n_test, n_classes, dim, budget, noise) in (QUICK if args.quick else PROBLEMS).items():
        inputs = synthetic_inputs(n_train, n_test, n_classes, dim, noise=noise)
        report["problems"][name] = {"n_pool": n_train, "n_test": n_test, "n_classes": n_classes, "dim": dim,
                                    "budget": budget, "noise": noise, "strategies": {}}
        for strategy in ("random", "margin"):
            r = report["problems"][name]["strategies"][strategy] = compare(inputs, n_classes, budget, strategy, args.rounds)
            lines.append(f"| {name} | {strategy} | {r['fit_share_cold']:.0%} | {r['fit_speedup']:.2f}x | "
                         f"{r['run_speedup']:.2f}x | {r['run_speedup_vs_before']:.2f}x | {r['max_abs_accuracy_diff']:.4f} | {r['same_selections']} |")
            print(lines[-1], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
