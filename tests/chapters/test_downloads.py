"""Each chapter page's downloads and 'Run this chapter yourself' section: generated from the chapter's
parameters and the book's values, replaced (not duplicated) on every build, never part of a download."""

from __future__ import annotations

import nbformat
import pytest

from almodules.chapters.downloads import RUN_YOURSELF, add_run_yourself, run_yourself_markdown, write_downloads
from almodules.chapters.parameters import notebook_defaults, notebook_names

NAMES = notebook_names()


@pytest.mark.parametrize("name", NAMES)
def test_the_section_lists_every_parameter_with_its_default_and_the_command(name):
    text = run_yourself_markdown(name, {"seeds": [0, 1, 2, 3, 4]})
    for key in notebook_defaults(name):
        assert f"| `{key}` |" in text
    assert f"python -m almodules book --only {name}" in text and f"papermill {name}.ipynb out.ipynb" in text
    assert f"<downloads/{name}-student.ipynb>" in text and f"<downloads/{name}.md>" in text
    if "seeds" in notebook_defaults(name):
        assert "`[0, 1, 2, 3, 4]`" in text  # the book's value beside the default


def test_downloads_are_a_student_copy_and_the_source(tmp_path):
    files = write_downloads(NAMES[2], tmp_path)
    student = nbformat.read(files["student"], as_version=4)
    assert not any("{solution}" in c.source for c in student.cells)
    assert files["source"].read_text(encoding="utf-8").startswith("---\njupytext:")
    nbformat.validate(student)


def test_the_section_is_replaced_on_every_build(tmp_path):
    path = tmp_path / "x.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title")])
    nbformat.write(nb, path)
    for _ in range(2):
        add_run_yourself(path, NAMES[0], {})
    cells = nbformat.read(path, as_version=4).cells
    assert [c.source.startswith(RUN_YOURSELF) for c in cells] == [False, True]
