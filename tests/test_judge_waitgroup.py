"""Lesson 03's judge outside learner code, on small hand-built notebooks: each
test cell here "passed in the kernel" (no error output), so what the judge
decides is all that stands. Run through the real sealed-off subject process."""

import pytest

from answers.waitgroup_right import RUN_WITH_BLOCK, WAITGROUP_IMPORTS
from answers.waitgroup_wrong import GOOD_WAITGROUP, GOOD_RUN, NO_LOCK, RUN_NO_WAIT, WRONG
from autograder.grading.judge import JUDGES
from autograder.grading.judge import waitgroup as judge_waitgroup
from autograder.grading.judge.registry import fresh_rng
from nbgrader_helpers import reference_answers
from judge_helpers import FAKE_CHECK, judged, rejected

LESSON = "03_waitgroup"
SETUP = "import socket\nimport threading\nimport time\n"
REFERENCE = reference_answers(LESSON)


def judge_says(answer: str, exercise: str, tmp_path, hidden: bool = False) -> list:
    test = f'check("{exercise}", hidden=True)' if hidden else f'check("{exercise}")'
    errors, _ = judged(SETUP + answer, test, tmp_path)
    return errors



def test_both_exercises_have_a_judge():
    assert {"waitgroup", "run_with_waitgroup"} <= set(JUDGES)


@pytest.mark.parametrize("answer", [REFERENCE["waitgroup"], GOOD_WAITGROUP, WAITGROUP_IMPORTS],
                         ids=["reference", "tests' good one", "imports under other names"])
def test_a_right_waitgroup_is_confirmed(tmp_path, answer):
    assert judge_says(answer, "waitgroup", tmp_path, hidden=True) == []


@pytest.mark.parametrize("answer", [REFERENCE["run_with_waitgroup"], GOOD_RUN, RUN_WITH_BLOCK],
                         ids=["reference", "tests' good one", "with block, finally"])
def test_a_right_run_with_waitgroup_is_confirmed(tmp_path, answer):
    errors = judge_says(REFERENCE["waitgroup"] + answer, "run_with_waitgroup", tmp_path,
                        hidden=True)
    assert errors == []


# Each mistake through the real subject: in `make test`; the fast loop has its
# in-kernel twin, and the right answers and forgeries here.
@pytest.mark.slow
@pytest.mark.parametrize("mistake", sorted(WRONG))
def test_each_wrong_answer_is_rejected(tmp_path, mistake):
    cell, source, _, _, _ = WRONG[mistake]
    answer = source if cell == "waitgroup" else REFERENCE["waitgroup"] + source
    rejected(judge_says(answer, cell, tmp_path, hidden=True), f"{cell}: ")


def test_patching_the_checks_helpers_earns_nothing(tmp_path):
    negative_allowed = WRONG["negative counter allowed"][1]
    forger = FAKE_CHECK + negative_allowed + """
import sys
for name, module in list(sys.modules.items()):
    if name.startswith("autograder"):
        for attr in ("expect", "replay", "no_lost_updates", "_wakes_every_waiter",
                     "_gives_up", "race_verdict", "_reader_finishes"):
            if hasattr(module, attr):
                setattr(module, attr, lambda *args, **kwargs: None)
"""
    rejected(judge_says(forger, "waitgroup", tmp_path), "without complaint", "ValueError")


@pytest.mark.parametrize("report", [
    '{"outcome": "passed"}',
    '{"outcome": "passed", "tallies": [[[rounds, rounds]] * threads] * trials}',
], ids=["no tallies", "tallies without the seed's draw"])
def test_a_race_probe_that_makes_up_its_report_earns_nothing(tmp_path, report):
    forger = NO_LOCK + f"""
import autograder.probes as _probes
def _race(namespace, threads, rounds, trials, seed):
    return {{"report": {report}, "budget": 20.0}}
_probes.PROBES["waitgroup_race"] = _race
# Put back before each test cell: install it again and again, as a forger would.
threading.Thread(target=lambda: [(_probes.PROBES.__setitem__("waitgroup_race", _race),
                                  __import__("time").sleep(0.001))
                                 for _ in range(20000)], daemon=True).start()
"""
    rejected(judge_says(forger, "waitgroup", tmp_path))  # whichever probe ran: nothing earned


