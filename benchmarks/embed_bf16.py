"""The bfloat16 CPU mode of the transformers path against float32 and sentence-transformers.

For each model (all-MiniLM-L6-v2 and all-mpnet-base-v2 by default), the same Banking77 train
texts are encoded in one process by three encoders: almodules in float32, almodules' ``+bf16``
variant (``torch.autocast`` to bfloat16 around the forward pass) and sentence-transformers in
float32. The rounds are interleaved and the fastest round of each counts (the machine is shared;
ratios, not absolute times, are the result). Agreement is the cosine between each text's bf16 and
float32 embedding. Whether bf16 is faster depends on the CPU: with AVX512-BF16 or AMX the matrix
products run natively in bfloat16; without them PyTorch emulates them and bf16 can be slower. The
CPU flags are recorded with the result.

Writes ``benchmarks/results/embed_bf16.json`` and ``.md``. Run::

    ALM_DATA_DIR=../shared/datasets .venv/bin/python benchmarks/embed_bf16.py
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
from almodules.embeddings.derived import derived_spec
from almodules.embeddings.encoders import load_encoder
from almodules.embeddings.model_files import model_dir
from almodules.embeddings.pooling import l2_normalize
from almodules.embeddings.registry import EMBEDDERS

RESULTS = Path(__file__).resolve().parent / "results"


def cpu_flags() -> list[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return sorted(f for f in flags if f.startswith(("avx512", "amx")) or f in ("avx2", "fma"))


def compare(model: str, texts: list[str], rounds: int) -> dict:
    import torch
    from sentence_transformers import SentenceTransformer

    spec = EMBEDDERS[model]
    encoders = {"float32": load_encoder(spec, "cpu"), "bfloat16": load_encoder(derived_spec(f"{model}+bf16"), "cpu")}
    reference = SentenceTransformer(str(model_dir(spec)), device="cpu")
    reference.max_seq_length = spec.max_length
    batch = spec.batch_size
    runs = {
        "almodules float32": lambda: l2_normalize(encoders["float32"].encode(texts, batch_size=batch)),
        "almodules bfloat16": lambda: l2_normalize(encoders["bfloat16"].encode(texts, batch_size=batch)),
        "sentence-transformers float32": lambda: reference.encode(texts, batch_size=batch, normalize_embeddings=True,
                                                                   convert_to_numpy=True, show_progress_bar=False),
    }
    # Warm-up on a few texts: allocator, kernels.
    encoders["float32"].encode(texts[:batch], batch_size=batch)
    encoders["bfloat16"].encode(texts[:batch], batch_size=batch)
    seconds = {name: [] for name in runs}
    outputs = {}
    for _ in range(rounds):
        for name, fn in runs.items():
            start = time.perf_counter()
            outputs[name] = fn()
            seconds[name].append(round(time.perf_counter() - start, 3))
    best = {name: min(v) for name, v in seconds.items()}
    fp32, bf16, st = (outputs[k] for k in runs)
    cos_bf16 = np.sum(fp32 * bf16, axis=1)
    cos_st = np.sum(fp32 * st, axis=1)
    return {
        "model": model, "n_texts": len(texts), "batch_size": batch, "max_length": spec.max_length,
        "torch_threads": torch.get_num_threads(), "rounds": rounds, "seconds": seconds, "best_seconds": best,
        "texts_per_s": {k: len(texts) / v for k, v in best.items()},
        "speedup_bf16_over_float32": best["almodules float32"] / best["almodules bfloat16"],
        "speedup_bf16_over_sentence_transformers": best["sentence-transformers float32"] / best["almodules bfloat16"],
        "cosine_bf16_vs_float32": {"min": float(cos_bf16.min()), "mean": float(cos_bf16.mean())},
        "cosine_float32_vs_sentence_transformers": {"min": float(cos_st.min()), "mean": float(cos_st.mean())},
    }


def write_markdown(result: dict, path: Path) -> None:
    lines = ["# bfloat16 on the CPU", "",
             f"Banking77 train texts, one process, fastest of {result['models'][0]['rounds']} interleaved rounds, "
             "model loading excluded. CPU flags: " + (", ".join(result["machine"]["cpu_flags"]) or "none recorded")
             + ".", "",
             "| model | texts | float32 texts/s | bf16 texts/s | sentence-transformers texts/s | bf16 speed-up | "
             "cosine bf16 vs float32 (min / mean) |", "|---|---:|---:|---:|---:|---:|---|"]
    for r in result["models"]:
        t = r["texts_per_s"]
        lines.append(f"| {r['model']} | {r['n_texts']} | {t['almodules float32']:.1f} | {t['almodules bfloat16']:.1f} | "
                     f"{t['sentence-transformers float32']:.1f} | **{r['speedup_bf16_over_float32']:.2f}×** | "
                     f"{r['cosine_bf16_vs_float32']['min']:.5f} / {r['cosine_bf16_vs_float32']['mean']:.5f} |")
    lines += ["", "Speed-up = float32 seconds / bf16 seconds of almodules (above 1: bf16 is faster). float32 against "
              "sentence-transformers agrees to a cosine of "
              + ", ".join(f"{r['cosine_float32_vs_sentence_transformers']['min']:.6f} ({r['model']})"
                          for r in result["models"]) + " at worst.", "",
              f"Machine: {result['machine']['cpu_count']} CPUs, {result['machine']['processor']}; load average before "
              f"{result['machine']['load_before']}, after {result['machine']['load_after']} (the cores are shared)."]
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["all-minilm-l6-v2", "all-mpnet-base-v2"])
    parser.add_argument("--n", type=int, nargs="+", default=[500, 100], help="texts per model")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    texts = list(load_dataset("banking77").train_text)
    load_before = [round(x, 2) for x in os.getloadavg()]
    models = [compare(m, texts[:n], args.rounds) for m, n in zip(args.models, args.n)]
    result = {"models": models, "machine": {"cpu_count": os.cpu_count(), "processor": platform.processor() or platform.machine(),
                                            "cpu_flags": cpu_flags(), "load_before": load_before,
                                            "load_after": [round(x, 2) for x in os.getloadavg()]}}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "embed_bf16.json").write_text(json.dumps(result, indent=2) + "\n")
    write_markdown(result, RESULTS / "embed_bf16.md")
    print((RESULTS / "embed_bf16.md").read_text())


if __name__ == "__main__":
    main()
