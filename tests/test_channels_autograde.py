"""Lesson 04 graded end to end: real nbgrader, through the course's batch grader."""

import pytest

from answers.channels_vs_locks import WRONG
from nbgrader_helpers import GradedLesson, LessonGradingTests, reference_answers

LESSON = "04_channels_vs_locks"
# One mistake per way of failing; the hanging one is left to the unit tests,
# because the benchmark cell would call it again, at seconds per call.
GRADED_MISTAKES = ["queue, no join", "join, no threads", "join, duplicates",
                   "waitgroup, not used"]
pytestmark = pytest.mark.slow


class TestLesson04(LessonGradingTests):
    @pytest.fixture(scope="class")
    @classmethod
    def graded(cls, tmp_path_factory):
        reference = reference_answers(LESSON)["signal_done"]
        mistakes = {}
        for mistake in GRADED_MISTAKES:
            grade_id, source, failing, _ = WRONG[mistake]
            # Appended to the reference: the wrong version replaces one function.
            mistakes[mistake] = ({grade_id: reference + "\n" + source}, failing)
        return GradedLesson.grade(tmp_path_factory.mktemp("lesson04"), LESSON, mistakes)

    def test_the_written_answer_is_manually_graded(self, graded):
        course = graded.course
        assert course.max_scores(LESSON)["why_not_cheaper"] == 3
        # Answered: left to a person. Left as "YOUR ANSWER HERE": nbgrader gives 0.
        assert "why_not_cheaper" not in course.scores("reference", LESSON)
        assert course.scores("untouched", LESSON)["why_not_cheaper"] == 0
