"""Lesson 05's checks on both sides: the notebook's reference answers pass,
each known mistake fails with the words a learner needs, and right answers
written differently pass."""

import threading

import pytest

from answers import load, verdict
from answers.stopping_for_good import RIGHT, WRONG, closable_queue
from autograder import check
from autograder.exercises.stepping import PausedCall
from nbgrader_helpers import reference_answers

LESSON = "05_stopping_for_good"
pytestmark = pytest.mark.timeout(120)


def reference(name: str) -> dict:
    return load(reference_answers(LESSON)[name])


@pytest.mark.parametrize("name", ["closable_queue", "call_with_timeout"])
@pytest.mark.parametrize("hidden", [False, True])
def test_reference_passes(name, hidden, capsys):
    check(name, hidden=hidden, answers=reference(name))
    assert f"{name}: passed" in capsys.readouterr().out


def test_the_mistakes_start_from_the_reference():
    """The queue mistakes change one method of an answer that passes."""
    passed, printed, _ = verdict("closable_queue", load(closable_queue()))
    assert passed, printed


@pytest.mark.parametrize("mistake", sorted(WRONG))
def test_each_mistake_fails_with_its_message(mistake):
    name, source, words = WRONG[mistake]
    passed, printed, _ = verdict(name, load(source))
    assert not passed, f"{mistake} passed:\n{printed}"
    for word in words:
        assert word in printed, f"{mistake}: {word!r} missing from:\n{printed}"


@pytest.mark.parametrize("variant", sorted(RIGHT))
def test_right_answers_written_differently_pass(variant):
    name, source = RIGHT[variant]
    passed, printed, _ = verdict(name, load(source))
    assert passed, printed


@pytest.mark.parametrize("name, stub", [
    ("closable_queue", "class Closed(Exception):\n    pass\n\n\nclass ClosableQueue:\n"
                       "    def __init__(self):\n        raise NotImplementedError()\n"),
    ("call_with_timeout", "def call_with_timeout(work, timeout):\n"
                          "    raise NotImplementedError()\n"),
])
def test_an_unwritten_answer_says_so(name, stub):
    passed, printed, _ = verdict(name, load(stub))
    assert not passed
    assert "is not written yet" in printed


def test_threads_left_by_earlier_cells_are_not_counted():
    """A getter stuck for good in an earlier attempt costs the next one nothing."""
    stuck = load(WRONG["notify instead of notify_all"][1])
    queue = stuck["ClosableQueue"]()
    left_behind = threading.Thread(target=queue.get, name="left from an earlier cell",
                                   daemon=True)
    left_behind.start()
    try:
        for name in ("closable_queue", "call_with_timeout"):
            passed, printed, _ = verdict(name, reference(name))
            assert passed, printed
    finally:
        queue.put("done")


# --- stepping through learner code ---------------------------------------------------

STEPPED = '''
def three_lines(seen):
    seen.append(1)
    seen.append(2)
    seen.append(3)
    return len(seen)
'''


def test_a_paused_call_stops_before_the_line_asked_for_and_goes_on():
    three_lines = load(STEPPED)["three_lines"]
    seen: list = []
    call = PausedCall(three_lines, seen, stop_at=2, name="stepped")
    call.begin(lambda: False)
    assert call.stopped_at is not None and call.stopped_at.text == "seen.append(2)"
    assert seen == [1]  # held: the second line has not run
    call.go_on()
    assert call.join(1.0) and call.outcome == ("returned", 3)


def test_a_call_that_runs_out_of_lines_is_never_held():
    three_lines = load(STEPPED)["three_lines"]
    call = PausedCall(three_lines, [], stop_at=5, name="stepped")
    call.begin(lambda: False)
    call.go_on()
    assert call.join(1.0) and call.stopped_at is None and call.outcome == ("returned", 3)
