"""The committed notebooks are current, and every one runs top to bottom."""

import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from course_tools.build_notebooks import lessons, stale_files
from installed import install_as_a_wheel

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.grading]


def test_student_and_source_notebooks_are_built_from_the_current_text():
    assert stale_files() == []


def test_source_notebooks_have_no_outputs():
    for path in sorted((ROOT / "source").glob("*/*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        assert not any(cell.get("outputs") for cell in notebook.cells), path


def run_top_to_bottom(lesson: str, where: Path, kernel: str = "python3") -> tuple[str, str]:
    """Execute the source notebook of ``lesson``; what it printed, and its code."""
    notebook = nbformat.read(ROOT / "source" / lesson / f"{lesson}.ipynb", as_version=4)
    notebook.cells.insert(0, new_code_cell(
        "import autograder\nprint('the course from:', autograder.__file__)"))
    NotebookClient(notebook, timeout=120, kernel_name=kernel,
                   resources={"metadata": {"path": str(where)}}).execute()
    printed = "".join(out.get("text", "") for cell in notebook.cells
                      for out in cell.get("outputs", []))
    return printed, "".join(cell.source for cell in notebook.cells)


@pytest.fixture(scope="module")
def installed_from_a_wheel(tmp_path_factory):
    """A kernel whose course package is a wheel built from this repository and
    installed with `pip install` (not -e), as a learner outside the repository
    has it."""
    where = tmp_path_factory.mktemp("wheel")
    repository = where / "repository"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True).stdout.decode().split("\0")
    for name in filter(None, tracked):
        if (ROOT / name).is_file():
            (repository / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, repository / name)
    site = install_as_a_wheel(repository, where, "course-from-a-wheel")
    return where, site


@pytest.mark.parametrize("lesson", lessons())
def test_installed_from_a_wheel_without_go_every_notebook_runs_and_says_why(
        lesson, tmp_path, monkeypatch, installed_from_a_wheel):
    """A learner who installed the course as a package (`pip install .`), with no
    `go` on the PATH: the lessons find their programs and recorded Go output in
    the package, label the recordings, and every check passes.

    Without Go every ``run_go`` reads its recording, so this run also finds a
    Go run whose recording is missing. The live Go runs are the site's: its
    build runs every student notebook with Go (test_site.py), as the browser
    tests do in JupyterLab (test_browser.py)."""
    where, site = installed_from_a_wheel
    go = shutil.which("go")
    if go is not None:
        hidden = os.path.dirname(go)
        monkeypatch.setenv("PATH", os.pathsep.join(
            d for d in os.environ["PATH"].split(os.pathsep) if d != hidden))
    monkeypatch.setenv("JUPYTER_PATH", str(where / "share" / "jupyter"))
    monkeypatch.setenv("CI", "1")  # lesson 04's benchmarks at their quick size
    printed, source = run_top_to_bottom(lesson, tmp_path, kernel="course-from-a-wheel")
    assert f"the course from: {site / 'autograder' / '__init__.py'}" in printed
    assert "not yet" not in printed
    if "run_go(" in source:
        assert "(recorded)" in printed
