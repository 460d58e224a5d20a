"""The committed notebooks are current, and every one runs top to bottom."""

import os
import shutil
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


def run_top_to_bottom(lesson: str, where: Path) -> tuple[str, str]:
    """Execute the source notebook of ``lesson``; what it printed, and its code."""
    notebook = nbformat.read(ROOT / "source" / lesson / f"{lesson}.ipynb", as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(where)}}).execute()
    printed = "".join(out.get("text", "") for cell in notebook.cells
                      for out in cell.get("outputs", []))
    return printed, "".join(cell.source for cell in notebook.cells)


@pytest.mark.parametrize("lesson", lessons())
def test_source_notebook_runs_top_to_bottom_with_every_check_passing(lesson, tmp_path,
                                                                   monkeypatch):
    # Every Go run of the notebook has its recording, for learners without Go.
    monkeypatch.setenv(RECORDINGS_ENV, "check")
    printed, _ = run_top_to_bottom(lesson, tmp_path)
    assert "not yet" not in printed


@pytest.mark.parametrize("lesson", lessons())
def test_without_a_go_toolchain_every_notebook_still_runs_and_says_why(lesson, tmp_path,
                                                                      monkeypatch):
    """A learner without `go` on the PATH: recorded Go output, labelled so, no error."""
    go = shutil.which("go")
    if go is not None:
        hidden = os.path.dirname(go)
        monkeypatch.setenv("PATH", os.pathsep.join(
            d for d in os.environ["PATH"].split(os.pathsep) if d != hidden))
    monkeypatch.setenv("CI", "1")  # lesson 04's benchmarks at their quick size
    printed, source = run_top_to_bottom(lesson, tmp_path)
    assert "not yet" not in printed
    if "run_go(" in source:
        assert "(recorded)" in printed
