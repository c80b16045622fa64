"""The command line teaches: help names the allowed values, listings and results come as valid JSON,
a grid can be counted before it runs."""

from __future__ import annotations

import json

import pytest
from engine_fakes import EMBEDDER

from almodules.cli import build_parser, main
from almodules.engine.stopping import CRITERIA
from almodules.engine.strategies import IPS_STRATEGIES, QUERY_STRATEGIES
from almodules.results.store import ResultStore


@pytest.fixture(autouse=True)
def isolated(registry_loaders, monkeypatch, tmp_path):
    monkeypatch.setenv("ALM_RESULTS_DIR", str(tmp_path / "results"))
    return tmp_path


def test_run_help_names_the_allowed_strategies_and_the_listing_commands():
    run = build_parser()._subparsers._group_actions[0].choices["run"].format_help()
    text = " ".join(run.split()).replace("- ", "-")  # argparse wraps at hyphens too
    assert all(name in text for name in QUERY_STRATEGIES) and all(name in text for name in IPS_STRATEGIES)
    assert "python -m almodules datasets" in text and "python -m almodules embedders" in text
    assert "default: the number of classes" in text


def test_run_json_is_valid_json_with_null_for_missing_values(capsys):
    argv = ["run", "--dataset", "blobs", "--embedder", EMBEDDER, "--cycles", "2", "--budget", "10", "--json"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "NaN" not in out
    records = json.loads(out)
    assert records[0]["pool_size"] is None and records[-1]["n_labeled"] == 10


def test_grid_dry_run_counts_new_runs_and_computes_nothing(capsys, isolated):
    path = isolated / "g.yaml"
    path.write_text("dataset: blobs\nembedder: gauss\nstrategy: [random, margin]\ncycles: 2\nbudget: 10\n")
    assert main(["grid", str(path), "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) | {"store": None} == {
        "source": str(path), "runs": 2, "new": 2, "stored": 0, "store": None}
    assert len(ResultStore()) == 0
    assert main(["grid", str(path), "--workers", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["computed"] == 2
    assert main(["grid", str(path), "--dry-run"]) == 0
    assert "2 runs in" in capsys.readouterr().out and len(ResultStore()) == 2


def test_notebooks_list_shows_each_chapter_with_its_parameters(capsys):
    assert main(["notebooks", "--list", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    chapters = {r["notebook"]: r["parameters"] for r in records}
    assert chapters["03_al_cycles"]["datasets"] == ["bbc_news"] and "strategies" in chapters["03_al_cycles"]
    assert main(["notebooks", "--list"]) == 0
    assert "    seeds = [0, 1]" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["notebooks", "book"])
def test_a_parameter_value_that_does_not_parse_names_the_parameter(command, capsys):
    assert main([command, "--only", "03_al_cycles", "-p", "strategies", "[a, b"]) == 2
    err = capsys.readouterr().err
    assert "-p strategies '[a, b' is not valid YAML" in err and "[a, b], null" in err and "Traceback" not in err


def test_an_unexpected_error_is_one_line_and_its_trace_goes_to_a_file(capsys, monkeypatch):
    from almodules import commands

    def broken(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(commands, "cmd_strategies", broken)
    assert main(["strategies"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: unexpected ZeroDivisionError: a bug (a bug in almodules; the full trace is in ")
    assert "Traceback" not in err
    trace = err.rsplit("the full trace is in ", 1)[1].rstrip(")\n")
    assert "ZeroDivisionError" in open(trace).read()


def test_stopping_lists_the_criteria_registry_as_json(capsys):
    assert main(["stopping", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in records] == list(CRITERIA) and len(records) >= 7
    assert {r["small_text"] for r in records} >= {"KappaAverage", "ClassificationChange", "OverallUncertainty",
                                                  "DeltaFScore", "MaxIterations"}


def test_store_pack_moves_loose_runs_into_packs(capsys, isolated):
    path = isolated / "g.yaml"
    path.write_text("dataset: blobs\nembedder: gauss\nstrategy: [random, margin]\ncycles: 2\nbudget: 10\n")
    assert main(["grid", str(path), "--workers", "1", "--json"]) == 0
    capsys.readouterr()
    assert main(["store", "info", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0] | {"store": None, "bytes": 0} == {
        "store": None, "runs": 2, "packs": 0, "loose_files": 2, "bytes": 0, "packs_written": []}
    assert main(["store", "pack", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)[0]
    assert (record["runs"], record["packs"], record["loose_files"], len(record["packs_written"])) == (2, 1, 0, 1)


def test_grid_in_the_avx2_family_reruns_itself_with_the_family_environment(monkeypatch, isolated):
    import subprocess

    from almodules import book_commands
    path = isolated / "g.yaml"
    path.write_text("dataset: blobs\nembedder: gauss\nstrategy: random\ncycles: 2\nbudget: 10\n")
    seen = []
    monkeypatch.setattr(book_commands, "numpy_simd", lambda: "X86_V3,X86_V4")
    monkeypatch.setattr(book_commands, "avx2_environment", lambda: {"NPY_DISABLE_CPU_FEATURES": "X86_V4"})
    monkeypatch.setattr(book_commands.subprocess, "run", lambda cmd, env: seen.append((cmd, env))
                        or subprocess.CompletedProcess(cmd, 0))
    assert main(["grid", str(path), "--family", "avx2", "--dry-run"]) == 0
    (cmd, env), = seen
    assert cmd[-4:] == [str(path), "--family", "avx2", "--dry-run"] and env["NPY_DISABLE_CPU_FEATURES"] == "X86_V4"
