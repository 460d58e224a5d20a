"""Lesson 03 through real `nbgrader generate_assignment` and `nbgrader autograde`."""

import pytest

from answers.waitgroup_wrong import WRONG
from nbgrader_helpers import REFERENCE, Course, reference_answers

LESSON = "03_waitgroup"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = Course.create(tmp_path_factory.mktemp("lesson03"), LESSON)
    course.submit_reference("reference", LESSON)
    course.submit("untouched", LESSON)
    students = {}
    for number, (mistake, (grade_id, source, failing, _, _)) in enumerate(sorted(WRONG.items())):
        student = f"wrong{number:02d}"
        answers = {cell: REFERENCE for cell in reference_answers(LESSON)}
        course.submit(student, LESSON, dict(answers, **{grade_id: source}))
        students[student] = (mistake, failing)
    done = course.batch_grade(LESSON)
    return course, students, done


def test_the_batch_completes(graded):
    course, students, done = graded
    assert done.returncode == 0, done.stderr[-3000:]


def test_reference_gets_full_marks(graded):
    course, _, _ = graded
    assert course.scores("reference", LESSON) == course.max_scores(LESSON)


def test_untouched_notebook_gets_zero(graded):
    course, _, _ = graded
    assert set(course.scores("untouched", LESSON).values()) == {0}


def test_each_mistake_loses_exactly_its_own_test(graded):
    course, students, _ = graded
    full = course.max_scores(LESSON)
    for student, (mistake, failing) in students.items():
        expected = dict(full, **{failing: 0})
        assert course.scores(student, LESSON) == expected, mistake
