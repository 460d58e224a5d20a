"""Lesson 03 graded end to end: real nbgrader, through the course's batch grader."""

import pytest

from answers.waitgroup_wrong import WRONG
from nbgrader_helpers import GradedLesson, LessonGradingTests

LESSON = "03_waitgroup"
pytestmark = pytest.mark.slow


class TestLesson03(LessonGradingTests):
    @pytest.fixture(scope="class")
    @classmethod
    def graded(cls, tmp_path_factory):
        return GradedLesson.grade(
            tmp_path_factory.mktemp("lesson03"), LESSON,
            mistakes={m: ({cell: source}, failing)
                      for m, (cell, source, failing, _, _) in WRONG.items()})
