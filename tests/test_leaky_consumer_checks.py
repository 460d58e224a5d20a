"""Lesson 01's checks: the reference passes, each known mistake fails its own
check with the words a learner needs, and costs no other check."""

import threading

import pytest

from answers import load
from answers.leaky_consumer import RIGHT, SESSION_LITERAL_PORT, WRONG
from autograder import CheckFailed, check
from nbgrader_helpers import reference_answers

LESSON = "01_leaky_consumer"
CHECKS = {"test_consumer_exit": "consumer_exit", "test_run_session": "run_session",
          "test_robust_stop": "robust_stop"}


def reference_namespace(**replaced):
    cells = reference_answers(LESSON)
    cells.update(replaced)
    return load(*(cells[k] for k in ("consumer_exit", "run_session", "robust_stop")))


@pytest.fixture(autouse=True)
def restore_threading():
    """Some wrong answers replace threading functions; put them back."""
    saved = {n: getattr(threading, n) for n in ("active_count", "enumerate")}
    yield
    for name, func in saved.items():
        setattr(threading, name, func)


@pytest.mark.parametrize("name", sorted(CHECKS.values()))
@pytest.mark.parametrize("hidden", [False, True])
def test_reference_passes(name, hidden, capsys):
    check(name, hidden=hidden, answers=reference_namespace())
    assert f"{name}: passed" in capsys.readouterr().out


@pytest.mark.parametrize("mistake", sorted(WRONG))
def test_each_mistake_fails_its_own_check_only(mistake, capsys):
    grade_id, source, failing_test, words = WRONG[mistake]
    answers = reference_namespace(**{grade_id: source})
    for test, name in CHECKS.items():
        if test == failing_test:
            with pytest.raises(CheckFailed):
                check(name, answers=answers)
            printed = capsys.readouterr().out
            for word in words:
                assert word in printed, f"{mistake}: {word!r} missing from:\n{printed}"
        else:
            check(name, answers=answers)


def test_a_missing_answer_says_what_to_define(capsys):
    with pytest.raises(CheckFailed):
        check("robust_stop", answers={"STOP": object()})
    assert "robust_consumer, stop_consumers are not defined" in capsys.readouterr().out


def test_an_unwritten_answer_says_so(capsys):
    answers = load("def consumer(ch, out):\n    raise NotImplementedError()\n")
    with pytest.raises(CheckFailed):
        check("consumer_exit", answers=answers)
    assert "not written yet" in capsys.readouterr().out


def test_an_unknown_exercise_is_a_clear_error():
    with pytest.raises(ValueError, match="no exercise called 'nope'"):
        check("nope")


@pytest.mark.parametrize("variant", sorted(RIGHT))
def test_correct_answers_written_differently_pass(variant):
    grade_id, source = RIGHT[variant]
    answers = reference_namespace(**{grade_id: source})
    for hidden in (False, True):  # as a test cell runs them: visible cases, then hidden
        check(CHECKS[f"test_{grade_id}"], hidden=hidden, answers=answers)


# Which words the verdict uses hangs on whether the consumers had their stop
# values before the call returned: beside five busy xdist workers they had
# not, and the verdict said "returned before" instead. So it runs alone.
@pytest.mark.alone
def test_the_literal_port_hears_every_cause_in_words_it_knows(capsys):
    """In a kernel a dozen threads run besides the consumers, so the book's
    NumGoroutine()-1 stop values overshoot: the verdict names the surplus and
    the missing join together, and the check's own consumer as such."""
    release = threading.Event()
    kernel_like = [threading.Thread(target=release.wait, daemon=True) for _ in range(8)]
    for thread in kernel_like:
        thread.start()
    try:
        with pytest.raises(CheckFailed):
            check("run_session",
                  answers=reference_namespace(run_session=SESSION_LITERAL_PORT))
    finally:
        release.set()
    printed = capsys.readouterr().out
    for words in ("went wrong in 3 ways", "returned while", "join it",
                  "stop values in the queue", "the check's consumer, cleaning up for 20 ms",
                  "target consumer() (the check's consumer)"):
        assert words in printed, f"{words!r} missing from:\n{printed}"
    for grader_detail in ("leaky_consumer.py", "consumers.py", "known_good", "CLEANUP_SECONDS",
                          "_session_consumer", "<locals>"):
        assert grader_detail not in printed, printed


def test_the_learners_consumer_is_theirs_again_after_the_check():
    answers = reference_namespace()
    own = answers["consumer"]
    check("run_session", answers=answers)
    assert answers["consumer"] is own
