"""Acquisition latency and peak memory of every strategy, ours against scikit-activeml 1.0.1.

The pool is synthetic: Gaussian classes (10 by default) in D dimensions, float32, with 1,000
labeled points and a logistic-regression probe fitted on them (setup, not timed). Each run times
``1 + repeats`` queries of ``b = 100`` points; the picks are labeled after each query (the probe
is not refitted: its cost is not the strategy's), so per-run caches are built by the first query
and used by the later ones. Reported per strategy and implementation: the first query, the
median of the later ones, and the peak resident memory during the queries (``VmHWM`` after a
reset, minus the resident memory before them).

Every (pool size, strategy group) runs in its own worker process; ours and scikit-activeml's
implementation (``almodules.engine.strategies.skactiveml_bridge.reference_select``) run one after the
other in that process, on the same pool. scikit-activeml is skipped where its own memory model
says it cannot fit (Badge's N x C*D float64 gradient embeddings, ProbCover's N x N distance
matrix), a query of it that runs over ``--reference-cap`` seconds is killed and reported, and its
later queries stop once they have used ``--reference-total`` seconds.

Then one whole 20-cycle run per strategy on a Banking77-sized synthetic task (10,000 pool x 768,
3,080 test, 77 classes, B = 5,000, k0 = 77, b = 246) through ``almodules.engine.experiment``, reporting
where the time goes (probe fit, pool inference, selection).

Writes ``benchmarks/results/strategies.json`` and ``strategies.md`` (``strategies-quick.*`` with
``--quick``) after every strategy, so a run stopped at any point keeps what it measured. An existing
report is updated, not replaced: the records measured again replace theirs and the others stay
(``--fresh`` starts anew), so sizes and strategies can be measured in separate invocations. The machine's load average is recorded before and after each worker: other jobs on
the same cores slow everything down, scikit-learn's OpenMP k-means most of all.

    python benchmarks/strategies.py --quick                       # < 2 minutes, a smoke test
    python benchmarks/strategies.py                               # full: about an hour or more
    python benchmarks/strategies.py --sizes 100000x768 --strategies typiclust,badge --no-engine
    python benchmarks/strategies.py --sizes ""                    # the whole-run timings only
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import queue
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
FULL_SIZES = "20000x768,100000x768,560000x4096:ours"
QUICK_SIZES = "3000x64"
TEN_X_TARGETS = ("badge", "typiclust", "probcover", "dropquery")
GB = 1024**3


# ------------------------------------------------------------------------------------ the pool

def make_pool(n: int, d: int, n_classes: int, seed: int = 0, separation: float = 5.0):
    """Gaussian classes with unit noise per dimension and centres about ``separation`` apart.

    The default separation leaves a probe fitted on 1,000 points about 84 % accurate (10 classes,
    768-d), so uncertainty-driven filters such as DropQuery's have real work to do.

    Generated blockwise straight into one float32 array, so the peak is the array itself.
    """
    rng = np.random.default_rng(seed)
    centres = (rng.standard_normal((n_classes, d)) * separation / np.sqrt(2.0 * d)).astype(np.float32)
    y = rng.integers(n_classes, size=n)
    X = np.empty((n, d), dtype=np.float32)
    step = max(1, (64 << 20) // (4 * d))
    for start in range(0, n, step):
        stop = min(n, start + step)
        X[start:stop] = rng.standard_normal((stop - start, d), dtype=np.float32)
        X[start:stop] += centres[y[start:stop]]
    return X, y.astype(np.int64)


# ----------------------------------------------------------------------------------- the worker

def _status_gb(field: str) -> float:
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+)", text).group(1)) * 1024 / GB


def _reset_peak() -> None:
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def _emit(**event) -> None:
    print(json.dumps(event), flush=True)


def _reference_memory(name: str, n: int, n_unlabeled: int, d: int, n_classes: int) -> int:
    """Bytes scikit-activeml's implementation allocates at least (its dominant arrays)."""
    if name == "badge":  # g_x (N_u x C*D float64) and one temporary of the same size per step
        return 2 * n_unlabeled * n_classes * d * 8
    if name == "probcover":  # float64 distances, boolean edges, boolean impurity mask
        return n * n * 10
    return 0


