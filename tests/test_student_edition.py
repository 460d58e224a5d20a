"""The student edition: what a learner of a graded course needs, and no answer
anywhere in it. Its notebooks are the ones the instructor grades, and its own
package and tools work outside this repository."""

import filecmp
import os
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from course_tools import student_edition
from course_tools.build_notebooks import lessons
from installed import install_as_a_wheel
from nbgrader_helpers import reference_answers
from solution_search import demo_answers, found_in, solutions

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("edition") / "course"
    student_edition.write(dest)
    return dest


def test_the_edition_has_what_a_learner_needs_and_nothing_else(edition):
    for needed in ["notebooks", "autograder/learner.py", "autograder/exercises",
                   "environment.yml", "postBuild", "constraints.txt", "pyproject.toml",
                   "LICENSE", "README.md", "Makefile", "course_tools/workspace.py",
                   "course_tools/learner_lab.py"]:
        assert (edition / needed).exists(), needed
    for absent in ["source", "text", "tests", "demo_class", "benchmarks",
                   "autograder/grading", "autograder/probes", "autograder/known_good",
                   "course_tools/answers.py",
                   "course_tools/demo_class.py", "course_tools/demo_students.py",
                   "course_tools/batch.py"]:
        assert not (edition / absent).exists(), absent
    readme = (edition / "README.md").read_text()
    assert "05_stopping_for_good" in readme and "mybinder.org" in readme
    assert "What you can read here" in readme


def test_the_search_finds_every_solution_where_solutions_are():
    """The search below can fail: in the course's own source notebooks, it finds
    each solution, and each demo-class answer in the demo class."""
    assert len(solutions()) >= 10
    for where, code in solutions():
        assert found_in(ROOT / "source", code), where
    answers = demo_answers()
    assert answers
    for where, code in answers:
        assert found_in(ROOT / "demo_class", code), where


# Lesson 04 lends Go's WaitGroup, a counter and a Condition as lesson 03's text
# prescribes, so it shares the solution's two-line __init__. It is not an
# answer: its wait() has no timeout, and lesson 03's check fails it
# (test_waitgroup_demos.py).
SHARED_INIT = ("03_waitgroup/waitgroup", "self._count = 0\nself._zero = threading.Condition()")


def test_no_solution_and_no_demo_class_answer_is_anywhere_in_the_edition(edition):
    for where, code in solutions() + demo_answers():
        found = {str(path.relative_to(edition)) for path in found_in(edition, code)}
        if (where, code) == SHARED_INIT:
            assert found == {"autograder/lessons/waitgroup.py"}
            continue
        assert not found, f"{where} is in {found}"


def test_its_notebooks_are_the_ones_the_instructor_grades(edition):
    """Byte for byte the released student notebooks, so they grade the same."""
    compared = filecmp.dircmp(ROOT / "notebooks", edition / "notebooks")
    assert not compared.left_only and not compared.right_only and not compared.diff_files
    for lesson in lessons():
        assert filecmp.cmp(ROOT / "notebooks" / lesson / f"{lesson}.ipynb",
                           edition / "notebooks" / lesson / f"{lesson}.ipynb", shallow=False)


@pytest.mark.slow
def test_installed_outside_the_repository_its_tools_work_and_answers_pass(
        edition, tmp_path, monkeypatch):
    """The edition installed from a wheel: its learner's tools make the copies
    and the JupyterLab settings, and lesson 05 with right answers filled in
    passes every check in a kernel of that installation."""
    site = install_as_a_wheel(edition, tmp_path, "course-from-the-edition")
    python = tmp_path / "venv" / "bin" / "python"
    for tool in (["course_tools.workspace", "prepare"],
                 ["course_tools.learner_lab", str(tmp_path / "learner-jupyter")]):
        subprocess.run([python, "-m", *tool], cwd=edition, check=True,
                       env=dict(os.environ, PYTHONPATH=""), capture_output=True)
    assert (edition / "work" / "05_stopping_for_good" / "05_stopping_for_good.ipynb").is_file()
    assert any((tmp_path / "learner-jupyter").rglob("*.json"))

    lesson = "05_stopping_for_good"
    notebook = nbformat.read(ROOT / "source" / lesson / f"{lesson}.ipynb", as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(
        "import autograder\nprint('the course from:', autograder.__file__)"))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    monkeypatch.setenv("CI", "1")
    NotebookClient(notebook, timeout=120, kernel_name="course-from-the-edition",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(out.get("text", "") for cell in notebook.cells
                      for out in cell.get("outputs", []))
    assert f"the course from: {site / 'autograder' / '__init__.py'}" in printed
    assert "closable_queue: passed" in printed and "call_with_timeout: passed" in printed
    assert "not yet" not in printed

    # Without known-good pieces, lessons 01 and 03 grade beside the learner's own.
    script = "\n".join(["import queue, socket, threading, time",
                        "from autograder import check",
                        *reference_answers("01_leaky_consumer").values(),
                        *reference_answers("03_waitgroup").values(),
                        "for name in ('run_session', 'robust_stop', 'run_with_waitgroup'):",
                        "    check(name)"])
    done = subprocess.run([python, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=""), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("run_session", "robust_stop", "run_with_waitgroup"):
        assert f"{name}: passed" in done.stdout


def test_it_refuses_to_write_over_a_folder(tmp_path, capsys):
    assert student_edition.main([str(tmp_path)]) == 2
    assert "exists" in capsys.readouterr().err


def test_its_makefile_has_the_learners_two_commands(edition):
    """make lab and make fresh, as the edition's README gives them (a dry run:
    the slow test above runs the tools they call)."""
    for command in (["lab"], ["fresh", "LESSON=01_leaky_consumer"]):
        done = subprocess.run(["make", "-n", *command], cwd=edition, capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stderr
        assert "course_tools.workspace" in done.stdout
    assert "make lab" in (edition / "README.md").read_text()
