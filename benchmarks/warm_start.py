"""What the probe's opt-in warm start buys: fit time and per-cycle accuracy against a cold start.

A synthetic stand-in with the shape of Banking77 under all-MiniLM-L6-v2 (10k pool, 3k test,
77 classes, 384-d, near unit-norm rows like a sentence embedder's; anisotropic Gaussian classes
whose probe accuracy climbs from about 0.2 to about 0.9 over the budget) runs the paper's
protocol (T = 20, B = 2000) twice per strategy, cold and warm, in the same process with one BLAS
thread. ``random`` isolates the solver (both runs label the same points); ``margin`` shows the
effect on a probe-driven trajectory. Writes ``benchmarks/results/warm_start.json``.

    python benchmarks/warm_start.py            # about 2-4 minutes on 2 cores
    python benchmarks/warm_start.py --quick    # a smaller problem, for a smoke test
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from almodules.engine.config import RunConfig
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "warm_start.json")
    args = parser.parse_args()
    n_train, n_test, n_classes, dim, budget = (2000, 500, 20, 128, 420) if args.quick else (10_000, 3_000, 77, 384, 2_000)
    inputs = synthetic_inputs(n_train, n_test, n_classes, dim)
    report = {"problem": {"n_pool": n_train, "n_test": n_test, "n_classes": n_classes, "dim": dim,
                          "noise": 0.2, "k0": n_classes, "budget": budget, "cycles": 20, "blas_threads": 1,
                          "shape_of": "banking77 x all-minilm-l6-v2 (synthetic)"},
              "machine": {"python": platform.python_version(), "processor": platform.machine()},
              "strategies": {}}
    for strategy in ("random", "margin"):
        runs = {}
        for warm in (False, True):
            config = RunConfig.create(dataset="banking77", embedder="all-minilm-l6-v2", strategy=strategy,
                                      k0=n_classes, budget=budget, probe={"warm_start": warm})
            start = time.perf_counter()
            result = execute_run(config, inputs, blas_threads=1)
            runs[warm] = (result, time.perf_counter() - start)
        (cold, cold_s), (warm, warm_s) = runs[False], runs[True]
        acc_cold = np.array([r["accuracy"] for r in cold.cycles])
        acc_warm = np.array([r["accuracy"] for r in warm.cycles])
        fit_cold = sum(r["fit_s"] for r in cold.cycles)
        fit_warm = sum(r["fit_s"] for r in warm.cycles)
        same = all(a["selected"] == b["selected"] for a, b in zip(cold.cycles, warm.cycles))
        report["strategies"][strategy] = {
            "fit_s_cold": fit_cold, "fit_s_warm": fit_warm, "fit_speedup": fit_cold / fit_warm,
            "run_s_cold": cold_s, "run_s_warm": warm_s, "run_speedup": cold_s / warm_s,
            "max_abs_accuracy_diff": float(np.abs(acc_cold - acc_warm).max()),
            "mean_abs_accuracy_diff": float(np.abs(acc_cold - acc_warm).mean()),
            "same_selections": same,
            "accuracy_cold": acc_cold.tolist(), "accuracy_warm": acc_warm.tolist(),
            "fit_s_per_cycle_cold": [r["fit_s"] for r in cold.cycles],
            "fit_s_per_cycle_warm": [r["fit_s"] for r in warm.cycles],
        }
        s = report["strategies"][strategy]
        print(f"{strategy:8s} fit {fit_cold:7.2f}s cold / {fit_warm:7.2f}s warm = x{s['fit_speedup']:.2f}; "
              f"run x{s['run_speedup']:.2f}; max |d acc| {s['max_abs_accuracy_diff']:.4f}; "
              f"same picks: {same}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
