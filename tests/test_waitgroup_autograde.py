"""Lesson 03 graded end to end: real nbgrader, through the course's batch grader."""

import pytest

from answers.waitgroup_right import RIGHT
from answers.waitgroup_wrong import WRONG
from nbgrader_helpers import LessonGradingTests

LESSON = "03_waitgroup"
pytestmark = [pytest.mark.slow, pytest.mark.grading]


class TestLesson03(LessonGradingTests):
    lesson = LESSON
    mistakes = {m: ({cell: source}, failing) for m, (cell, source, failing, _, _) in WRONG.items()}
    variants = {v: {cell: source} for v, (cell, source) in RIGHT.items()}
