"""Lesson 02 graded end to end: real nbgrader, through the course's batch grader."""

import pytest

from answers.socket_reader_cells import CELLS, VARIANTS
from nbgrader_helpers import LessonGradingTests

LESSON = "02_socket_reader"
pytestmark = [pytest.mark.slow, pytest.mark.grading]


class TestLesson02(LessonGradingTests):
    lesson = LESSON
    mistakes = {m: ({"socket_shutdown": source}, frozenset(failing))
                for m, (source, failing) in CELLS.items()}
    variants = {v: {"socket_shutdown": source} for v, source in VARIANTS.items()}

    def test_one_answer_is_checked_by_two_tests(self, graded):
        assert set(graded.full()) == {"test_local_close", "test_peer_close"}
