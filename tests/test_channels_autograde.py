"""Lesson 04 through real `nbgrader generate_assignment` and `nbgrader autograde`."""

import pytest

from answers.channels_vs_locks import WRONG
from nbgrader_helpers import Course, reference_answers

LESSON = "04_channels_vs_locks"
# One mistake per way of failing; the hanging one is left to the unit tests,
# because the benchmark cell would call it again, at seconds per call.
GRADED_MISTAKES = ["queue, no join", "join, no threads", "join, duplicates",
                   "waitgroup, not used"]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = Course.create(tmp_path_factory.mktemp("lesson04"), LESSON)
    course.submit_reference("reference", LESSON)
    course.submit("untouched", LESSON)
    reference = reference_answers(LESSON)["signal_done"]
    students = {}
    for number, mistake in enumerate(GRADED_MISTAKES):
        grade_id, source, failing, _ = WRONG[mistake]
        student = f"wrong{number:02d}"
        course.submit(student, LESSON, {grade_id: reference + "\n" + source})
        students[student] = (mistake, failing)
    done = course.batch_grade(LESSON)
    return course, students, done


def checked(scores: dict) -> dict:
    """Only the test cells (why_not_cheaper is read by a person)."""
    return {cell: points for cell, points in scores.items() if cell.startswith("test_")}


def autograded_max(course):
    return checked(course.max_scores(LESSON))


def test_the_batch_completes(graded):
    course, _, done = graded
    assert done.returncode == 0, done.stderr[-3000:]


def test_the_written_answer_is_manually_graded(graded):
    course, _, _ = graded
    assert course.max_scores(LESSON)["why_not_cheaper"] == 3
    # Answered: left to a person. Left as "YOUR ANSWER HERE": nbgrader gives 0.
    assert "why_not_cheaper" not in course.scores("reference", LESSON)
    assert course.scores("untouched", LESSON)["why_not_cheaper"] == 0


def test_reference_gets_full_marks(graded):
    course, _, _ = graded
    assert course.scores("reference", LESSON) == autograded_max(course) == {
        "test_signal_done": 4}


def test_untouched_notebook_gets_zero(graded):
    course, _, _ = graded
    assert set(course.scores("untouched", LESSON).values()) == {0}


def test_each_mistake_loses_its_test(graded):
    course, students, _ = graded
    for student, (mistake, failing) in students.items():
        assert checked(course.scores(student, LESSON)) == \
            dict(autograded_max(course), **{failing: 0}), mistake
