"""Files a user gives, refused before any work with what is wrong in them: dataset folders, grid files,
session files and exports (the command-line cases of test_bad_input.py, on real folders and files)."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from engine_fakes import forget_folder_datasets, nothing_done

from almodules.cli import main

BASE = "dataset: blobs\nembedder: gauss\ncycles: 2\nbudget: 10\n"


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("ALM_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("ALM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ALM_DATA_DIR", str(tmp_path / "data"))
    yield tmp_path
    forget_folder_datasets(tmp_path)



def _folder(root, files: dict[str, bytes]):
    folder = root / "data" / "upload"
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder


ROWS = "text,label\n" + "".join(f"text {i} about {c},{c}\n" for i in range(6) for c in ("a", "b"))

FOLDER_CASES = [
    ({"train.csv": ROWS.encode(), "test.csv": "text,label\ncaf\xe9 au lait,a\n".encode("latin-1")},
     r"test.csv is not UTF-8 text \(byte \d+ is b'\\xe9'\); save it as UTF-8"),
    ({"train.csv": ROWS.encode()}, r"needs a train and a test file .*; it holds train.csv"),
    ({"train.csv": "text,label\n1,a\n2,b\n3,a\n".encode(), "test.csv": ROWS.encode()},
     r"column 'text' of .*train.csv holds numbers only \(e.g. '1'\); allowed: text"),
    ({"train.csv": ROWS.encode(), "test.csv": ROWS.encode(), "classes.txt": b"a\nb\na\n"},
     r"classes of .* \(classes.txt\) name 'a' more than once"),
    ({"train.csv": ROWS.encode(), "test.csv": ROWS.encode(), "dataset.yaml": b"text: t\xff\n"},
     r"dataset.yaml is not UTF-8 text"),
]


@pytest.mark.parametrize("files, message", FOLDER_CASES, ids=["latin-1", "no test file", "numbers", "class twice",
                                                              "yaml not utf-8"])
def test_dataset_folders_are_refused_with_what_is_wrong(files, message, capsys, isolated):
    folder = _folder(isolated, files)
    assert main(["run", "--dataset", str(folder), "--embedder", "tfidf-svd", "--cycles", "1", "--budget", "4"]) == 2
    err = capsys.readouterr().err
    import re

    assert re.search(message, err) and "Traceback" not in err, err
    assert nothing_done(isolated)


def test_a_grid_file_that_is_not_utf8_names_the_file(capsys, isolated):
    path = isolated / "g.yaml"
    path.write_bytes(BASE.encode() + "# d\xe9j\xe0 vu\n".encode("latin-1"))
    assert main(["grid", str(path)]) == 2
    assert "g.yaml is not UTF-8 text" in capsys.readouterr().err and nothing_done(isolated)


@pytest.mark.parametrize("edit, message", [
    (lambda e: {**e, "index": 10_000} if e.get("event") == "answer" else e, "answer index 10000 is not a text of"),
    (lambda e: {**e, "indices": [-1]} if e.get("event") == "batch" else e, "batch index -1 is not a text of"),
    (lambda e: {**e, "answer": "maybe"} if e.get("event") == "answer" else e, "answer 'maybe' is none of"),
    (lambda e: {**e, "event": "cheer"} if e.get("event") == "round" else e, "unknown event 'cheer'"),
])
def test_a_session_file_edited_by_hand_is_refused_with_its_line(edit, message, isolated, capsys):
    import json

    from almodules.labeling import LabelingSession

    folder = _folder(isolated, {"train.csv": ROWS.encode(), "test.csv": ROWS.encode()})
    session = LabelingSession.start(isolated / "s.jsonl", str(folder), "tfidf-svd", k0=2, batch_size=2, budget=6)
    for _ in range(3):
        session.answer(session.gold(session.pending[0]))
    lines = [json.loads(line) for line in (isolated / "s.jsonl").read_text().splitlines()]
    (isolated / "s.jsonl").write_text("".join(json.dumps(edit(e)) + "\n" for e in lines))
    assert main(["label", str(isolated / "s.jsonl"), "--export", str(isolated / "out.csv")]) == 2
    err = capsys.readouterr().err
    assert re.search(f"s.jsonl line \\d+: {message}", err) and "Traceback" not in err, err
    assert not (isolated / "out.csv").exists()


def test_a_session_file_that_is_not_utf8_names_the_file(isolated, capsys):
    (isolated / "s.jsonl").write_bytes(b'{"event": "session", "x": "\xff"}\n')
    assert main(["label", str(isolated / "s.jsonl")]) == 2
    assert "s.jsonl is not UTF-8 text" in capsys.readouterr().err


def test_labels_are_exported_into_a_folder_that_does_not_exist_yet(isolated, monkeypatch):
    from almodules.labeling import LabelingSession

    folder = _folder(isolated, {"train.csv": ROWS.encode(), "test.csv": ROWS.encode()})
    session = LabelingSession.start(isolated / "e.jsonl", str(folder), "tfidf-svd", k0=2, batch_size=2, budget=4)
    while not session.finished:
        session.answer(session.gold(session.pending[0]))
    assert len(pd.read_csv(session.export(isolated / "new" / "deeper" / "labels.csv"))) == 4


def test_an_export_path_through_a_file_is_refused_before_labeling(isolated, capsys):
    (isolated / "afile").write_text("")
    folder = _folder(isolated, {"train.csv": ROWS.encode(), "test.csv": ROWS.encode()})
    argv = ["label", str(isolated / "x.jsonl"), "--dataset", str(folder), "--embedder", "tfidf-svd",
            "--export", str(isolated / "afile" / "labels.csv")]
    assert main(argv) == 2
    assert "a folder on its path is a file" in capsys.readouterr().err and not (isolated / "x.jsonl").exists()
