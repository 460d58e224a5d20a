"""Right answers are not marked down for how the notebook around them looks:
real `nbgrader autograde` of lesson 01, with the course's configuration."""

import copy

import nbformat
import pytest

from nbgrader_helpers import ROOT, Course, reference_answers

LESSON = "01_leaky_consumer"
pytestmark = [pytest.mark.slow, pytest.mark.grading]


def under_magic(magics: dict[str, str]) -> dict[str, str]:
    """The reference answers, each cell in ``magics`` starting with that cell magic."""
    reference = reference_answers(LESSON)
    return {cell: f"{magics[cell]}\n{source}" if cell in magics else source
            for cell, source in reference.items()}


def pasted_cells(notebook):
    """Cells copied, metadata and all, from other lessons, put after the answers."""
    def cell_of(lesson, grade_id):
        other = nbformat.read(ROOT / "notebooks" / lesson / f"{lesson}.ipynb", as_version=4)
        found = next(c for c in other.cells
                     if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        return copy.deepcopy(found)
    at = next(i for i, c in enumerate(notebook.cells)
              if c.metadata.get("nbgrader", {}).get("grade_id") == "run_session")
    notebook.cells[at + 1:at + 1] = [cell_of("03_waitgroup", "waitgroup"),
                                     cell_of("02_socket_reader", "test_local_close")]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = Course.create(tmp_path_factory.mktemp("right"), LESSON, demonstrations=False)
    course.submit("timed", LESSON, under_magic(
        {"consumer_exit": "%%time", "run_session": "%%time", "robust_stop": "%%time"}))
    course.submit("captured", LESSON, under_magic(
        {"consumer_exit": "%%capture", "run_session": "%%capture out",
         "robust_stop": "%%capture --no-stderr"}))
    course.submit("pasted", LESSON, reference_answers(LESSON), edit=pasted_cells)
    done = course.autograde(LESSON)
    return course, done


@pytest.mark.parametrize("student", ["timed", "captured", "pasted"])
def test_a_right_submission_gets_full_marks(graded, student):
    course, done = graded
    assert done.returncode == 0, done.stderr[-3000:] if done.stderr else done
    scores = course.scores(student, LESSON)
    full = {cell: points for cell, points in course.max_scores(LESSON).items()
            if cell.startswith("test_")}
    assert {cell: scores[cell] for cell in full} == full != {}
