"""Lesson 03's checks: the reference passes, each known mistake fails its own
check with the words a learner needs, and costs no other check."""

import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from answers import load
from answers.waitgroup_wrong import GOOD_RUN, GOOD_WAITGROUP, WRONG
from autograder import CheckFailed, check
from autograder.exercises.waitgroup import random_sequence, replay
from nbgrader_helpers import reference_answers

LESSON = "03_waitgroup"
CHECKS = {"test_waitgroup": "waitgroup", "test_run_with_waitgroup": "run_with_waitgroup"}


def namespace(**replaced):
    cells = reference_answers(LESSON)
    cells.update(replaced)
    return load("import socket", cells["waitgroup"], cells["run_with_waitgroup"])


@pytest.mark.parametrize("name", sorted(CHECKS.values()))
@pytest.mark.parametrize("hidden", [False, True])
def test_reference_passes(name, hidden, capsys):
    check(name, hidden=hidden, answers=namespace())
    assert f"{name}: passed" in capsys.readouterr().out


def test_the_mutants_start_from_the_reference(capsys):
    """The wrong answers differ from a passing answer by their one mistake."""
    answers = namespace(waitgroup=GOOD_WAITGROUP, run_with_waitgroup=GOOD_RUN)
    for name in CHECKS.values():
        check(name, answers=answers)


@pytest.mark.parametrize("mistake", sorted(WRONG))
def test_each_mistake_fails_its_own_check_only(mistake, capsys):
    grade_id, source, failing_test, words, hidden_only = WRONG[mistake]
    answers = namespace(**{grade_id: source})
    for test, name in CHECKS.items():
        if test != failing_test:
            check(name, answers=answers)
            continue
        if hidden_only:
            check(name, answers=answers)
        with pytest.raises(CheckFailed):
            check(name, hidden=hidden_only, answers=answers)
        printed = capsys.readouterr().out
        for word in words:
            assert word in printed, f"{mistake}: {word!r} missing from:\n{printed}"


def test_the_race_check_restores_the_switch_interval(capsys):
    interval = sys.getswitchinterval()
    with pytest.raises(CheckFailed):
        check("waitgroup", answers=namespace(waitgroup=WRONG["no lock around the counter"][1]))
    assert sys.getswitchinterval() == interval


def test_a_class_is_required(capsys):
    with pytest.raises(CheckFailed):
        check("waitgroup", answers={"WaitGroup": lambda: None})
    assert "should be a class" in capsys.readouterr().out


OPS = st.lists(st.one_of(st.tuples(st.just("add"), st.integers(-4, 4)),
                         st.just(("done", -1)), st.just(("wait", 0))), max_size=25)


def _goes_negative(ops):
    count = 0
    for kind, delta in ops:
        if kind != "wait" and count + delta < 0:
            return True
        count += 0 if kind == "wait" else delta
    return False


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS)
def test_replay_never_fails_a_correct_waitgroup(ops):
    replay(namespace()["WaitGroup"], ops)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS)
def test_replay_fails_a_negative_counter_exactly_when_it_goes_below_zero(ops):
    negative_allowed = load(WRONG["negative counter allowed"][1])["WaitGroup"]
    if _goes_negative(ops):
        with pytest.raises(CheckFailed, match="without complaint"):
            replay(negative_allowed, ops)
    else:
        replay(negative_allowed, ops)


def test_the_hidden_sequences_go_below_zero():
    """Else the hidden replays would add nothing to the visible ones."""
    import random
    rng = random.Random(2024)
    assert all(_goes_negative(random_sequence(rng, 40)) for _ in range(6))
