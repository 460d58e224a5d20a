"""Lesson 01 graded end to end: real nbgrader, through the course's batch grader."""

import html
import re

import pytest

from answers.leaky_consumer import RIGHT, WRONG
from course_tools.nbgrader_cli import nbgrader
from nbgrader_helpers import LessonGradingTests

LESSON = "01_leaky_consumer"
pytestmark = [pytest.mark.slow, pytest.mark.grading]


class TestLesson01(LessonGradingTests):
    lesson = LESSON
    mistakes = {m: ({cell: source}, failing) for m, (cell, source, failing, _) in WRONG.items()}
    variants = {v: {cell: source} for v, (cell, source) in RIGHT.items()}

    def test_feedback_shows_verdicts_but_not_hidden_tests(self, graded):
        course = graded.course
        nbgrader("generate_feedback", LESSON, "--force", cwd=course.root)
        wrong = next(s for s, packed in graded.packed.items()
                     if "test_robust_stop" in packed.lost)
        page = (course.root / "feedback" / wrong / LESSON / f"{LESSON}.html").read_text()
        text = html.unescape(re.sub(r"<[^>]+>", "", page))  # code is split into spans
        assert "robust_stop: not yet" in text  # the learner's verdict is there
        assert "hidden=True" not in text and "HIDDEN" not in text  # hidden tests are not
        assert "hidden tests were run for this cell" in text
        assert "most recent call last" not in text
