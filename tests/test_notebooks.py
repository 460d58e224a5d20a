"""The committed notebooks are current, and every one runs top to bottom."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.lessons.go import RECORDINGS_ENV
from course_tools.build_notebooks import lessons, stale_files

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_student_and_source_notebooks_are_built_from_the_current_text():
    assert stale_files() == []


def test_source_notebooks_have_no_outputs():
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        assert not any(cell.get("outputs") for cell in notebook.cells), path


@pytest.mark.parametrize("lesson", lessons())
def test_source_notebook_runs_top_to_bottom_with_every_check_passing(lesson, tmp_path,
                                                                   monkeypatch):
    # Every Go run of the notebook has its recording, for learners without Go.
    monkeypatch.setenv(RECORDINGS_ENV, "check")
    notebook = nbformat.read(ROOT / "source" / lesson / f"{lesson}.ipynb", as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(out.get("text", "") for cell in notebook.cells
                      for out in cell.get("outputs", []))
    assert "not yet" not in printed
