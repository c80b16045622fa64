"""The install story stays consistent: conda mirror, pins, README commands and CI entry point."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _pins(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for req in requirements:
        name, _, version = req.partition("==")
        assert version, f"{req!r} is not pinned exactly"
        pins[name.strip().lower()] = version.strip()
    return pins


def test_environment_yml_mirrors_pyproject_pins():
    project = _pyproject()["project"]
    expected = _pins(project["dependencies"] + [d for ds in project["optional-dependencies"].values() for d in ds])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    mirrored = _pins([r for r in pip_section if not r.startswith("-")])
    assert mirrored == expected


def test_offline_requirements_are_pinned():
    lines = [ln.strip() for ln in (ROOT / "requirements-offline.txt").read_text().splitlines()]
    _pins([ln for ln in lines if ln and not ln.startswith("#")])


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", readme, flags=re.S)
    commands = [ln.strip().removeprefix("$ ") for b in blocks for ln in b.splitlines()]
    test_commands = [c for c in commands if c.startswith("make test")]
    assert test_commands, "the README must give the test command"
    assert test_commands[0] in (ROOT / ".ci" / "run").read_text()


def test_the_book_ignores_tool_folders_that_a_test_run_leaves_behind():
    # Sphinx reads every .md under the root: .pytest_cache/README.md once broke `make book`
    # after `make test` (a document outside the toc is a warning, and the build runs with -W).
    from sphinx.util.matching import Matcher

    patterns = yaml.safe_load((ROOT / "_config.yml").read_text())["exclude_patterns"]
    excluded = Matcher(patterns)
    for path in (".pytest_cache/README.md", ".hypothesis/x.md", ".venv/lib/x.md", "data/results/x.md"):
        assert excluded(path), path
    assert not excluded("book/intro.md")


def test_the_readme_names_no_path_that_exists_only_on_this_machine():
    readme = (ROOT / "README.md").read_text()
    assert "/opt/" not in readme and "/work/" not in readme


@pytest.mark.parametrize("wheels, expected", [("/no/such/folder", "--extra-index-url https://download.pytorch.org/whl/cpu"),
                                              (".", "--find-links .")])
def test_the_cpu_build_of_torch_comes_from_a_wheel_folder_or_pytorchs_index(wheels, expected):
    import subprocess

    done = subprocess.run(["make", "-n", "-B", ".venv/.setup-stamp", f"WHEELS={wheels}"], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert expected in done.stdout
