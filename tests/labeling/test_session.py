"""The labeling session: a person's answers in place of the stored labels, saved after every answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from almodules.core.validation import ConfigError
from almodules.datasets.registry import DATASETS
from almodules.embeddings.registry import EMBEDDERS
from almodules.engine.experiment import run_experiment
from almodules.engine.stop_signals import SIGNALS
from almodules.labeling.plan import SessionPlan
from almodules.labeling.session import LabelingSession

TOPICS = {"sport": "goal match team score win coach league", "music": "song band guitar album tour drum chord",
          "food": "bread soup cheese meal salt oven spice"}
NOISE = "the a of and to in is it for on with as this that at by from".split()


def texts_of(n_per, seed):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_per):
        for topic, words in TOPICS.items():
            vocabulary = words.split()
            picked = list(rng.choice(vocabulary, 3)) + list(rng.choice(NOISE, 4))
            rng.shuffle(picked)
            # a few texts borrow a word of another topic, so the classes are not trivially apart
            if i % 5 == 0:
                other = [t for t in TOPICS if t != topic][i % 2]
                picked.append(rng.choice(TOPICS[other].split()))
            rows.append((" ".join(picked), topic))
    return pd.DataFrame(rows, columns=["text", "label"])


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("ALM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ALM_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("ALM_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "topics"
    path.mkdir()
    texts_of(40, 0).to_csv(path / "train.csv", index=False)
    texts_of(15, 1).to_csv(path / "test.csv", index=False)
    yield path
    for name in [n for n, s in DATASETS.items() if s.group == "user" and str(tmp_path) in (s.folder or "")]:
        DATASETS.unregister(name)
    for name in [n for n, s in EMBEDDERS.items() if str(tmp_path) in s.model]:
        EMBEDDERS.unregister(name)


def gold_answer(session, index):
    return session.gold(index)


def answer_all(session, *, every=None):
    while not session.finished:
        index = session.pending[0]
        session.answer(every(session, index) if every else gold_answer(session, index))


PLAN = dict(ips="typiclust", strategy="margin", seed=3, k0=6, batch_size=5, budget=31)


def test_a_session_answered_with_the_gold_labels_is_the_simulated_run(folder, tmp_path):
    session = LabelingSession.start(tmp_path / "s.jsonl", str(folder), "tfidf-svd", annotator="oracle", **PLAN)
    answer_all(session)
    rounds = session.rounds()
    simulated = run_experiment(session.plan.run_config())
    assert len(rounds) == len(simulated.cycles) == 6
    batches = [json.loads(line)["indices"] for line in (tmp_path / "s.jsonl").read_text().splitlines()
               if json.loads(line)["event"] == "batch"]
    assert batches == [c["selected"] for c in simulated.cycles]
    assert rounds["accuracy"].tolist() == [c["accuracy"] for c in simulated.cycles]
    assert rounds["n_labeled"].tolist() == [c["n_labeled"] for c in simulated.cycles]
    assert (rounds["agreement"] == 1.0).all() and rounds["select_s"].ge(0).all()
    for name in SIGNALS:  # the same stopping signals, batch after batch
        ours = [None if pd.isna(v) else v for v in rounds[name]]
        assert ours == pytest.approx([c[name] for c in simulated.cycles]), name
    reopened = LabelingSession.open(tmp_path / "s.jsonl").rounds()
    pd.testing.assert_frame_equal(reopened, rounds)  # the session file keeps the signals


def test_a_closed_session_reopens_where_it_stopped_and_a_cut_line_is_dropped(folder, tmp_path):
    path = tmp_path / "s.jsonl"
    first = LabelingSession.start(path, str(folder), "tfidf-svd", **PLAN)
    for _ in range(8):  # the initial pool and two answers of the next batch
        first.answer(gold_answer(first, first.pending[0]))
    pending, labels = first.pending, first.labeled_set()
    with open(path, "a") as fh:  # a crash in the middle of writing an answer
        fh.write('{"event": "answer", "round": 1, "ind')
    again = LabelingSession.open(path)
    assert again.pending == pending and again.labeled_set().equals(labels)
    assert all(json.loads(line) for line in path.read_text().splitlines())
    answer_all(again)
    whole = LabelingSession.start(tmp_path / "t.jsonl", str(folder), "tfidf-svd", **PLAN)
    answer_all(whole)
    assert again.rounds()["accuracy"].tolist() == whole.rounds()["accuracy"].tolist()


def test_a_crash_between_the_last_answer_and_the_next_batch_is_finished_on_opening(folder, tmp_path):
    path = tmp_path / "s.jsonl"
    session = LabelingSession.start(path, str(folder), "tfidf-svd", **PLAN)
    for _ in range(6):
        session.answer(gold_answer(session, session.pending[0]))
    proposed = session.pending
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-2]) + "\n")  # the round summary and the next batch never written
    assert LabelingSession.open(path).pending == proposed


def test_undo_takes_back_an_answer_and_the_batch_it_completed(folder, tmp_path):
    session = LabelingSession.start(tmp_path / "s.jsonl", str(folder), "tfidf-svd", **PLAN)
    initial = session.pending
    for _ in range(5):
        session.answer("skip")
    session.answer(gold_answer(session, initial[-1]))  # completes the initial pool
    next_batch = session.pending
    session.undo()
    assert session.round == 0 and session.pending == initial[-1:] and session.n_answered == 5
    session.answer(gold_answer(session, initial[-1]))
    assert session.pending == next_batch  # the same answers propose the same batch
    session.undo()
    session.undo()
    assert session.pending == initial[-2:] and session.n_answered == 4
    session.answer("skip")
    session.answer(gold_answer(session, initial[-1]))
    assert session.pending == next_batch
    reopened = LabelingSession.open(tmp_path / "s.jsonl")
    assert reopened.pending == next_batch and reopened.n_answered == 6
    events = [json.loads(line)["event"] for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert events.count("undo") == 3  # the file keeps the history, undos included


def test_skipped_and_unsure_texts_spend_budget_train_nothing_and_never_return(folder, tmp_path):
    def answers(session, index):
        return "unsure" if index % 3 == 0 else ("skip" if index % 3 == 1 else gold_answer(session, index))

    session = LabelingSession.start(tmp_path / "s.jsonl", str(folder), "tfidf-svd", **PLAN)
    answer_all(session, every=answers)
    given = session.labeled_set()
    assert len(given) == 31 and given["index"].is_unique
    rounds = session.rounds()
    assert rounds["n_answered"].iloc[-1] == 31
    assert rounds["n_labeled"].iloc[-1] == (~given["answer"].isin(["skip", "unsure"])).sum()
    assert rounds["n_skip"].sum() == (given["answer"] == "skip").sum()
    assert rounds["n_unsure"].sum() == (given["answer"] == "unsure").sum()


def test_everything_skipped_keeps_drawing_from_the_initial_pool_strategy(folder, tmp_path):
    session = LabelingSession.start(tmp_path / "s.jsonl", str(folder), "tfidf-svd", **PLAN)
    for _ in range(11):
        session.answer("skip")
    batches = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()
               if json.loads(line)["event"] == "batch"]
    assert [b["strategy"] for b in batches] == ["typiclust", "typiclust", "typiclust"]
    assert "accuracy" not in session.rounds() or session.rounds()["accuracy"].isna().all()


def test_unlabeled_texts_with_class_names_report_confidence_and_export_the_labels(tmp_path, monkeypatch):
    monkeypatch.setenv("ALM_CACHE_DIR", str(tmp_path / "cache"))
    frame = texts_of(30, 2)
    frame[["text"]].to_csv(tmp_path / "texts.csv", index=False)
    truth = dict(zip(frame["text"], frame["label"]))
    session = LabelingSession.start(tmp_path / "u.jsonl", tmp_path / "texts.csv", "tfidf-svd",
                                    classes=["sport", "music", "food"], annotator="ana", k0=6, batch_size=6, budget=24)
    answer_all(session, every=lambda s, i: truth[s.text(i)])
    rounds = session.rounds()
    assert "accuracy" not in rounds and rounds["mean_confidence"].between(1 / 3, 1).all()
    assert sum(rounds["label_counts"].iloc[-1].values()) == 24
    out = session.export(tmp_path / "labels.csv")
    exported = pd.read_csv(out)
    assert len(exported) == 24 and (exported["label"] == exported["text"].map(truth)).all()
    assert set(exported["annotator"]) == {"ana"}
    assert LabelingSession.open(tmp_path / "u.jsonl").finished
    with pytest.raises(ConfigError, match="no simulated run"):
        session.plan.run_config()


def test_bad_answers_and_settings_are_refused_by_name(folder, tmp_path):
    session = LabelingSession.start(tmp_path / "s.jsonl", str(folder), "tfidf-svd", **PLAN)
    before = (tmp_path / "s.jsonl").read_text()
    with pytest.raises(ConfigError, match=r"answer must be one of the classes \(food, music, sport\) or skip / unsure, got 'jazz'"):
        session.answer("jazz")
    with pytest.raises(ConfigError, match="answer 7 is not a class number; allowed: 0..2"):
        session.answer(7)
    with pytest.raises(ConfigError, match="index must be a text of the current batch"):
        session.answer("food", index=10_000)
    assert (tmp_path / "s.jsonl").read_text() == before  # nothing written for a refused answer
    with pytest.raises(ConfigError, match="exists: reopen it"):
        LabelingSession.start(tmp_path / "s.jsonl", str(folder), "tfidf-svd", **PLAN)
    with pytest.raises(ConfigError, match="session parameter"):
        LabelingSession.start(tmp_path / "x.jsonl", str(folder), "tfidf-svd", cycles=3)
    with pytest.raises(ConfigError, match="must not be named skip or unsure"):
        SessionPlan(dataset="x", embedder="tfidf-svd", classes=("a", "skip"))
    with pytest.raises(ConfigError, match="strategy"):
        SessionPlan(dataset="x", embedder="tfidf-svd", strategy="oracle")
    with pytest.raises(ConfigError, match="budget 500 is larger than the pool"):
        LabelingSession.start(tmp_path / "y.jsonl", str(folder), "tfidf-svd", budget=500)
    assert not (tmp_path / "x.jsonl").exists() and not (tmp_path / "y.jsonl").exists()


def test_a_session_is_not_reopened_on_other_data(folder, tmp_path):
    session = LabelingSession.start(tmp_path / "s.jsonl", str(folder), "tfidf-svd", **PLAN)
    session.answer(gold_answer(session, session.pending[0]))
    changed = texts_of(40, 5)
    changed.to_csv(folder / "train.csv", index=False)
    with pytest.raises(ConfigError, match="was labeled on other data"):
        LabelingSession.open(tmp_path / "s.jsonl")


def test_the_terminal_loop_labels_undoes_quits_and_resumes(folder, tmp_path):
    from almodules.labeling.terminal import label_in_terminal

    session = LabelingSession.start(tmp_path / "s.jsonl", str(folder), "tfidf-svd", k0=3, batch_size=3, budget=9)
    replies = iter(["0", "jazz", "s", "z", "u", "music", "q"])
    said = []
    assert label_in_terminal(session, ask=lambda _: next(replies), say=said.append) == 3
    assert any("answer must be one of the classes" in line for line in said)  # refused, asked again
    assert any(line.startswith("  batch 0 done: 2 labels (3 answered)") for line in said)
    assert session.labeled_set()["answer"].tolist() == ["food", "unsure", "music"]


def test_label_from_the_command_line_in_a_fresh_process(folder, tmp_path):
    env = {**os.environ, "ALM_CACHE_DIR": os.environ["ALM_CACHE_DIR"], "ALM_DATA_DIR": os.environ["ALM_DATA_DIR"]}
    command = [sys.executable, "-m", "almodules", "label", str(tmp_path / "c.jsonl"), "--dataset", str(folder),
               "--embedder", "tfidf-svd", "--k0", "2", "--batch-size", "2", "--budget", "4", "--annotator", "kim",
               "--export", str(tmp_path / "c.csv")]
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(command, input="0\n1\n2\n0\n", capture_output=True, text=True, cwd=root, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "finished" in done.stdout and len(pd.read_csv(tmp_path / "c.csv")) == 4
    again = subprocess.run([*command[:5], "--k0", "3"], capture_output=True, text=True, cwd=root, env=env, timeout=600)
    assert again.returncode == 2 and "exists and is reopened with its own settings; drop --k0" in again.stderr
    assert "Traceback" not in again.stderr


def test_the_widget_labels_on_a_click_and_on_a_typed_number(folder, tmp_path):
    pytest.importorskip("ipywidgets")
    from almodules.labeling.widget import LabelingWidget, session_figure

    session = LabelingSession.start(tmp_path / "w.jsonl", str(folder), "tfidf-svd", k0=3, batch_size=3, budget=6)
    widget = LabelingWidget(session)
    first = session.text(session.pending[0])
    assert first.split()[0] in widget.text.value and widget.progress.value == 0
    widget.buttons["1"].click()          # a click on the second class's button
    widget.keys.value = "u"              # typed: unsure
    widget.press("undo")
    widget.keys.value = "2"
    widget.press("jazz")                 # refused, shown, nothing saved
    assert "key must be a class number" in widget.status.value
    widget.buttons["skip"].click()
    assert session.labeled_set()["answer"].tolist() == [session.classes[1], session.classes[2], "skip"]
    assert "batch 0 done" in widget.status.value and widget.progress.value == 3
    for _ in range(3):
        widget.buttons["0"].click()
    assert session.finished and "Finished" in widget.text.value and widget.buttons["0"].disabled
    assert LabelingSession.open(tmp_path / "w.jsonl").labeled_set().equals(session.labeled_set())
    simulated = pd.DataFrame(run_experiment(session.plan.run_config()).cycles)
    figure = session_figure({"margin (you)": session.rounds()}, {"margin": simulated})
    assert [trace.name for trace in figure.data] == ["margin (you)", "margin (simulated)"]


def test_a_scripted_annotator_gives_the_same_answer_to_a_text_whoever_shows_it(folder, tmp_path):
    from almodules.labeling.annotator import ScriptedAnnotator

    person = ScriptedAnnotator(unsure_rate=0.2, error_rate=0.2, seed=1)
    a = person.play(LabelingSession.start(tmp_path / "a.jsonl", str(folder), "tfidf-svd", strategy="margin",
                                          k0=6, batch_size=6, budget=60))
    b = person.play(LabelingSession.start(tmp_path / "b.jsonl", str(folder), "tfidf-svd", strategy="random",
                                          k0=6, batch_size=6, budget=60))
    both = a.labeled_set().merge(b.labeled_set(), on="index")
    assert len(both) > 0 and (both["answer_x"] == both["answer_y"]).all()
    given = pd.concat([a.labeled_set(), b.labeled_set()]).drop_duplicates("index")
    assert 0.05 < (given["answer"] == "unsure").mean() < 0.35
    wrong = given[given["answer"] != "unsure"]
    assert 0.1 < (wrong["answer"] != wrong["gold"]).mean() < 0.45
    assert set(a.labeled_set()["annotator"]) == {"scripted"}
    with pytest.raises(ConfigError, match="unsure_rate \\+ error_rate must be at most 1"):
        ScriptedAnnotator(unsure_rate=0.6, error_rate=0.6)


def test_a_session_on_a_folder_reopens_in_a_new_process_and_after_the_folder_moved(folder, tmp_path):
    import shutil

    session = LabelingSession.start(tmp_path / "f.jsonl", str(folder), "tfidf-svd", k0=3, batch_size=3, budget=9)
    for _ in range(4):
        session.answer(gold_answer(session, session.pending[0]))
    answered = session.labeled_set()
    DATASETS.unregister(session.plan.dataset)  # a new process knows no folder dataset
    again = LabelingSession.open(tmp_path / "f.jsonl")
    assert again.labeled_set().equals(answered)
    moved = tmp_path / "elsewhere" / "topics"
    shutil.move(str(folder), str(moved))
    DATASETS.unregister(again.plan.dataset)
    with pytest.raises(ValueError, match="topics"):
        LabelingSession.open(tmp_path / "f.jsonl")
    relocated = LabelingSession.open(tmp_path / "f.jsonl", dataset=str(moved))
    assert relocated.labeled_set().equals(answered)
    texts_of(40, 7).to_csv(moved / "train.csv", index=False)  # other texts under the same folder
    DATASETS.unregister(relocated.plan.dataset)
    with pytest.raises(ValueError, match="was labeled on other data"):
        LabelingSession.open(tmp_path / "f.jsonl", dataset=str(moved))


def test_the_stop_signal_is_shown_live_and_says_when_it_fires(folder, tmp_path):
    pytest.importorskip("ipywidgets")
    from almodules.labeling.terminal import label_in_terminal
    from almodules.labeling.widget import LabelingWidget

    session = LabelingSession.start(tmp_path / "t.jsonl", str(folder), "tfidf-svd", k0=3, batch_size=3, budget=12)
    said = []
    answers = (str(session.classes.index(session.gold(session.pending[0]))) for _ in range(12))
    label_in_terminal(session, ask=lambda _: next(answers), say=said.append, stop="max-confidence",
                      stop_params={"window": 1, "min_gain": 1.0})
    shown = [line for line in said if "max-confidence" in line]
    assert len(shown) == len(session.rounds()) == 4
    assert "no signal yet" in shown[0] or "not firing" in shown[0]
    assert "max-confidence fires:" in shown[-1] and "You may stop here (or go on)" in shown[-1]
    assert session.finished  # the criterion advised; the person went on to the end of the budget
    widget = LabelingWidget(LabelingSession.open(tmp_path / "t.jsonl"), stop="kappa-average", stop_params={"kappa": -1})
    assert "kappa-average" in widget.stop_status.value
    with pytest.raises(ConfigError, match="unknown stopping criterion 'kapa'"):
        LabelingWidget(session, stop="kapa")
    with pytest.raises(ConfigError, match="parameter window must be >= 1"):
        label_in_terminal(session, stop="kappa-average", stop_params={"window": 0})
