"""How long the main job takes on a fresh clone: ``make book`` twice, per chapter, with or without the datasets.

Clones this checkout's HEAD into a temporary folder (beside a link to ``../shared`` with
``--with-data``, or with no ``../shared`` at all), runs ``make book`` there (the virtual environment
included), then runs it again with nothing changed. Reads each chapter's line of the build output
(``[i/8] name: N s, ...``). Writes ``benchmarks/results/book_build[_nodata].json`` and ``.md``.
Absolute seconds: run it on a quiet machine (nothing else running), and read them with the CPU named.

    python benchmarks/book_build.py --with-data     # about 6 minutes on 2 cores
    python benchmarks/book_build.py                 # a fresh clone as anyone gets it: no ../shared
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TARGETS = {"chapter_s": 60, "chapters_s": 240, "make_book_s": 360, "second_make_book_s": 90}
"""The targets of the fast-and-reproducible issue, in seconds."""


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _make_book(clone: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(["make", "book"], cwd=clone, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"make book failed in {clone}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with-data", action="store_true", help="link ../shared beside the clone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="book-build-") as tmp:
        clone = Path(tmp) / "main"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        shared = (ROOT.parent / "shared").resolve()
        if args.with_data:
            (Path(tmp) / "shared").symlink_to(shared)
        first_s, output = _make_book(clone)
        chapters = {m.group(1): int(m.group(2)) for m in re.finditer(r"\] (\d\d_\w+): (\d+) s", output)}
        second_s, again = _make_book(clone)
        kept = len(re.findall(r"unchanged since its last execution, kept", again))
    record = {"data": "../shared beside the clone" if args.with_data else "no ../shared (a plain clone)",
              "cpu": _cpu(), "make_book_s": round(first_s, 1), "chapters_s": sum(chapters.values()),
              "slowest_chapter_s": max(chapters.values()), "chapters": chapters,
              "second_make_book_s": round(second_s, 1), "chapters_kept_on_second": kept, "targets": TARGETS}
    stem = "book_build" if args.with_data else "book_build_nodata"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(record, indent=2) + "\n")
    rows = "\n".join(f"| {name} | {s} |" for name, s in chapters.items())
    (RESULTS / f"{stem}.md").write_text(
        f"# `make book` on a fresh clone ({record['data']})\n\nCPU: {record['cpu']}, 2 cores. Absolute seconds, "
        "measured with nothing else running.\n\n"
        f"| step | seconds | target |\n|---|---|---|\n"
        f"| first `make book` (venv, chapters, pages) | {record['make_book_s']} | <= {TARGETS['make_book_s']} |\n"
        f"| all {len(chapters)} chapters | {record['chapters_s']} | <= {TARGETS['chapters_s']} (the issue's, set for eight) |\n"
        f"| slowest chapter | {record['slowest_chapter_s']} | <= {TARGETS['chapter_s']} |\n"
        f"| second `make book`, nothing changed ({kept} chapters kept) | {record['second_make_book_s']} "
        f"| <= {TARGETS['second_make_book_s']} |\n\n| chapter | seconds |\n|---|---|\n{rows}\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main()
