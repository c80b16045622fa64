"""The strategy benchmark keeps what it measured: records are saved one strategy at a time and a
later invocation updates the report instead of replacing it."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_benchmark():
    spec = importlib.util.spec_from_file_location("strategies_benchmark", ROOT / "benchmarks" / "strategies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_second_invocation_updates_the_report_and_keeps_the_rest(tmp_path):
    bench = load_benchmark()
    stem = tmp_path / "s"
    common = ["--no-engine", "--repeats", "1", "--n-labeled", "40", "--b", "5", "--out", str(stem)]
    bench.main(["--sizes", "300x8", "--strategies", "random,margin", *common])
    first = json.loads(Path(f"{stem}.json").read_text())
    assert {(r["strategy"], r["impl"]) for r in first["acquisition"]} >= {("random", "ours"), ("margin", "ours")}
    assert all(r["status"] == "ok" and len(r["queries_s"]) == 2 for r in first["acquisition"])

    bench.main(["--sizes", "300x8,200x4:ours", "--strategies", "margin", *common])
    second = json.loads(Path(f"{stem}.json").read_text())
    keys = [(r["n"], r["strategy"], r["impl"]) for r in second["acquisition"]]
    assert len(keys) == len(set(keys))  # re-measured records replace, never duplicate
    assert (300, "random", "ours") in keys and (200, "margin", "ours") in keys
    old_random = next(r for r in first["acquisition"] if (r["strategy"], r["impl"]) == ("random", "ours"))
    assert old_random in second["acquisition"]
    assert "## N = 200 x D = 4" in Path(f"{stem}.md").read_text()