def worker(spec: dict) -> None:
    """Run the queries of ``spec["strategies"]`` on one pool, printing one JSON event per line."""
    from almodules.engine.probe import LinearProbe
    from almodules.engine.strategies import PoolState, select_batch
    from almodules.engine.strategies.skactiveml_bridge import REFERENCE_STRATEGIES, reference_select

    if spec["reference"]:
        import skactiveml.pool  # noqa: F401  (imported before the clock: it pulls in torch)
    n, d, n_classes, b = spec["n"], spec["d"], spec["n_classes"], spec["b"]
    start = time.perf_counter()
    X, y = make_pool(n, d, n_classes, spec["seed"])
    rng = np.random.default_rng(spec["seed"] + 1)
    labeled0 = np.zeros(n, dtype=bool)
    labeled0[rng.choice(n, size=spec["n_labeled"], replace=False)] = True
    probe = LinearProbe(n_classes).fit(X[labeled0], y[labeled0])
    proba = probe.predict_proba(X)
    _emit(event="ready", setup_s=time.perf_counter() - start, rss_gb=_status_gb("VmRSS"),
          probe_accuracy=float((proba.argmax(1) == y).mean()))

    def run(strategy: str, impl: str) -> None:
        state = PoolState(X, labeled0.copy(), np.where(labeled0, y, -1), n_classes, probe, proba)
        if impl == "skactiveml":
            need = _reference_memory(strategy, n, n - spec["n_labeled"], d, n_classes)
            if need > spec["reference_mem_bytes"]:
                _emit(event="end", strategy=strategy, impl=impl, status="skipped",
                      reason=f"needs about {need / GB:.0f} GB (its dense arrays), over the "
                             f"{spec['reference_mem_bytes'] / GB:.0f} GB allowed")
                return
        _emit(event="start", strategy=strategy, impl=impl)
        _reset_peak()
        baseline = _status_gb("VmRSS")
        spent = 0.0
        for i in range(1 + spec["repeats"]):
            query_rng = np.random.default_rng(10_000 + i)
            t0 = time.perf_counter()
            if impl == "ours":
                role = "ips" if strategy == "kmeans" else "strategy"
                picked = select_batch(strategy, state, b, query_rng, role=role)
            else:
                picked = reference_select(strategy, state, b, query_rng)
            seconds = time.perf_counter() - t0
            _emit(event="query", strategy=strategy, impl=impl, i=i, seconds=seconds)
            state.labeled[picked] = True
            state.y[picked] = y[picked]
            spent += seconds
            if impl == "skactiveml" and i >= 1 and spent > spec["reference_total_s"]:
                break
        _emit(event="end", strategy=strategy, impl=impl, status="ok",
              peak_gb=_status_gb("VmHWM"), baseline_gb=baseline)

    for strategy in spec["strategies"]:
        for impl in ("ours", "skactiveml"):
            if impl == "skactiveml" and not (spec["reference"] and strategy in REFERENCE_STRATEGIES):
                continue
            if [strategy, impl] in spec["skip"]:
                continue
            try:
                run(strategy, impl)
            except Exception as exc:  # reported as the result, so one failure does not end the benchmark
                _emit(event="end", strategy=strategy, impl=impl, status="error",
                      reason=f"{type(exc).__name__}: {exc}"[:300])


