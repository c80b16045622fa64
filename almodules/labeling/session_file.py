"""The session file: JSON lines, a header then one event per line, each appended and fsynced.

A line is written whole and flushed to disk before the answer counts; :func:`rewrite_events`
replaces the file atomically (a temporary file moved over it), for dropping a line cut by a crash.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from almodules.core.provenance import git_commit, package_version
from almodules.core.validation import ConfigError, read_utf8

__all__ = ["FORMAT", "session_header", "read_events", "append_event", "rewrite_events"]

FORMAT = 1
"""Version of the session file's layout."""


def session_header(plan: dict, inputs: Any, annotator: str, *, location: str | None = None) -> dict:
    """The first line of a new session file: the plan, where its data lies (a folder or file, else
    ``None``), classes, pool size, fingerprints and provenance."""
    return {"event": "session", "format": FORMAT, "plan": plan, "dataset_location": location,
            "classes": list(inputs.classes),
            "annotator": str(annotator), "n_pool": len(inputs.texts),
            "data_fingerprint": inputs.data_fingerprint, "embedding_fingerprint": inputs.embedding_fingerprint,
            "created_at": datetime.now(UTC).isoformat(), "package_version": package_version(),
            "git_commit": git_commit()}


def read_events(path: Path) -> tuple[list[dict], bool]:
    """The records of a session file, and whether its last line was cut short by a crash (dropped).

    Raises
    ------
    ConfigError
        No such file, a line that is not JSON before the last, or not a session file of :data:`FORMAT`.
    """
    if not path.is_file():
        raise ConfigError(f"no session file at {str(path)!r}")
    lines = read_utf8(path).splitlines()
    records = []
    for number, line in enumerate(lines):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if number == len(lines) - 1:  # cut short by a crash: never acknowledged
                break
            raise ConfigError(f"{path} line {number + 1} is not JSON: the file was edited by hand") from None
    if not records or records[0].get("event") != "session" or records[0].get("format") != FORMAT:
        raise ConfigError(f"{path} is not a session file of format {FORMAT}")
    for number, record in enumerate(records[1:], start=2):
        problem = _problem(record, records[0])
        if problem:
            raise ConfigError(f"{path} line {number}: {problem}; the file was edited by hand (fix or remove the line)")
    return records, len(records) < len(lines)


def _problem(record: dict, header: dict) -> str | None:
    """What is wrong with one event of a session file (indices outside the pool, an unknown answer), or None."""
    n_pool, allowed = int(header.get("n_pool", 0)), [*header.get("classes", []), "skip", "unsure"]
    kind = record.get("event")
    indices = record.get("indices", []) if kind == "batch" else [record.get("index")] if kind == "answer" else []
    for index in indices:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < n_pool:
            return f"{kind} index {index!r} is not a text of the pool; allowed: 0 .. {n_pool - 1}"
    if kind == "answer" and record.get("answer") not in allowed:
        return f"answer {record.get('answer')!r} is none of {', '.join(allowed)}"
    if kind not in ("batch", "answer", "round", "undo"):
        return f"unknown event {kind!r}; allowed: batch, answer, round, undo"
    return None


def append_event(path: Path, record: dict) -> None:
    """Append ``record`` as one JSON line and fsync it."""
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, allow_nan=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def rewrite_events(path: Path, records: list[dict]) -> None:
    """Replace the file's lines with ``records``, atomically."""
    tmp = path.with_suffix(".jsonl.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, allow_nan=False) + "\n" for r in records)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
