"""A check grades an answer beside known-good pieces (a consumer, a robust
consumer, a WaitGroup), so a mistake in one exercise costs only its own test.
The student edition ships none of them, since each answers an exercise: there
a check runs the answer beside the learner's own piece, and a failure says
that the mistake may be in either."""

import pytest

from answers import load
from answers.leaky_consumer import ROBUST_ZERO_STOPS
from answers.waitgroup_wrong import RUN_NO_WAIT, WAIT_NEVER_GIVES_UP
from autograder import CheckFailed, check
from autograder.exercises import beside
from course_tools.demo_students import CONSUMER_NEVER_EXITS
from nbgrader_helpers import reference_answers

EDITION_NOTE = "This copy of the course has no known-good"


@pytest.fixture
def edition(monkeypatch):
    """The checks as the student edition has them: autograder/known_good left out."""
    monkeypatch.setattr(beside, "_consumers", None)
    monkeypatch.setattr(beside, "_waitgroup", None)


def lesson(name, *extra, **replaced):
    cells = reference_answers(name)
    cells.update(replaced)
    return load("import socket", *extra, *cells.values())


BROKEN_PIECES = {  # exercise: (lesson, the other answer broken, the piece named)
    "run_session": ("01_leaky_consumer", {"consumer_exit": CONSUMER_NEVER_EXITS}, "consumer"),
    "run_with_waitgroup": ("03_waitgroup", {"waitgroup": WAIT_NEVER_GIVES_UP}, "WaitGroup"),
}


@pytest.mark.parametrize("exercise", sorted(BROKEN_PIECES))
def test_a_broken_piece_costs_only_its_own_test(exercise, capsys):
    name, broken, _ = BROKEN_PIECES[exercise]
    check(exercise, answers=lesson(name, **broken))
    assert f"{exercise}: passed" in capsys.readouterr().out


@pytest.mark.parametrize("exercise", ["run_session", "robust_stop", "run_with_waitgroup"])
def test_in_the_edition_right_answers_pass_beside_the_learners_own_pieces(
        exercise, edition, capsys):
    name = "03_waitgroup" if exercise == "run_with_waitgroup" else "01_leaky_consumer"
    check(exercise, answers=lesson(name))
    assert f"{exercise}: passed" in capsys.readouterr().out


@pytest.mark.parametrize("exercise", sorted(BROKEN_PIECES))
def test_in_the_edition_a_broken_piece_fails_and_the_check_says_whose(
        exercise, edition, capsys):
    name, broken, piece = BROKEN_PIECES[exercise]
    with pytest.raises(CheckFailed):
        check(exercise, answers=lesson(name, **broken))
    printed = capsys.readouterr().out
    assert f"{EDITION_NOTE} {piece}" in printed
    assert f"ran {exercise} with your own {piece}, and the mistake may be in either" in printed


def test_in_the_edition_stop_consumers_runs_beside_the_learners_robust_consumer(
        edition, capsys):
    """A robust_consumer that stops on 0 fails its own case first, and says
    nothing of known-good pieces: the mistake is its own."""
    with pytest.raises(CheckFailed):
        check("robust_stop", answers=lesson("01_leaky_consumer", robust_stop=ROBUST_ZERO_STOPS))
    printed = capsys.readouterr().out
    assert "item is STOP" in printed and EDITION_NOTE not in printed


def test_in_the_edition_a_missing_piece_is_asked_for(edition, capsys):
    answers = lesson("01_leaky_consumer")
    del answers["consumer"]
    with pytest.raises(CheckFailed):
        check("run_session", answers=answers)
    assert "run the cell that defines consumer first" in capsys.readouterr().out


def test_outside_the_edition_failures_do_not_mention_it(capsys):
    broken = lesson("03_waitgroup", run_with_waitgroup=RUN_NO_WAIT)
    with pytest.raises(CheckFailed):
        check("run_with_waitgroup", answers=broken)
    assert EDITION_NOTE not in capsys.readouterr().out