def engine_worker(spec: dict) -> None:
    """One whole AL run through ``almodules.engine.experiment``; prints where the time went."""
    from almodules.engine.config import RunConfig
    from almodules.engine.experiment import RunInputs, execute_run

    n_train, n_test = spec["n_train"], spec["n_test"]
    X, y = make_pool(n_train + n_test, spec["d"], spec["n_classes"], spec["seed"])
    inputs = RunInputs(X[:n_train], X[n_train:], y[:n_train], y[n_train:], spec["n_classes"], "synthetic", "synthetic")
    config = RunConfig.create(dataset="banking77", embedder="bert-base-uncased", ips="random",
                              strategy=spec["strategy"], seed=0, k0=spec["k0"], budget=spec["budget"],
                              cycles=spec["cycles"])
    result = execute_run(config, inputs, blas_threads=None)  # a whole run on every core
    rows = result.cycles
    _emit(event="engine", strategy=spec["strategy"], wall_s=result.wall_s,
          fit_s=sum(r["fit_s"] for r in rows), infer_s=sum(r["infer_s"] for r in rows),
          select_s=sum(r["select_s"] for r in rows[1:]), ips_s=rows[0]["select_s"],
          batch_size=config.batch_size, final_accuracy=rows[-1]["accuracy"],
          max_select_s=max(r["select_s"] for r in rows[1:]) if len(rows) > 1 else 0.0)


# ----------------------------------------------------------------------------------- the parent

