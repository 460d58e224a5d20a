"""Lesson 02 through real `nbgrader generate_assignment` and `nbgrader autograde`."""

import pytest

from answers.socket_reader_cells import CELLS
from nbgrader_helpers import Course

LESSON = "02_socket_reader"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = Course.create(tmp_path_factory.mktemp("lesson02"), LESSON)
    course.submit_reference("reference", LESSON)
    course.submit("untouched", LESSON)
    students = {}
    for number, (mistake, (source, failing)) in enumerate(sorted(CELLS.items())):
        student = f"wrong{number:02d}"
        course.submit(student, LESSON, {"socket_shutdown": source})
        students[student] = (mistake, failing)
    done = course.batch_grade(LESSON)
    return course, students, done


def test_the_batch_completes(graded):
    _, _, done = graded
    assert done.returncode == 0, done.stderr[-3000:]


def test_reference_gets_full_marks(graded):
    course, _, _ = graded
    assert course.scores("reference", LESSON) == course.max_scores(LESSON)
    assert set(course.max_scores(LESSON)) == {"test_local_close", "test_peer_close"}


def test_untouched_notebook_gets_zero(graded):
    course, _, _ = graded
    assert set(course.scores("untouched", LESSON).values()) == {0}


def test_each_mistake_loses_exactly_its_tests(graded):
    course, students, _ = graded
    full = course.max_scores(LESSON)
    for student, (mistake, failing) in students.items():
        expected = {name: 0 if name in failing else points for name, points in full.items()}
        assert course.scores(student, LESSON) == expected, mistake
