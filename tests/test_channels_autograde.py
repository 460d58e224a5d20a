"""Lesson 04 graded end to end: real nbgrader, through the course's batch grader."""

import pytest

from answers.channels_vs_locks import RIGHT, WRONG
from nbgrader_helpers import LessonGradingTests, reference_answers

LESSON = "04_channels_vs_locks"
# One mistake per way of failing; the hanging one is left to the unit tests,
# because the benchmark cell would call it again, at seconds per call.
GRADED_MISTAKES = ["queue, no join", "join, no threads", "join, duplicates",
                   "waitgroup, not used"]
pytestmark = [pytest.mark.slow, pytest.mark.grading]


def _appended_to_the_reference(grade_id: str, source: str) -> dict[str, str]:
    """The version given replaces one function of the reference."""
    return {grade_id: reference_answers(LESSON)["signal_done"] + "\n" + source}


class TestLesson04(LessonGradingTests):
    lesson = LESSON
    mistakes = {m: (_appended_to_the_reference(*WRONG[m][:2]), WRONG[m][2])
                for m in GRADED_MISTAKES}
    variants = {v: _appended_to_the_reference(*RIGHT[v]) for v in RIGHT}

    def test_the_written_answer_is_manually_graded(self, graded):
        course = graded.course
        assert course.max_scores(LESSON)["why_not_cheaper"] == 3
        # Answered: left to a person. Left as "YOUR ANSWER HERE": nbgrader gives 0.
        assert "why_not_cheaper" not in course.scores("reference", LESSON)
        assert course.scores("untouched", LESSON)["why_not_cheaper"] == 0
