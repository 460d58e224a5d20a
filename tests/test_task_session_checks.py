"""Lesson 06's run_session check on both sides: the reference passes, each
known mistake fails with the words a learner needs, right answers written
differently pass. (The notebook's own reference joins these when the lesson's
notebook exists.)"""

import contextlib
import io

import pytest

from answers import load
from answers.asyncio_lesson import RIGHT, SESSION_REFERENCE, WRONG
from autograder import CheckFailed, check

pytestmark = pytest.mark.timeout(120)


def verdict(name: str, answers: dict) -> tuple[bool, str]:
    """Visible cases, then hidden ones, as a graded cell runs them."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for hidden in (False, True):
            try:
                check(name, hidden=hidden, answers=answers)
            except CheckFailed:
                return False, printed.getvalue()
    return True, printed.getvalue()


def test_the_reference_passes_visible_and_hidden():
    passed, printed = verdict("task_session", load(SESSION_REFERENCE))
    assert passed, printed


@pytest.mark.parametrize("mistake", sorted(n for n, (g, *_) in WRONG.items()
                                           if g == "task_session"))
def test_each_mistake_fails_with_its_message(mistake):
    name, source, words = WRONG[mistake]
    passed, printed = verdict(name, load(source))
    assert not passed, printed
    for word in words:
        assert word in printed, f"{word!r} not in:\n{printed}"


@pytest.mark.parametrize("right", sorted(n for n, (g, _) in RIGHT.items()
                                         if g == "task_session"))
def test_right_answers_written_differently_pass(right):
    name, source = RIGHT[right]
    passed, printed = verdict(name, load(source))
    assert passed, printed


def test_a_plain_function_is_told_to_be_async():
    passed, printed = verdict("task_session", load("def run_session(words):\n    return []\n"))
    assert not passed and "async def run_session(words)" in printed
