"""What sharing pool-only work between runs buys: ProbCover initial pools over k0 and seeds, each run
alone (its own radius and ball graph) against one grid batch (built once for the pool), side by side
in one process with one BLAS thread, on a synthetic pool of the study's size (10k x 384, 20 classes).
Asserts the two give the same bits. Writes ``benchmarks/results/pool_sharing.json`` and ``.md``.

    python benchmarks/pool_sharing.py            # about a minute
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from warm_start import synthetic_inputs

from almodules.core.provenance import blas_architecture
from almodules.engine.config import RunConfig
from almodules.engine.experiment import execute_run
from almodules.results.grid import _run_batch

K0S = (20, 50, 100, 200, 300, 500, 1000, 2000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "pool_sharing.json")
    args = parser.parse_args()
    inputs = synthetic_inputs(10_000, 1_000, 20, 384, noise=0.6)
    configs = [RunConfig.create(dataset="banking77", embedder="all-minilm-l6-v2", ips="probcover", strategy="random",
                                k0=k0, budget=k0, cycles=0, seed=seed, probe={"warm_start": True})
               for seed in range(args.seeds) for k0 in K0S]
    start = time.process_time()
    alone = [execute_run(c, inputs, blas_threads=1) for c in configs]
    alone_s = time.process_time() - start
    start = time.process_time()
    shared = _run_batch(configs, inputs)
    shared_s = time.process_time() - start
    same = all(a.cycles[0]["selected"] == b.cycles[0]["selected"] and a.cycles[0]["accuracy"] == b.cycles[0]["accuracy"]
               for a, b in zip(alone, shared))
    assert same, "sharing the pool's graph changed a run"
    report = {"machine": {"python": platform.python_version(), "processor": platform.machine(),
                          "blas": blas_architecture()},
              "runs": len(configs), "k0s": K0S, "seeds": args.seeds, "pool": [10_000, 384],
              "alone_cpu_s": alone_s, "shared_cpu_s": shared_s, "speedup": alone_s / shared_s, "same_bits": same}
    lines = ["# ProbCover initial pools: each run alone against one batch sharing the pool's graph", "",
             f"{len(configs)} IPS-only runs (k0 {', '.join(map(str, K0S))}; {args.seeds} seeds) on a 10,000 x 384 "
             f"synthetic pool, one BLAS thread, CPU time side by side in one process. BLAS: {blas_architecture()}.", "",
             "| runs | alone (CPU s) | one batch (CPU s) | speedup | same bits |", "|---:|---:|---:|---:|---|",
             f"| {len(configs)} | {alone_s:.1f} | {shared_s:.1f} | {alone_s / shared_s:.1f}x | {same} |"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-3:]))


if __name__ == "__main__":
    main()