def _launch(mode: str, spec: dict) -> tuple[subprocess.Popen, queue.Queue]:
    proc = subprocess.Popen([sys.executable, __file__, mode, json.dumps(spec)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return proc, lines


def _stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    return proc.stderr.read()[-2000:]


def measure_size(n: int, d: int, strategies: list[str], reference: bool, args) -> list[dict]:
    """``strategies`` on one pool size, in one worker. A worker killed at a time cap (or dead) is
    relaunched for what it had not done yet."""
    records: dict[tuple[str, str], dict] = {}
    batch = strategies
    while True:
        done = [list(key) for key, rec in records.items() if "status" in rec]
        spec = {"n": n, "d": d, "n_classes": args.n_classes, "b": args.b, "n_labeled": args.n_labeled,
                "repeats": args.repeats, "seed": 0, "strategies": batch, "reference": reference,
                "skip": done, "reference_mem_bytes": int(args.reference_mem_gb * GB),
                "reference_total_s": args.reference_total}
        current, setup, killed = _read_worker(spec, n, d, records, args)
        if current is None:
            if not setup:
                for s in batch:
                    records[(s, "ours")] = {"n": n, "d": d, "strategy": s, "impl": "ours",
                                            "status": "error", "reason": "pool setup failed", "queries_s": []}
            break
        rec = records[current]
        cap = args.reference_cap if current[1] == "skactiveml" else args.ours_cap
        rec["status"] = "skipped" if killed else "error"
        rec["reason"] = (f"query {len(rec['queries_s']) + 1} ran over {cap:.0f} s and was killed" if killed
                         else "the worker died (out of memory?)")
        rec["load_after"] = os.getloadavg()[0]
        print(f"  {current[0]} ({current[1]}): {rec['reason']}; relaunching for the rest", file=sys.stderr)
    for rec in records.values():
        q = rec["queries_s"]
        rec["first_s"] = q[0] if q else None
        rec["median_s"] = float(np.median(q[1:])) if len(q) > 1 else None
        if "peak_gb" in rec:
            rec["extra_peak_gb"] = rec["peak_gb"] - rec["baseline_gb"]
        rec.update(_provenance(), b=args.b, n_labeled=args.n_labeled, n_classes=args.n_classes,
                   repeats=args.repeats)
    return list(records.values())


def _read_worker(spec: dict, n: int, d: int, records: dict, args) -> tuple[tuple | None, dict, bool]:
    """Run one worker, filing its events into ``records``. Returns the (strategy, impl) it was in
    when it was killed or died (None when it finished), its setup event, and whether it was killed."""
    load_before = os.getloadavg()[0]
    proc, lines = _launch("--worker", spec)
    current, setup, deadline, killed = None, {}, args.setup_cap, False
    while True:
        try:
            line = lines.get(timeout=deadline)
        except queue.Empty:
            killed = True
            break
        if line is None:
            break
        event = json.loads(line)
        kind = event.pop("event")
        if kind == "ready":
            setup, deadline = event, args.ours_cap
            continue
        key = (event.pop("strategy"), event.pop("impl"))
        rec = records.setdefault(key, {"n": n, "d": d, "strategy": key[0], "impl": key[1], "queries_s": [],
                                       "setup": setup, "load_before": load_before})
        if kind == "start":
            current, deadline = key, args.reference_cap if key[1] == "skactiveml" else args.ours_cap
        elif kind == "query":
            rec["queries_s"].append(event["seconds"])
        elif kind == "end":
            rec.update(event, load_after=os.getloadavg()[0])
            current, deadline = None, args.ours_cap
    stderr = _stop(proc)
    if proc.returncode and current is None and setup:
        print(f"  worker exited with {proc.returncode}: {stderr[-500:]}", file=sys.stderr)
    if not setup:
        print(f"  pool setup failed: {stderr[-1000:]}", file=sys.stderr)
    return current, setup, killed


def run_engine(strategy: str, args) -> dict:
    """One whole run of ``strategy`` in its own worker."""
    spec = {"strategy": strategy, **args.engine_problem}
    proc, lines = _launch("--engine-worker", spec)
    record = {"strategy": strategy, "status": "error"}
    while (line := lines.get()) is not None:
        event = json.loads(line)
        event.pop("event")
        record = {**event, "status": "ok"}
    stderr = _stop(proc)
    if record["status"] != "ok":
        record["reason"] = stderr.strip()[-300:]
    print(f"  engine {strategy}: {record.get('wall_s', float('nan')):.1f} s", file=sys.stderr)
    return {**record, "problem": args.engine_problem, **_provenance()}


# ---------------------------------------------------------------------------------- reporting

def _fmt(x, digits=3) -> str:
    return "–" if x is None else f"{x:.{digits}g}" if x < 100 else f"{x:.0f}"


def _latency(rec: dict | None) -> str:
    if rec is None:
        return "–"
    if rec.get("status") != "ok" and not rec.get("queries_s"):
        return f"{rec.get('status', '?')}: {rec.get('reason', '')}"
    text = _fmt(rec["median_s"]) if rec["median_s"] is not None else f"(first only) {_fmt(rec['first_s'])}"
    return text if rec.get("status") == "ok" else f"{text}; {rec['status']}: {rec.get('reason', '')}"


def _speedup(ours: dict | None, ref: dict | None, first: bool = False) -> float | None:
    """scikit-activeml's time over ours: typical query (median, else the first), or first queries."""
    if not ours or not ref or not ours.get("queries_s") or not ref.get("queries_s"):
        return None
    if first:
        o, r = ours["first_s"], ref["first_s"]
    else:
        o = ours["median_s"] if ours["median_s"] is not None else ours["first_s"]
        r = ref["median_s"] if ref["median_s"] is not None else ref["first_s"]
    return r / o if o > 0 else None


def markdown(report: dict) -> str:
    meta = report["meta"]
    commits = sorted({r.get("git_commit") or "?" for r in report["acquisition"] + report["engine"]})
    lines = [
        "# Strategy benchmark: acquisition latency and peak memory",
        "",
        f"Updated {meta['created_at']} by `benchmarks/strategies.py{' --quick' if meta['quick'] else ''}` "
        f"(records measured at commit{'s' if len(commits) > 1 else ''} {', '.join(f'`{c}`' for c in commits)}; "
        "each record's time and commit are in the JSON) "
        f"on {meta['cpus']} CPU cores ({meta['machine']}), "
        f"numpy {meta['numpy']}, scikit-learn {meta['scikit-learn']}, scikit-activeml {meta['scikit-activeml']}.",
        f"Pool (this invocation's settings; each record's own are in the JSON): synthetic Gaussian classes, "
        f"C = {meta['n_classes']}, b = {meta['b']}, "
        f"{meta['n_labeled']} labeled; 1 first query + {meta['repeats']} timed queries per run "
        "(picks labeled in between, probe not refitted).",
        "Latency = median of the queries after the first (s); first = the first query, which builds per-run caches. "
        "Peak = peak resident memory during the queries minus the resident memory before them (GB). "
        "Speed-up = scikit-activeml median / ours median (scikit-activeml's first query where only one ran; "
        "it keeps no per-run cache except ProbCover's distance matrix, so its first query is typical); "
        "first-query speed-up = first / first. "
        "Load = 1-minute load average before / after the worker (2 means both cores busy).",
        "",
    ]
    for (n, d) in sorted({(r["n"], r["d"]) for r in report["acquisition"]}):
        recs = {(r["strategy"], r["impl"]): r for r in report["acquisition"] if (r["n"], r["d"]) == (n, d)}
        strategies = list(dict.fromkeys(r["strategy"] for r in report["acquisition"] if (r["n"], r["d"]) == (n, d)))
        lines += [f"## N = {n:,} x D = {d:,}", "",
                  "| strategy | ours first | ours median | ours peak | skactiveml first | skactiveml median "
                  "| skactiveml peak | speed-up | first-query speed-up | load |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for s in strategies:
            ours, ref = recs.get((s, "ours")), recs.get((s, "skactiveml"))
            speed, speed_first = _speedup(ours, ref), _speedup(ours, ref, first=True)
            peak = lambda r: _fmt(r.get("extra_peak_gb"), 2) if r else "–"  # noqa: E731
            load = f"{ours.get('load_before', 0):.1f} / {ours.get('load_after', 0):.1f}" if ours else "–"
            lines.append(
                f"| {s} | {_fmt(ours and ours['first_s'])} | {_latency(ours)} | {peak(ours)} "
                f"| {_fmt(ref and ref['first_s'])} | {_latency(ref)} | {peak(ref)} "
                f"| {'–' if speed is None else f'{speed:.1f}x'} "
                f"| {'–' if speed_first is None else f'{speed_first:.1f}x'} | {load} |")
        lines.append("")
    targets = report.get("targets")
    if targets:
        lines += ["## Targets", ""] + [f"- {t}" for t in targets] + [""]
    if report.get("engine"):
        p = report["engine"][0].get("problem", meta["engine_problem"])
        lines += [f"## One whole run per strategy (synthetic, {p['n_train']:,} pool x {p['d']}, "
                  f"{p['n_test']:,} test, {p['n_classes']} classes, k0 = {p['k0']}, B = {p['budget']}, "
                  f"T = {p['cycles']})", "",
                  "| strategy | wall (s) | probe fit (s) | pool inference (s) | IPS (s) | selection (s) "
                  "| slowest selection (s) | final accuracy |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in report["engine"]:
            if r["status"] != "ok":
                lines.append(f"| {r['strategy']} | error: {r.get('reason', '')} | | | | | | |")
                continue
            lines.append(f"| {r['strategy']} | {r['wall_s']:.1f} | {r['fit_s']:.1f} | {r['infer_s']:.2f} "
                         f"| {r['ips_s']:.2f} | {r['select_s']:.2f} | {r['max_select_s']:.2f} "
                         f"| {r['final_accuracy']:.3f} |")
        lines.append("")
    return "\n".join(lines)


def check_targets(report: dict) -> list[str]:
    """The issue's targets, each stated as met or not with the numbers."""
    out = []
    for r in report["acquisition"]:
        if r["impl"] == "ours" and (r["n"], r["d"]) == (100_000, 768):
            m = r["median_s"]
            ok = m is not None and m <= 1.0
            out.append(f"{'met' if ok else 'NOT met'}: {r['strategy']} median {_fmt(m)} s <= 1 s at 100k x 768")
    recs = {(r["n"], r["d"], r["strategy"], r["impl"]): r for r in report["acquisition"]}
    for (n, d, s, impl), ours in recs.items():
        if impl != "ours" or s not in TEN_X_TARGETS:
            continue
        ref = recs.get((n, d, s, "skactiveml"))
        speed, speed_first = _speedup(ours, ref), _speedup(ours, ref, first=True)
        if speed is not None:
            out.append(f"{'met' if speed >= 10 else 'NOT met'}: {s} {speed:.1f}x faster than scikit-activeml "
                       f"at {n:,} x {d} per query ({speed_first:.1f}x on the first query)")
        elif ref is not None:
            out.append(f"not measurable: {s} at {n:,} x {d}: scikit-activeml {ref.get('status')}: "
                       f"{ref.get('reason', '')}")
    for r in report["acquisition"]:
        if r["impl"] == "ours" and r["d"] == 4096 and r["n"] >= 500_000:
            peak = r.get("peak_gb")
            ok = r.get("status") == "ok" and peak is not None and peak <= 16
            out.append(f"{'met' if ok else 'NOT met'}: {r['strategy']} at {r['n']:,} x 4096 "
                       f"{r.get('status')}, peak RSS {_fmt(peak, 3)} GB <= 16 GB")
    return out


def _commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).parent, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def _provenance() -> dict:
    """When and at which commit one record was measured (a report merges records of several runs)."""
    return {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "git_commit": _commit()}


def _merge(old: list[dict], new: list[dict], key) -> list[dict]:
    """``old`` with every record that ``new`` measures again replaced, order kept, new ones appended."""
    fresh = {key(r): r for r in new}
    merged = [fresh.pop(key(r), r) for r in old]
    return merged + list(fresh.values())


def _acquisition_key(r: dict) -> tuple:
    return r["n"], r["d"], r["strategy"], r["impl"]


def _engine_key(r: dict) -> str:
    return r["strategy"]


def _meta(args) -> dict:
    return {"created_at": datetime.now(UTC).isoformat(timespec="seconds"), "git_commit": _commit(),
            "python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
            **{lib: metadata.version(lib) for lib in ("numpy", "scikit-learn", "scikit-activeml")},
            "n_classes": args.n_classes, "b": args.b, "n_labeled": args.n_labeled, "repeats": args.repeats,
            "reference_cap_s": args.reference_cap, "reference_total_s": args.reference_total,
            "reference_mem_gb": args.reference_mem_gb, "quick": args.quick,
            "engine_problem": args.engine_problem}


def parse_sizes(text: str) -> list[tuple[int, int, bool]]:
    sizes = []
    for item in filter(None, text.split(",")):
        m = re.fullmatch(r"\s*(\d+)x(\d+)(:ours)?\s*", item)
        if not m:
            raise SystemExit(f"--sizes: {item!r} is not NxD or NxD:ours (e.g. 20000x768,560000x4096:ours)")
        sizes.append((int(m.group(1)), int(m.group(2)), m.group(3) is None))
    return sizes


def main(argv: list[str] | None = None) -> None:
    from almodules.engine.strategies import QUERY_STRATEGIES, STRATEGIES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES}, 2 repeats, a tiny engine run")
    parser.add_argument("--sizes", help=f"comma-separated NxD, ':ours' = without scikit-activeml "
                                         f"(default {FULL_SIZES}; '' = none, the whole-run timings only)")
    parser.add_argument("--strategies", help="comma-separated registry names (default: all)")
    parser.add_argument("--repeats", type=int, help="timed queries after the first (default 5, quick 2)")
    parser.add_argument("--n-classes", type=int, default=10)
    parser.add_argument("--b", type=int, default=100)
    parser.add_argument("--n-labeled", type=int, default=1000)
    parser.add_argument("--reference-cap", type=float, default=60.0, help="kill a scikit-activeml query after s")
    parser.add_argument("--reference-total", type=float, default=180.0,
                        help="stop scikit-activeml's later queries once they used this many s")
    parser.add_argument("--reference-mem-gb", type=float,
                        help="skip scikit-activeml where its arrays need more (default: half the available RAM)")
    parser.add_argument("--ours-cap", type=float, default=1800.0, help="kill one of our queries after s")
    parser.add_argument("--setup-cap", type=float, default=1800.0)
    parser.add_argument("--no-engine", action="store_true", help="skip the whole-run timings")
    parser.add_argument("--engine-strategies", help="comma-separated (default: --strategies)")
    parser.add_argument("--out", type=Path, help="output stem (default benchmarks/results/strategies[-quick])")
    parser.add_argument("--fresh", action="store_true",
                        help="start a new report instead of updating the records of the existing one")
    args = parser.parse_args(argv)

    names = args.strategies.split(",") if args.strategies else [*QUERY_STRATEGIES, "kmeans"]
    for name in names:
        if name not in STRATEGIES:
            raise SystemExit(f"--strategies: unknown {name!r}; allowed values: {', '.join(sorted(STRATEGIES))}")
    sizes = parse_sizes(args.sizes if args.sizes is not None else QUICK_SIZES if args.quick else FULL_SIZES)
    if args.repeats is None:
        args.repeats = 2 if args.quick else 5
    if args.reference_mem_gb is None:
        available = int(re.search(r"MemAvailable:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) * 1024
        args.reference_mem_gb = available / 2 / GB
    if args.quick:
        args.n_labeled = min(args.n_labeled, 200)
        args.b = min(args.b, 50)
    args.engine_problem = ({"n_train": 1_500, "n_test": 500, "d": 32, "n_classes": 10, "k0": 10,
                            "budget": 160, "cycles": 3, "seed": 0} if args.quick else
                           {"n_train": 10_000, "n_test": 3_080, "d": 768, "n_classes": 77, "k0": 77,
                            "budget": 5_000, "cycles": 20, "seed": 0})
    stem = args.out or RESULTS / ("strategies-quick" if args.quick else "strategies")
    report = {"acquisition": [], "engine": []}
    if Path(f"{stem}.json").exists() and not args.fresh:
        previous = json.loads(Path(f"{stem}.json").read_text())
        report = {"acquisition": previous.get("acquisition", []), "engine": previous.get("engine", [])}
    report["meta"] = _meta(args)

    def save() -> None:
        """Written after every strategy, so a run stopped at any point keeps what it measured."""
        report["targets"] = check_targets(report)
        stem.parent.mkdir(parents=True, exist_ok=True)
        for suffix, text in (("json", json.dumps(report, indent=1) + "\n"), ("md", markdown(report))):
            tmp = Path(f"{stem}.{suffix}.tmp")
            tmp.write_text(text)
            tmp.replace(f"{stem}.{suffix}")

    for n, d, reference in sizes:
        print(f"N={n} D={d} {'with' if reference else 'without'} scikit-activeml", file=sys.stderr)
        for batch in ([names] if args.quick else [[s] for s in names]):
            measured = measure_size(n, d, batch, reference, args)
            report["acquisition"] = _merge(report["acquisition"], measured, _acquisition_key)
            save()
    if not args.no_engine:
        engine_names = args.engine_strategies.split(",") if args.engine_strategies else \
            [s for s in names if s != "kmeans"]
        if args.quick and not args.engine_strategies:
            engine_names = [s for s in ("random", "typiclust", "dropquery") if s in engine_names]
        for strategy in engine_names:
            report["engine"] = _merge(report["engine"], [run_engine(strategy, args)], _engine_key)
            save()
    save()
    print(markdown(report))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(json.loads(sys.argv[2]))
    elif len(sys.argv) == 3 and sys.argv[1] == "--engine-worker":
        engine_worker(json.loads(sys.argv[2]))
    else:
        main()