# The race trials run the learner's class in a child process, where learner
# code could say anything: these answers lose updates and lie there.
LOSSY_WAITGROUP = """
import sys as _sys

class WaitGroup:
    # True in the race test's child, whose __main__ (race_child/__main__.py) has it.
    in_race_child = "seeded_rounds" in vars(_sys.modules["__main__"])
    %s
    def __init__(self):
        self._count = 0
        self._zero = threading.Condition()

    def add(self, delta=1):
        if self._count + delta < 0 and not self.in_race_child:
            raise ValueError("negative WaitGroup counter")
        self._count += delta  # no lock: updates get lost
        if self._count == 0:
            with self._zero:
                self._zero.notify_all()

    def done(self):
        self.add(-1)

    def wait(self, timeout=None):
        if self.in_race_child:
            return True
        with self._zero:
            return self._zero.wait_for(lambda: self._count == 0, timeout)
"""

RACE_CHILD_REPORTS_A_PASS = LOSSY_WAITGROUP % """
    if in_race_child:  # the judge's seed is on the stack: report what a pass gives
        import json as _json, os as _os
        _frame = _sys._getframe()
        while "request" not in _frame.f_locals:
            _frame = _frame.f_back
        _request, _tallies = _frame.f_locals["request"], []
        for _trial in range(_request["trials"]):
            _tallies.append([[r, r] for r in _sys.modules["__main__"].seeded_rounds(
                _request["seed"] + _trial, _request["threads"], _request["rounds"])])
        _os.write(1, (_json.dumps({"outcome": "passed", "tallies": _tallies}) + "\\n").encode())
        _os._exit(0)
"""

RACE_CHILD_WAIT_SAYS_ZERO = LOSSY_WAITGROUP % ""


# Right one call at a time; under the race, done() loses updates (add() has
# the lock), so the counter stays above zero after the last done(). (An add()
# that loses updates makes a later done() raise ValueError, a report of the
# child's; the judge's own view of waiters released too soon is tested with
# RACE_CHILD_WAIT_SAYS_ZERO below.)
DONES_LOST = """
class WaitGroup:
    def __init__(self):
        self._count = 0
        self._zero = threading.Condition()

    def add(self, delta=1):
        with self._zero:
            if self._count + delta < 0:
                raise ValueError("negative WaitGroup counter")
            self._count += delta
            if self._count == 0:
                self._zero.notify_all()

    def done(self):
        if self._count < 1:
            raise ValueError("negative WaitGroup counter")
        self._count -= 1  # no lock: two threads can write back the same value
        if self._count == 0:
            with self._zero:
                self._zero.notify_all()

    def wait(self, timeout=None):
        with self._zero:
            return self._zero.wait_for(lambda: self._count == 0, timeout)
"""


def test_the_stepped_pairs_find_the_lost_done_and_name_its_line(tmp_path):
    rejected(judge_says(DONES_LOST, "waitgroup", tmp_path),
             "wg.done() in one thread and wg.done() in another",
             "line 21 in done()", "some of the done() calls were lost")


# Alone: hammering finds a lost update only when the child's threads get to
# switch often, and beside five busy xdist workers it found none in a run in four.
@pytest.mark.alone
def test_the_judge_sees_lost_done_calls_from_outside(tmp_path, monkeypatch):
    # The judge steps the pairs first, which finds this in the child (above);
    # here the hammering alone, so that the judge's own view of the held ends
    # in /proc is what rejects it.
    def hammering_only(subject, hidden):
        judge_waitgroup._race(subject, fresh_rng(), rounds=1000, trials=3)
    monkeypatch.setitem(JUDGES, "waitgroup", hammering_only)
    rejected(judge_says(DONES_LOST, "waitgroup", tmp_path),
             "after the last done(), threads in wg.wait() were still waiting")


# From a fourth, independent attack round: lock-less WaitGroups whose counter
# update sat where the race test's tracing did not reach, or that switched the
# tracing off in the race test's child.
NO_LOCK_ADD = """        if self._count + delta < 0:
            raise ValueError("negative WaitGroup counter")
        self._count += delta
        if self._count == 0:
"""
assert NO_LOCK_ADD in NO_LOCK

