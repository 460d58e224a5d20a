"""Lesson 01 through real `nbgrader generate_assignment` and `nbgrader autograde`."""

import html
import re

import pytest

from answers.leaky_consumer import RIGHT, WRONG
from nbgrader_helpers import REFERENCE, Course, reference_answers

LESSON = "01_leaky_consumer"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = Course.create(tmp_path_factory.mktemp("lesson01"), LESSON)
    course.submit_reference("reference", LESSON)
    course.submit("untouched", LESSON)
    students = {}
    for number, (mistake, (grade_id, source, failing, _)) in enumerate(sorted(WRONG.items())):
        student = f"wrong{number:02d}"
        answers = {cell: REFERENCE for cell in reference_answers(LESSON)}
        course.submit(student, LESSON, dict(answers, **{grade_id: source}))
        students[student] = (mistake, failing)
    for number, (grade_id, source) in enumerate(RIGHT[v] for v in sorted(RIGHT)):
        answers = {cell: REFERENCE for cell in reference_answers(LESSON)}
        course.submit(f"right{number:02d}", LESSON, dict(answers, **{grade_id: source}))
    done = course.batch_grade(LESSON)
    return course, students, done


def test_the_batch_completes(graded):
    course, students, done = graded
    assert done.returncode == 0, done.stderr[-3000:]


def test_reference_gets_full_marks(graded):
    course, _, _ = graded
    assert course.scores("reference", LESSON) == course.max_scores(LESSON)


def test_correct_answers_written_differently_get_full_marks(graded):
    course, _, _ = graded
    for number, variant in enumerate(sorted(RIGHT)):
        assert course.scores(f"right{number:02d}", LESSON) == course.max_scores(LESSON), variant


def test_untouched_notebook_gets_zero(graded):
    course, _, _ = graded
    assert set(course.scores("untouched", LESSON).values()) == {0}


def test_each_mistake_loses_exactly_its_own_test(graded):
    course, students, _ = graded
    full = course.max_scores(LESSON)
    for student, (mistake, failing) in students.items():
        expected = dict(full, **{failing: 0})
        assert course.scores(student, LESSON) == expected, mistake


def test_feedback_shows_verdicts_but_not_hidden_tests(graded):
    course, students, _ = graded
    from autograder.grading.nbgrader_cli import nbgrader
    nbgrader("generate_feedback", LESSON, "--force", cwd=course.root)
    wrong = next(s for s, (_, failing) in students.items() if failing == "test_robust_stop")
    page = (course.root / "feedback" / wrong / LESSON / f"{LESSON}.html").read_text()
    text = html.unescape(re.sub(r"<[^>]+>", "", page))  # code is split into spans
    assert "robust_stop: not yet" in text  # the learner's verdict is there
    assert "hidden=True" not in text and "HIDDEN" not in text  # hidden tests are not
    assert "hidden tests were run here" in text
    assert "most recent call last" not in text
