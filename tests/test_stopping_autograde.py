"""Lesson 05 graded end to end: real nbgrader, through the course's batch grader."""

import pytest

from answers.stopping_for_good import RIGHT, WRONG
from nbgrader_helpers import LessonGradingTests

LESSON = "05_stopping_for_good"
# The mistakes the lesson's issue names; the others are left to the unit tests
# (tests/test_stopping_checks.py), which run each through both checks.
GRADED_MISTAKES = [
    "notify instead of notify_all", "get reads the flag without the lock",
    "get raises before the queue is drained", "get polls with a timeout",
    "a None per thread, disguised as close", "future.result(timeout) alone",
    "join(timeout) without cancelling", "a daemon thread", "cancelling without waiting",
]
pytestmark = [pytest.mark.slow, pytest.mark.grading]


class TestLesson05(LessonGradingTests):
    lesson = LESSON
    mistakes = {m: ({WRONG[m][0]: WRONG[m][1]}, f"test_{WRONG[m][0]}") for m in GRADED_MISTAKES}
    variants = {v: {cell: source} for v, (cell, source) in RIGHT.items()}
