"""Lesson 03's checks: the reference passes, each known mistake fails its own
check with the words a learner needs, and costs no other check."""

import linecache
import os
import sys
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from answers import load
from answers.waitgroup_right import CLASS_USING, WAITGROUP_IMPORTS
from answers.waitgroup_wrong import GOOD_RUN, GOOD_WAITGROUP, WRONG
from autograder import CheckFailed, check
from autograder.exercises import race_probe
from autograder.exercises.waitgroup import random_sequence, replay
from nbgrader_helpers import reference_answers
from overload import needs_pressure_figures, overloaded

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


def _threads_now():
    """The threads of this process, as the threading module and as Linux see them."""
    return ({t.ident for t in threading.enumerate()},
            set(os.listdir("/proc/self/task")))


def _new_threads_since(before, within=1.0):
    """Threads started since ``before`` still alive ``within`` s later, by both
    counts. (Threads of earlier tests may end meanwhile: the counts may drop.)"""
    end = time.monotonic() + within
    while True:
        registry, tasks = _threads_now()
        new = (registry - before[0], tasks - before[1])
        counts_back = (threading.active_count() <= len(before[0])
                       and len(tasks) <= len(before[1]))
        if (not any(new) and counts_back) or time.monotonic() > end:
            return new, counts_back
        time.sleep(0.02)


WAITGROUP_ANSWERS = {"the reference": (None, False),
                     **{mistake: (source, hidden_only)
                        for mistake, (grade_id, source, _, _, hidden_only) in WRONG.items()
                        if grade_id == "waitgroup"}}


@pytest.mark.parametrize("answer", sorted(WAITGROUP_ANSWERS))
def test_the_check_leaves_nothing_behind(answer, capsys):
    """Other checks run in the same kernel afterwards: no thread of this check
    may outlive it, and the race test's tracing and switch interval stay in
    its own process."""
    source, hidden = WAITGROUP_ANSWERS[answer]
    answers = namespace(**({} if source is None else {"waitgroup": source}))
    interval = sys.getswitchinterval()
    before = _threads_now()
    try:
        check("waitgroup", hidden=hidden, answers=answers)
    except CheckFailed:
        assert source is not None, capsys.readouterr().out
    new, counts_back = _new_threads_since(before)
    assert new == (set(), set()) and counts_back, (answer, threading.enumerate())
    assert sys.gettrace() is None
    assert sys.getswitchinterval() == interval


def test_the_race_test_runs_in_a_child_process(monkeypatch):
    """Its verdicts come from the child's report; the grading process only
    starts the child."""
    import autograder.exercises.waitgroup_race as checks
    seen = []

    def spy(request, timeout):
        seen.append(request)
        return race_probe.run_probe(request, timeout)
    monkeypatch.setattr(checks, "run_probe", spy)
    racy = load(WRONG["no lock around the counter"][1])["WaitGroup"]
    with pytest.raises(CheckFailed, match="update was lost"):
        checks.no_lost_updates(racy, threads=8, rounds=1000, trials=3)
    assert seen and "self._count += delta" in seen[0]["source"]
    assert seen[0]["globals"] == {"threading": {"module": "threading"}}


@pytest.mark.parametrize("report, words", [
    ({"outcome": "killed"}, ["did not finish within", "was stopped"]),
    ({"outcome": "crashed", "returncode": -11, "stderr": ["Fatal Python error"]},
     ["exit status -11", "Fatal Python error"]),
])
def test_a_child_that_overruns_or_crashes_gets_a_verdict(report, words, monkeypatch):
    import autograder.exercises.waitgroup_race as checks
    monkeypatch.setattr(checks, "run_probe", lambda request, timeout: report)
    with pytest.raises(CheckFailed) as failure:
        checks.no_lost_updates(namespace()["WaitGroup"], threads=2, rounds=1, trials=1)
    for word in words:
        assert word in str(failure.value)


def test_a_child_that_hangs_is_killed_on_time():
    spins = load("class WaitGroup:\n    def add(self, delta=1):\n        while True:\n"
                 "            pass\n")["WaitGroup"]
    request = race_probe.race_request(spins)
    request.update(threads=2, rounds=1, trials=1, deadline=30.0, at_once=1.0)
    began = time.monotonic()
    assert race_probe.run_probe(request, timeout=1.0) == {"outcome": "killed"}
    assert time.monotonic() - began < 3.0


