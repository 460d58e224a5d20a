"""Lesson 04's judge outside learner code, on small hand-built notebooks: each
test cell here "passed in the kernel" (no error output), so what the judge
decides is all that stands. Run through the real sealed-off subject process."""

import pytest

from answers.channels_vs_locks import (JOIN_IN_REVERSE, PROVIDED,
                                       WAITGROUP_DONE_IN_FINALLY, WRONG)
from autograder.grading.judge import JUDGES
from nbgrader_helpers import reference_answers
from judge_helpers import FAKE_CHECK, judged, rejected

SETUP = PROVIDED + "import queue\nimport threading\nimport time\n"
REFERENCE = reference_answers("04_channels_vs_locks")["signal_done"]


def judge_says(extra: str, tmp_path, hidden: bool = True) -> list:
    test = 'check("signal_done", hidden=True)' if hidden else 'check("signal_done")'
    errors, _ = judged(SETUP + REFERENCE + "\n" + extra, test, tmp_path)
    return errors



def test_signal_done_has_a_judge():
    assert "signal_done" in JUDGES


@pytest.mark.parametrize("extra", [
    "", REFERENCE.split("def signal_done_join")[0].replace("queue.Queue()", "queue.SimpleQueue()"),
    JOIN_IN_REVERSE, WAITGROUP_DONE_IN_FINALLY,
], ids=["reference", "SimpleQueue", "joined in reverse", "done() in finally"])
def test_a_right_answer_is_confirmed(tmp_path, extra):
    assert judge_says(extra, tmp_path) == []


# Each mistake through the real subject: in `make test`; the fast loop has its
# in-kernel twin, and the right answers and forgeries here.
@pytest.mark.slow
@pytest.mark.parametrize("mistake", sorted(WRONG))
def test_each_wrong_answer_is_rejected(tmp_path, mistake):
    _, source, _, words = WRONG[mistake]
    errors = judge_says(source, tmp_path, hidden=False)
    rejected(errors, "signal_done: ")
    # A WaitGroup counted below zero also lets the call return early: which of
    # the two the judge meets first is the scheduler's choice.
    also = ["returned while"] if mistake == "waitgroup, done twice" else []
    assert any(word in errors[0].evalue for word in words + also), errors[0].evalue


def test_patching_the_checks_helpers_earns_nothing(tmp_path):
    forger = FAKE_CHECK + WRONG["join, no threads"][1] + """
import sys
for name, module in list(sys.modules.items()):
    if name.startswith("autograder"):
        for attr in ("expect", "_signal_case", "_expect_each_index_once", "_join_used"):
            if hasattr(module, attr):
                setattr(module, attr, lambda *args, **kwargs: None)
"""
    rejected(judge_says(forger, tmp_path, hidden=False), "started no thread")


MADE_UP = """
import autograder.probes as _probes
def _signal(namespace, function, n):
    yield {"caller": []}
    %s
    yield {"returned": True}
    return {"result": list(range(n)), "workers": [f"worker {i}" for i in range(n)],
            "joined": [True] * n, "puts": n, "dones": n, "waits": 1, "errors": []}
_probes.PROBES["signal_done"] = _signal
# Put back before each test cell: install it again and again, as a forger would.
threading.Thread(target=lambda: [(_probes.PROBES.__setitem__("signal_done", _signal),
                                  __import__("time").sleep(0.001))
                                 for _ in range(20000)], daemon=True).start()
"""


@pytest.mark.parametrize("workers,words", [
    ("", "started no thread"),
    ("yield {'worker': threading.get_native_id()}", "new thread"),
], ids=["no worker announced", "an old thread announced as a worker"])
def test_a_probe_that_makes_up_its_data_earns_nothing(tmp_path, workers, words):
    forger = WRONG["join, no threads"][1] + MADE_UP % workers
    # The subject serves probes from a copy of the register made before any
    # learner code ran: the real probe answers, and the wrong answer earns nothing.
    rejected(judge_says(forger, tmp_path, hidden=False))
