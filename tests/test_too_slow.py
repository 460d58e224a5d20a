"""A case that misses a time bound is tried again: three counted tries, and
tries the machine itself slowed (CPU pressure) are not counted, up to a cap."""


import pytest

from autograder.exercises import too_slow
from overload import needs_pressure_figures, overloaded
from autograder.exercises.harness import TooSlow, retry_when_too_slow
from autograder.grading.judge.subject import Rejected
from autograder.grading.judge.too_slow import TooSlow as JudgedTooSlow
from autograder.grading.judge.too_slow import retried


def always_too_slow(tries: list) -> None:
    tries.append(1)
    raise TooSlow("took 0.30 s; the bound is 0.10 s")


def test_a_case_slow_every_time_fails_after_three_tries_on_a_quiet_machine(monkeypatch):
    monkeypatch.setattr(too_slow, "OVERLOADED", 2.0)  # never overloaded
    tries = []
    with pytest.raises(TooSlow, match=r"the bound is 0.10 s \(in each of 3 tries\)"):
        retry_when_too_slow(lambda: always_too_slow(tries))
    assert len(tries) == too_slow.TRIES


def test_a_case_slow_once_passes_on_its_next_try():
    tries = []

    def slow_once():
        tries.append(1)
        if len(tries) == 1:
            raise TooSlow("late once")
        return "done"
    assert retry_when_too_slow(slow_once) == "done" and len(tries) == 2


def test_the_judge_gives_up_with_a_rejection_that_names_the_tries(monkeypatch):
    monkeypatch.setattr(too_slow, "OVERLOADED", 2.0)

    def late():
        raise JudgedTooSlow("still running 100 ms after the call")
    with pytest.raises(Rejected, match=r"\(in each of 3 tries\)") as raised:
        retried(late)
    assert not isinstance(raised.value, JudgedTooSlow)


def test_other_failures_are_not_tried_again():
    tries = []

    def wrong():
        tries.append(1)
        raise Rejected("wrong")
    with pytest.raises(Rejected, match="^wrong$"):
        retried(wrong)
    assert len(tries) == 1


@pytest.mark.slow  # it loads every core for a few seconds
@needs_pressure_figures
def test_tries_on_an_overloaded_machine_are_not_counted_up_to_a_cap():
    """Real load: three busy processes per core. Every try is slow and the
    machine is overloaded throughout, so all are excused but the cap: an
    answer slow by design still fails, after TRIES + EXCUSED tries."""
    with overloaded(seconds=20):
        tries = []

        def slow_under_load():
            tries.append(1)
            sum(range(2_000_000))  # work that has to wait for a CPU (~50 ms unloaded)
            raise TooSlow("late")
        with pytest.raises(TooSlow, match=rf"in each of {too_slow.TRIES + too_slow.EXCUSED}"):
            retry_when_too_slow(slow_under_load)
        assert len(tries) == too_slow.TRIES + too_slow.EXCUSED