def test_the_child_gets_the_modules_and_values_the_class_uses():
    cell = WAITGROUP_IMPORTS
    check("waitgroup", answers=load(cell))


def test_a_class_that_needs_other_notebook_code_is_told_so(capsys):
    cell = "def make_condition():\n    return threading.Condition()\n" + \
        CLASS_USING.format(make="make_condition()", floor="0")
    with pytest.raises(CheckFailed):
        check("waitgroup", answers=load(cell))
    out = capsys.readouterr().out
    assert "separate Python process" in out and "make_condition" in out


def test_a_class_without_its_source_is_told_so(capsys):
    namespace_ = load(GOOD_WAITGROUP)
    made = type("WaitGroup", (), dict(vars(namespace_["WaitGroup"])))
    linecache.cache.pop("/answers/cell_1.py")
    with pytest.raises(CheckFailed):
        check("waitgroup", answers={"WaitGroup": made})
    assert "class WaitGroup:` statement" in capsys.readouterr().out


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


# --- the stepped race test: the same verdict every run, whatever the load ------------------

STEPPED_ONLY = {"threads": 2, "rounds": 1, "trials": 0}  # no hammering after the steps
STEPPED_LOSSES = [("no lock around the counter", "in add(): self._count += delta"),
                  ("counter read outside the lock",
                   "in add(): count = self._count + delta")]


def stepped_verdicts(source: str, runs: int) -> set[str]:
    from autograder.exercises.waitgroup_race import no_lost_updates
    WaitGroup, verdicts = load(source)["WaitGroup"], set()
    for _ in range(runs):
        try:
            no_lost_updates(WaitGroup, **STEPPED_ONLY)
            verdicts.add("passed")
        except CheckFailed as failure:
            verdicts.add(str(failure))
    return verdicts


@pytest.mark.parametrize("mistake, line", STEPPED_LOSSES)
def test_the_stepped_race_test_names_the_line_of_a_lost_update_at_every_run(mistake, line):
    verdicts = stepped_verdicts(WRONG[mistake][1], runs=3)
    assert len(verdicts) == 1, verdicts
    verdict = verdicts.pop()
    assert line in verdict and "update was lost" in verdict, verdict


@pytest.mark.parametrize("answer", [GOOD_WAITGROUP, WAITGROUP_IMPORTS],
                         ids=["the course's", "modules imported under other names"])
def test_the_stepped_race_test_passes_a_right_waitgroup(answer):
    assert stepped_verdicts(answer, runs=2) == {"passed"}


@pytest.mark.slow  # it loads every core for a while
@needs_pressure_figures
def test_on_an_overloaded_machine_the_stepped_race_test_gives_the_same_verdicts():
    """Hammering alone (8 threads x 1000 rounds) missed lost done() calls in 9
    of 30 trials beside six busy processes on 2 cores; stepping does not
    depend on the scheduler to switch inside the update."""
    with overloaded(seconds=40):
        for mistake, line in STEPPED_LOSSES:
            verdicts = stepped_verdicts(WRONG[mistake][1], runs=3)
            assert len(verdicts) == 1 and line in verdicts.pop(), mistake
        assert stepped_verdicts(GOOD_WAITGROUP, runs=2) == {"passed"}


NO_LOCK = WRONG["no lock around the counter"][1]
STEPPING_REBOUND = NO_LOCK.replace("class WaitGroup:\n", """class WaitGroup:
    # In the race test's child, in whichever of its modules has them: no stepping.
    for _m in list(__import__("sys").modules.values()):
        for _name in ("stepped", "_one_step", "pausing_tracer"):
            if hasattr(_m, _name):
                setattr(_m, _name, lambda *args, **kwargs: (None, False))
    del _m, _name

""")


def test_stepping_rebound_by_the_class_body_still_steps():
    assert STEPPING_REBOUND != NO_LOCK
    verdicts = stepped_verdicts(STEPPING_REBOUND, runs=2)
    assert len(verdicts) == 1 and "in add(): self._count += delta" in verdicts.pop()
