"""Before any chapter runs: what each one reads from the store, what it must compute, and whether the data is here.

A chapter's runs are planned (checked and keyed, :func:`almodules.results.planning.plan_runs`) in the
parent process. A run already stored is read; its dataset need not be on this machine (its recorded
fingerprints key it). A run to compute needs its dataset's texts: when they are missing, the build
stops here, naming the datasets and where to put them, before any kernel starts.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from almodules.chapters.parameters import NotebookError, chapter_configs, notebooks_dir
from almodules.core.atomic import canonical_hash
from almodules.core.paths import data_dir
from almodules.results.planning import plan_runs
from almodules.results.store import ResultStore

__all__ = ["ChapterNeeds", "chapter_needs", "code_digest", "check_needs", "build_report"]


@dataclass(frozen=True)
class ChapterNeeds:
    """One chapter's runs: how many, how many stored, and the datasets read without their texts."""

    name: str
    runs: int
    stored: int
    recorded_datasets: tuple[str, ...]
    blocked_datasets: tuple[str, ...]
    inputs: str = ""

    @property
    def to_compute(self) -> int:
        return self.runs - self.stored


def chapter_needs(name: str, parameters: Mapping[str, Any], store: ResultStore | None = None) -> ChapterNeeds:
    """Plan chapter ``name``'s runs with ``parameters`` and compare them with ``store``.

    ``inputs`` hashes everything the executed chapter shows depends on: its source, its parameters, the
    package's code, its stored runs and the cached diagnostics; a chapter whose hash is unchanged since
    it was executed would show the same again.
    """
    store = ResultStore() if store is None else store
    planned = plan_runs(chapter_configs(name, parameters))
    missing = set(store.missing(p.run_key for p in planned))
    recorded = sorted({p.config.dataset for p in planned if p.fingerprints.recorded})
    blocked = sorted({p.config.dataset for p in planned if p.fingerprints.recorded and p.run_key in missing})
    diagnostics = store.root / "diagnostics"
    inputs = canonical_hash({
        "source": (notebooks_dir() / f"{name}.md").read_text(encoding="utf-8"), "parameters": dict(parameters),
        "code": code_digest(), "stored": sorted(p.run_key for p in planned if p.run_key not in missing),
        "diagnostics": sorted(str(f.relative_to(diagnostics)) for f in diagnostics.rglob("*.parquet")),
    })
    return ChapterNeeds(name, len(planned), len(planned) - len(missing), tuple(recorded), tuple(blocked), inputs)


@functools.cache
def code_digest() -> str:
    """SHA-256 over the package's source files (path and content), read once per process."""
    package = Path(__file__).resolve().parents[1]
    return canonical_hash({str(f.relative_to(package)): f.read_text(encoding="utf-8")
                           for f in sorted(package.rglob("*.py"))})


def check_needs(needs: Sequence[ChapterNeeds]) -> None:
    """Stop before any work when a chapter must compute runs on datasets that are not on this machine."""
    blocked = {n.name: n.blocked_datasets for n in needs if n.blocked_datasets}
    if blocked:
        where = "; ".join(f"{name} needs {', '.join(ds)}" for name, ds in blocked.items())
        raise NotebookError(
            f"runs to compute need datasets that are not on this machine ({where}). Put each dataset's train and "
            f"test files under $ALM_DATA_DIR/<name>/ (ALM_DATA_DIR is {str(data_dir() or 'unset')!r}; see 'Use your "
            "own data' in the README), or run these chapters on stored cells or on the embedded default, bbc_news "
            "(-p cells \"[bbc_news:tfidf-svd]\"). Nothing was executed.")


def build_report(needs: Sequence[ChapterNeeds], seconds: Mapping[str, float], kept: Sequence[str]) -> str:
    """The front page's account of this build, in Markdown: per chapter, runs read and computed.

    ``seconds``: the chapters executed in this build; the others of ``needs`` were unchanged since their
    last execution and kept.
    """
    lines = ["| chapter | runs read from the store | runs computed | read without their texts | executed |",
             "|---|---|---|---|---|"]
    for n in needs:
        ran = f"in {seconds[n.name]:.0f} s" if n.name in seconds else "no: unchanged since its last execution"
        lines.append(f"| {n.name} | {n.stored} | {n.to_compute if n.name in seconds else 0} "
                     f"| {', '.join(n.recorded_datasets) or '-'} | {ran} |")
    for name in kept:
        lines.append(f"| {name} | (kept from an earlier build) | | | |")
    recorded = sorted({d for n in needs for d in n.recorded_datasets})
    note = (f"The texts of {', '.join(recorded)} were not on the machine that built this book: their stored runs "
            "were found by the fingerprints recorded when they were computed, and nothing of them was recomputed."
            if recorded else "Every dataset the chapters read was on the machine that built this book.")
    return "\n".join(lines) + "\n\n" + note + "\n"
