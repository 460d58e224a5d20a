"""Lesson 05's judge outside learner code, on small hand-built notebooks: each
test cell here "passed in the kernel" (no error output), so what the judge
decides is all that stands. Run through the real sealed-off subject process."""

import pytest

from answers.stopping_for_good import RIGHT, WRONG
from autograder.grading.judge import JUDGES
from nbgrader_helpers import reference_answers
from judge_helpers import FAKE_CHECK, judged, rejected

REFERENCE = reference_answers("05_stopping_for_good")
# A get() that reads the flag outside the lock can miss the close() that ends
# the consumers too: which of the two the judge meets first is the scheduler's choice.
ALSO = {"get reads the flag without the lock": ["still waiting"]}


def judge_says(answer: str, exercise: str, tmp_path, hidden: bool = False) -> list:
    test = f'check("{exercise}", hidden=True)' if hidden else f'check("{exercise}")'
    errors, _ = judged(answer, test, tmp_path)
    return errors


def test_both_exercises_have_a_judge():
    assert {"closable_queue", "call_with_timeout"} <= set(JUDGES)


# Every right and wrong answer through the real subject takes a minute of the
# machine: in `make test`; the fast loop has their in-kernel twins
# (test_stopping_checks.py) and the forgeries below.
@pytest.mark.slow
@pytest.mark.parametrize("exercise, answer", [
    *((name, REFERENCE[name]) for name in ("closable_queue", "call_with_timeout")),
    *RIGHT.values(),
], ids=["reference queue", "reference call", *RIGHT])
def test_a_right_answer_is_confirmed(tmp_path, exercise, answer):
    assert judge_says(answer, exercise, tmp_path, hidden=True) == []


@pytest.mark.slow
@pytest.mark.parametrize("mistake", sorted(WRONG))
def test_each_wrong_answer_is_rejected(tmp_path, mistake):
    exercise, source, words = WRONG[mistake]
    errors = judge_says(source, exercise, tmp_path)
    rejected(errors, f"{exercise}: ")
    assert any(word in errors[0].evalue for word in words + ALSO.get(mistake, [])), \
        errors[0].evalue


@pytest.mark.slow
@pytest.mark.parametrize("mistake", sorted(m for m, (exercise, _, _) in WRONG.items()
                                     if exercise == "closable_queue"))
def test_each_wrong_queue_is_rejected_with_the_hidden_cases_too(tmp_path, mistake):
    """With the hidden cases, the judge runs the blocked getters and the
    consumers once, with the hidden counts in place of the visible ones: every
    mistake the visible counts catch, those catch too."""
    exercise, source, words = WRONG[mistake]
    errors = judge_says(source, exercise, tmp_path, hidden=True)
    rejected(errors, f"{exercise}: ")
    assert any(word in errors[0].evalue for word in words + ALSO.get(mistake, [])), \
        errors[0].evalue


@pytest.mark.parametrize("mistake", ["notify instead of notify_all",
                                     "join(timeout) without cancelling"])
def test_a_faked_check_earns_nothing(tmp_path, mistake):
    exercise, source, _ = WRONG[mistake]
    rejected(judge_says(FAKE_CHECK + source, exercise, tmp_path), f"{exercise}: ")


# A thread the call is joining, for longer than its linger, ends its linger at
# once (grading time). Only Python's own join() counts, as it is called: one
# that does not wait (here a Thread subclass's; a replaced Thread.join is put
# back before the judge's probes run) leaves the worker lingering, and caught.
HOLLOW_JOIN = WRONG["cancelling without waiting"][1].replace(
    "        cancelled.set()\n", "        cancelled.set()\n        worker.join(timeout)\n"
).replace("threading.Thread(target=run)", "Hollow(target=run)").replace(
    "def call_with_timeout", "class Hollow(threading.Thread):\n"
    "    def join(self, timeout=None):\n        threading.Thread.join(self, 0)\n\n\n"
    "def call_with_timeout")


def test_a_join_that_does_not_wait_does_not_cut_the_linger(tmp_path):
    assert "Hollow(target=run)" in HOLLOW_JOIN and "worker.join(timeout)\n        raise" \
        in HOLLOW_JOIN
    errors = judge_says(HOLLOW_JOIN, "call_with_timeout", tmp_path)
    rejected(errors, "call_with_timeout: ")
    assert "still" in errors[0].evalue, errors[0].evalue


PATCHES = """
import sys
for name, module in list(sys.modules.items()):
    if name.startswith("autograder"):
        for attr in %r:
            if hasattr(module, attr):
                setattr(module, attr, lambda *args, **kwargs: None)
"""


@pytest.mark.parametrize("mistake, helpers, words", [
    ("close reads the flag without the lock",
     ("expect", "races_case", "_step_through", "_close_meets_close", "_no_other_error",
      "wait_until_asleep", "call_answer", "races", "_new_queue", "_outcome"),
     "neither raised Closed"),
    ("join(timeout) without cancelling",
     ("expect", "_left_running", "_gave_up_case", "_ran", "_call", "call_case", "_raised",
      "_returned", "_worker", "_held_work", "budget"),
     "cancelled was never set"),
], ids=["closable_queue", "call_with_timeout"])
def test_patching_the_checks_helpers_earns_nothing(tmp_path, mistake, helpers, words):
    exercise, source, _ = WRONG[mistake]
    forger = FAKE_CHECK + source + PATCHES % (helpers,)
    rejected(judge_says(forger, exercise, tmp_path), words)


MADE_UP_RACES = """
import threading
import autograder.probes as _probes
def _races(namespace, hidden):
    return {"passed": True}
_probes.PROBES["queue_races"] = _races
# Put back before each test cell: install it again and again, as a forger would.
threading.Thread(target=lambda: [(_probes.PROBES.__setitem__("queue_races", _races),
                                  __import__("time").sleep(0.001))
                                 for _ in range(20000)], daemon=True).start()
"""


def test_a_races_probe_that_makes_up_its_verdict_earns_nothing(tmp_path):
    """The races' verdict is plain data from the learner's process, but the
    subject serves probes from a copy of the register made before learner
    code ran: the real races run, and the wrong answer earns nothing."""
    source = WRONG["close reads the flag without the lock"][1]
    rejected(judge_says(source + MADE_UP_RACES, "closable_queue", tmp_path),
             "neither raised Closed")
