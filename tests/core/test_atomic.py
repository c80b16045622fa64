"""Atomic writes and canonical hashes."""

from __future__ import annotations

import os
import stat

import pytest

from almodules.core.atomic import canonical_hash, canonical_json, text_digest, write_atomic


def test_write_atomic_replaces_whole_files_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "sub" / "file.bin"
    write_atomic(target, lambda fh: fh.write(b"one"))
    write_atomic(target, lambda fh: fh.write(b"two"))
    assert target.read_bytes() == b"two" and os.listdir(target.parent) == ["file.bin"]


def test_a_failed_write_keeps_the_old_file_and_removes_its_temporary_file(tmp_path):
    target = tmp_path / "file.bin"
    write_atomic(target, lambda fh: fh.write(b"old"))

    def broken(fh):
        fh.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(target, broken)
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["file.bin"]


def test_written_files_follow_the_umask_so_shared_caches_stay_readable(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "f", lambda fh: fh.write(b"x"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_canonical_hash_ignores_key_order_and_refuses_nan():
    assert canonical_json({"b": 1, "a": [1, 2]}) == '{"a":[1,2],"b":1}'
    assert canonical_hash({"a": 1, "b": 2}) == canonical_hash({"b": 2, "a": 1})
    with pytest.raises(ValueError):
        canonical_hash({"a": float("nan")})


def test_text_digests_of_tuples_are_kept_and_of_lists_recomputed():
    texts = tuple(f"text {i}" for i in range(5))
    assert text_digest(texts) == text_digest(tuple(texts)) == text_digest(list(texts))
    mutable = list(texts)
    before = text_digest(mutable)
    mutable[0] = "changed"
    assert text_digest(mutable) != before  # a list can change under the same id: never kept
    assert text_digest(texts, texts) != text_digest(texts)
