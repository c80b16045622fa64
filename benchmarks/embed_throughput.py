"""Embedding throughput: almodules against sentence-transformers on the same model and texts.

Both encode the same Banking77 train texts with all-MiniLM-L6-v2 (the wheel-shipped model
folder), in this one process, with the same batch size and the same torch thread count. Model
loading is outside the timed region for both; each side is timed ``--rounds`` times,
interleaved, and the fastest round counts (the machine is shared, so the minimum is the least
disturbed measurement). Wall-clock and process CPU time are both recorded. The embeddings
are also compared row by row (cosine).

Then (``--ladder N``, default 300) every offline backend is timed on the first N texts.

Writes ``benchmarks/results/embed_throughput.json`` and ``.md``. Run::

    ALM_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/embed_throughput.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from almodules.datasets.loading import load_dataset
from almodules.embeddings.encoders import load_encoder
from almodules.embeddings.model_files import is_available, model_dir
from almodules.embeddings.pooling import l2_normalize
from almodules.embeddings.registry import EMBEDDERS

RESULTS = Path(__file__).resolve().parent / "results"
MODEL = "all-minilm-l6-v2"


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def timed_wall_and_cpu(fn) -> tuple[float, float, object]:
    """Wall-clock and process CPU seconds (all threads) of ``fn()``."""
    cpu = time.process_time()
    wall, out = timed(fn)
    return wall, time.process_time() - cpu, out


def compare_with_sentence_transformers(texts: list[str], batch_size: int, rounds: int) -> dict:
    import torch
    from sentence_transformers import SentenceTransformer

    spec = EMBEDDERS[MODEL]
    ours_encoder = load_encoder(spec, "cpu")
    reference = SentenceTransformer(str(model_dir(spec)), device="cpu")
    reference.max_seq_length = spec.max_length

    def ours():
        return l2_normalize(ours_encoder.encode(texts, batch_size=batch_size))

    def theirs():
        return reference.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
                                show_progress_bar=False)

    ours_encoder.encode(texts[:batch_size], batch_size=batch_size)  # warm-up: allocator, kernels
    theirs_warm = reference.encode(texts[:batch_size], batch_size=batch_size, show_progress_bar=False)
    del theirs_warm
    times = {"almodules": [], "sentence_transformers": []}
    cpu_times = {"almodules": [], "sentence_transformers": []}
    for _ in range(rounds):
        for name, fn in (("almodules", ours), ("sentence_transformers", theirs)):
            wall, cpu, out = timed_wall_and_cpu(fn)
            times[name].append(round(wall, 3))
            cpu_times[name].append(round(cpu, 3))
            if name == "almodules":
                X = out
            else:
                Y = out
    cos = np.sum(X * Y, axis=1) / (np.linalg.norm(X, axis=1) * np.linalg.norm(Y, axis=1))
    best = {k: min(v) for k, v in times.items()}
    best_cpu = {k: min(v) for k, v in cpu_times.items()}
    return {
        "model": MODEL, "model_dir": str(model_dir(spec)), "n_texts": len(texts), "batch_size": batch_size,
        "max_length": spec.max_length, "torch_threads": torch.get_num_threads(), "rounds": rounds,
        "seconds": times, "best_seconds": best, "cpu_seconds": cpu_times, "best_cpu_seconds": best_cpu,
        "texts_per_s": {k: len(texts) / v for k, v in best.items()},
        "texts_per_cpu_s": {k: len(texts) / v for k, v in best_cpu.items()},
        "ratio_almodules_over_sentence_transformers": best["sentence_transformers"] / best["almodules"],
        "cpu_ratio_almodules_over_sentence_transformers": best_cpu["sentence_transformers"] / best_cpu["almodules"],
        "max_cosine_distance": float(1.0 - cos.min()),
        "max_abs_difference": float(np.abs(X - Y).max()),
    }


def ladder(texts: list[str], n: int) -> list[dict]:
    rows = []
    for name, spec in EMBEDDERS.items():
        if not spec.offline or not is_available(spec):
            continue
        subset = texts[:n]
        load_s, encoder = timed(lambda: load_encoder(spec, "cpu"))
        if encoder.needs_fit:
            encode_s, _ = timed(lambda: (encoder.fit(subset), encoder.encode(subset)))
        else:
            encoder.encode(subset[:8])
            encode_s, _ = timed(lambda: encoder.encode(subset))
        rows.append({"embedder": name, "dim": spec.dim, "n_texts": len(subset), "load_s": round(load_s, 2),
                     "encode_s": round(encode_s, 3), "texts_per_s": round(len(subset) / encode_s, 1),
                     "note": "fit + transform" if encoder.needs_fit else ""})
        print(f"  {name:28s} {rows[-1]['texts_per_s']:>10.1f} texts/s")
    return rows


def write_markdown(result: dict, path: Path) -> None:
    c = result["comparison"]
    lines = [
        "# Embedding throughput",
        "",
        f"all-MiniLM-L6-v2, the first {c['n_texts']:,} Banking77 train texts, batch size {c['batch_size']}, "
        f"max length {c['max_length']}, {c['torch_threads']} torch threads, CPU, one process; fastest of "
        f"{c['rounds']} interleaved rounds, model loading excluded.",
        "",
        "| encoder | best wall s | texts / s | best CPU s | texts / CPU s |",
        "|---|---:|---:|---:|---:|",
        *(f"| {k} | {c['best_seconds'][k]:.2f} | {c['texts_per_s'][k]:.1f} | {c['best_cpu_seconds'][k]:.2f} | "
          f"{c['texts_per_cpu_s'][k]:.1f} |" for k in c["best_seconds"]),
        "",
        f"**Ratio almodules / sentence-transformers (texts per second): "
        f"{c['ratio_almodules_over_sentence_transformers']:.3f}** (target >= 1.0); by CPU time: "
        f"{c['cpu_ratio_almodules_over_sentence_transformers']:.3f}. CPU time (all threads of this process) "
        "is the steadier measure when other jobs share the cores.",
        "",
        "Every round (wall s): " + "; ".join(f"{k} {c['seconds'][k]}" for k in c["seconds"]) + ".",
        "",
        f"Agreement: largest cosine distance {c['max_cosine_distance']:.2e}, largest absolute difference "
        f"{c['max_abs_difference']:.2e}.",
        "",
        f"Machine: {result['machine']['cpu_count']} CPUs; load average (1, 5, 15 min) before "
        f"{result['machine']['loadavg_before']}, after {result['machine']['loadavg_after']} "
        "(the cores are shared with other jobs).",
    ]
    if result.get("ladder"):
        lines += ["", "## Offline ladder", "",
                  f"First {result['ladder'][0]['n_texts']} texts, encode only (TF-IDF: fit + transform).", "",
                  "| embedder | dim | texts / s | load s |", "|---|---:|---:|---:|",
                  *(f"| {r['embedder']} | {r['dim']} | {r['texts_per_s']:.1f} | {r['load_s']:.1f} |"
                    for r in result["ladder"])]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-texts", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ladder", type=int, default=300, help="also time every offline backend on N texts (0: skip)")
    args = parser.parse_args()

    texts = list(load_dataset("banking77").train_text[:args.n_texts])
    before = [round(x, 2) for x in os.getloadavg()]
    comparison = compare_with_sentence_transformers(texts, args.batch_size, args.rounds)
    print(f"almodules / sentence-transformers = {comparison['ratio_almodules_over_sentence_transformers']:.3f}  "
          f"({comparison['texts_per_s']})")
    result = {"comparison": comparison, "ladder": ladder(texts, args.ladder) if args.ladder else [],
              "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                          "python": platform.python_version(), "loadavg_before": before,
                          "loadavg_after": [round(x, 2) for x in os.getloadavg()]},
              "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "embed_throughput.json").write_text(json.dumps(result, indent=2) + "\n")
    write_markdown(result, RESULTS / "embed_throughput.md")
    print(f"wrote {RESULTS / 'embed_throughput.json'} and .md")


if __name__ == "__main__":
    main()