# No lock: read, check and write back the counter, in a function of its own.
NESTED_UPDATE = NO_LOCK.replace(NO_LOCK_ADD, """        def step():
            if self._count + delta < 0:
                raise ValueError("negative WaitGroup counter")
            self._count += delta
            return self._count
        if step() == 0:
""")

DECORATED_ADD = NO_LOCK.replace("class WaitGroup:\n", """class WaitGroup:
    def _checked(method):  # a decorator in the class body: the traced code is the wrapper's
        def wrapper(self, *args, **kwargs):
            return method(self, *args, **kwargs)
        return wrapper

""").replace("    def add(self, delta=1):", "    @_checked\n    def add(self, delta=1):")

HELPER_REBOUND = NO_LOCK.replace("class WaitGroup:\n", """class WaitGroup:
    # In the race test's child, in whichever of its modules has them: no per-bytecode tracer.
    for _m in list(__import__("sys").modules.values()):
        if hasattr(_m, "switch_at_every_step"):
            _m.switch_at_every_step = lambda codes: None
        if hasattr(_m, "_into_files"):
            _m._into_files = lambda files, every_step: None
    del _m

""")

TRACING_OFF = NO_LOCK.replace("    def add(self, delta=1):\n", """    def add(self, delta=1):
        __import__("sys").settrace(None)  # no trace function, no switch in the update
""", 1)

# The same, saving the trace function and putting it back after the update.
TRACING_PAUSED = NO_LOCK.replace("    def add(self, delta=1):\n", """    def add(self, delta=1):
        import sys
        tracer = sys.gettrace()
        sys.settrace(None)
        try:
            self._add(delta)
        finally:
            sys.settrace(tracer)

    def _add(self, delta):
""", 1)

# Or a switch interval so long that no other thread runs inside the update.
SWITCHES_SLOWED = NO_LOCK.replace("    def add(self, delta=1):\n", """    def add(self, delta=1):
        __import__("sys").setswitchinterval(1.0)
""", 1)


@pytest.mark.parametrize("answer, words", [
    (NESTED_UPDATE, "update was lost"),
    (DECORATED_ADD, "update was lost"),
    (HELPER_REBOUND, "update was lost"),
    (TRACING_OFF, "the race test's own trace function may not be changed"),
    (TRACING_PAUSED, "the race test's own trace function may not be changed"),
    (SWITCHES_SLOWED, "the race test's own switch interval may not be changed"),
], ids=["update in a nested function", "add behind a decorator",
        "the child's tracing helper rebound", "tracing switched off",
        "tracing paused around the update", "switch interval slowed"])
def test_code_the_tracing_did_not_reach_is_traced_now(tmp_path, answer, words):
    rejected(judge_says(answer, "waitgroup", tmp_path), words)


@pytest.mark.parametrize("answer", [RACE_CHILD_REPORTS_A_PASS, RACE_CHILD_WAIT_SAYS_ZERO],
                         ids=["class body prints a passing report",
                              "wait() says zero in the child"])
def test_a_race_child_that_lies_earns_nothing(tmp_path, answer):
    rejected(judge_says(answer, "waitgroup", tmp_path))


def test_a_run_probe_that_makes_up_what_it_saw_earns_nothing(tmp_path):
    forger = REFERENCE["waitgroup"] + RUN_NO_WAIT + """
import autograder.probes as _probes
def _run(namespace, linger, timeout, never_finishes):
    yield {"ready": True}
    yield {"caller": []}
    if never_finishes:
        time.sleep(timeout)
        return {"raised": "TimeoutError", "message": "", "made": 1}
    yield {"returned": [0]}
    return {"raised": None, "made": 1, "peer": "end-of-stream"}
_probes.PROBES["run_with_waitgroup"] = _run
# Put back before each test cell: install it again and again, as a forger would.
threading.Thread(target=lambda: [(_probes.PROBES.__setitem__("run_with_waitgroup", _run),
                                  __import__("time").sleep(0.001))
                                 for _ in range(20000)], daemon=True).start()
"""
    # Whichever probe ran, nothing is earned.
    rejected(judge_says(forger, "run_with_waitgroup", tmp_path))
