"""Lesson 06 graded end to end: real nbgrader, through the course's batch grader."""

import nbformat
import pytest

from answers.asyncio_lesson import RIGHT, SESSION_NEVER_STOPS, WRONG
from autograder.grading.incidents import incidents
from nbgrader_helpers import LessonGradingTests

LESSON = "06_asyncio_tasks"
# The mistakes the lesson's issue names; the others are left to the unit tests
# (tests/test_asyncio_checks.py), which run each through its check.
GRADED_MISTAKES = [
    "tasks kept in no variable", "consumers never stopped", "wait_for without cancelling the rest",
    "time.sleep in a coroutine", "the caller's cancellation swallowed",
    "a reader that polls with a timeout",
]
# An attack, not a mistake: the cell hides every task from asyncio.all_tasks,
# which the task census reads, and keeps its tasks so that none is collected.
# Its own kernel passes it; the re-check puts asyncio back before the test
# cell and finds the leak.
HIDES_ITS_TASKS = "KEPT = []  # so that no task is collected: nothing says destroyed\n" + \
    SESSION_NEVER_STOPS.replace(
        "            consumers.append(asyncio.create_task(consumer(queue)))\n",
        "            consumers.append(asyncio.create_task(consumer(queue)))\n"
        "            KEPT.append(consumers[-1])\n") + \
    "\nasyncio.all_tasks = lambda loop=None: set()\n"
assert "KEPT.append" in HIDES_ITS_TASKS
pytestmark = [pytest.mark.slow, pytest.mark.grading]


class TestLesson06(LessonGradingTests):
    lesson = LESSON
    mistakes = {m: ({WRONG[m][0]: WRONG[m][1]}, f"test_{WRONG[m][0]}") for m in GRADED_MISTAKES}
    mistakes["hides its tasks from asyncio.all_tasks"] = ({"task_session": HIDES_ITS_TASKS},
                                                          "test_task_session")
    variants = {v: {cell: source} for v, (cell, source) in RIGHT.items()}

    def test_the_hidden_tasks_are_reported_as_a_change_to_asyncio(self, graded):
        student, _ = graded.student_with("mistake: hides its tasks from asyncio.all_tasks")
        path = graded.course.root / "autograded" / student / LESSON / f"{LESSON}.ipynb"
        said = [i for i in incidents(nbformat.read(path, as_version=4)) if i["kind"] == "tampered"]
        assert said and "asyncio.all_tasks" in said[0]["detail"], said
