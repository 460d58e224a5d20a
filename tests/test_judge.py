"""The judge outside learner code, on small hand-built notebooks: each test
cell here "passed in the kernel" (no error output), so what the judge decides
is all that stands. Run through the real sealed-off subject process."""

import random

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from autograder.grading.judge import JUDGES, exercises_checked
from judge_helpers import judge_all, judged, notebook, rejected

RIGHT_CONSUMER = """
def consumer(ch, out):
    while True:
        item = ch.get()
        if item == 0:
            return
        out.append(item)
"""

RIGHT_SESSION = RIGHT_CONSUMER + """
import queue, threading
def run_session(words):
    ch, started, counts = queue.Queue(), [], []
    def stop_all():
        for _ in started:
            ch.put(0)
        for thread in started:
            thread.join()
        started.clear()
    for word in words:
        if word == "exit":
            stop_all()
            continue
        thread = threading.Thread(target=consumer, args=(ch, []))
        thread.start()
        started.append(thread)
        counts.append(threading.active_count())
    stop_all()
    return counts
"""


def test_the_exercises_a_test_cell_checks_are_read_from_its_source():
    source = ('from autograder import check\ncheck("consumer_exit")\n'
              '### BEGIN HIDDEN TESTS\ncheck("consumer_exit", hidden=True)\n'
              "check('run_session')\n### END HIDDEN TESTS\n")
    assert exercises_checked(source) == {"consumer_exit": True, "run_session": False}
    assert {"consumer_exit", "run_session", "robust_stop"} <= set(JUDGES)


@pytest.mark.parametrize("answer,exercise", [(RIGHT_CONSUMER, "consumer_exit"),
                                              (RIGHT_SESSION, "run_session")])
def test_a_right_answer_is_confirmed(tmp_path, answer, exercise):
    errors, _ = judged(answer, f'check("{exercise}", hidden=True)', tmp_path)
    assert errors == []


@pytest.mark.parametrize("answer,words", [
    (RIGHT_CONSUMER.replace("return\n", "continue\n"), "should still hold"),
    (RIGHT_CONSUMER.replace("out.append(item)", "out.append(str(item))"), "out should be"),
    ("", "consumer is not defined"),
])
def test_a_wrong_consumer_that_passed_in_the_kernel_is_not_confirmed(tmp_path, answer, words):
    errors, found = judged(answer, 'check("consumer_exit")', tmp_path)
    assert [e.ename for e in errors] == ["NotConfirmed"]
    assert words in errors[0].evalue or "consumer thread(s) still ran" in errors[0].evalue
    assert [i["kind"] for i in found] == ["recheck"]


# The probe's consumers linger after their work, so that an answer that does
# not wait for them is seen returning while they run; a consumer that the
# answer's thread is joining for longer than that ends it at once. Right
# answers that wait another way are confirmed too (they wait out the linger);
# waiting with a timeout shorter than the linger, or in a thread other than
# the answer's, is not waiting.
@pytest.mark.parametrize("answer", [
    RIGHT_SESSION.replace("thread.join()", "thread.join(timeout=None)"),
    RIGHT_SESSION.replace("thread.join()", "while thread.is_alive(): time.sleep(0.01)")
    .replace("import queue", "import queue, time"),
], ids=["join(timeout=None)", "polls is_alive()"])
def test_a_session_that_waits_its_own_way_is_confirmed(tmp_path, answer):
    errors, _ = judged(answer, 'check("run_session", hidden=True)', tmp_path)
    assert errors == []


@pytest.mark.parametrize("answer,words", [
    (RIGHT_SESSION.replace("thread.join()", "pass"), "still ran"),
    (RIGHT_SESSION.replace("thread.join()", "thread.join(0.05)"), "still ran"),
    (RIGHT_SESSION.replace("thread.join()", "threading.Thread(target=thread.join).start()"),
     "still ran"),
    # Read the probe's source: forge the record of a join that never happened.
    (RIGHT_SESSION.replace("import queue", "import gc, math, queue, time").replace(
        "thread.join()", "for probe in gc.get_objects():\n"
        "                if type(probe).__name__ == 'Joins':\n"
        "                    probe._until.setdefault(id(thread), []).append(math.inf)\n"
        "            time.sleep(0.05)"), "still ran"),
    ("import threading\ndef run_session(words):\n    n, c = 0, []\n    for w in words:\n"
     "        n = 0 if w == 'exit' else n + 1\n"
     "        c += [] if w == 'exit' else [threading.active_count() + n]\n    return c\n",
     "the judge saw 0 start"),
])
def test_a_session_that_fakes_its_counts_or_leaks_is_not_confirmed(tmp_path, answer, words):
    errors, _ = judged(answer, 'check("run_session")', tmp_path)
    assert [e.ename for e in errors] == ["NotConfirmed"]
    assert words in errors[0].evalue


def test_a_verdict_the_subject_was_not_asked_for_counts_for_nothing(tmp_path):
    forger = """
import sys, os
for frame in sys._current_frames().values():
    while frame is not None:
        if "channel" in frame.f_locals and "plan" in frame.f_locals:
            channel = frame.f_locals["channel"]
            for cell in frame.f_locals["plan"]["cells"]:
                channel.send(verdict=cell["index"], passed=True, message=None)
            channel.send(done=True)
            os._exit(0)
        frame = frame.f_back
"""
    errors, _ = judged(forger, 'check("consumer_exit")', tmp_path)
    assert [e.ename for e in errors] == ["NotConfirmed"]


def test_every_consumer_case_has_a_number_before_its_zero():
    """So an answer that keeps str(item) cannot pass on a draw of strings only."""
    from autograder.grading.judge.leaky_consumer import _consumer_cases
    for seed in range(500):
        for items, _ in _consumer_cases(random.Random(seed), hidden=True):
            before = items[:items.index(0)]
            assert not before or any(type(item) is not str for item in before), items


def _tagged(source: str, tag: str) -> nbformat.NotebookNode:
    return new_code_cell(source, metadata={"tags": [tag]})


def test_demonstrations_are_not_run_again_and_the_learners_own_cells_are(tmp_path):
    """A demonstration is skipped: one that would hang the re-check costs
    nothing. A cell the learner added (untagged) still runs: it may hold a
    helper the answer needs."""
    nb = notebook(RIGHT_CONSUMER.replace("out.append(item)", "keep(out, item)"),
                  'check("consumer_exit")')
    nb.cells.insert(0, new_code_cell("def keep(out, item):\n    out.append(item)\n"))
    nb.cells.insert(1, _tagged("import time\ntime.sleep(60)\n", "demo-pile-up"))
    nb.cells.insert(2, _tagged("import time\ntime.sleep(60)\n", "go-program-a"))
    assert judge_all(nb, tmp_path, total_timeout=20)[-1] == []


def test_an_answer_written_in_a_demonstration_is_not_seen_by_the_judge(tmp_path):
    nb = notebook("", 'check("consumer_exit")')
    nb.cells.insert(0, _tagged(RIGHT_CONSUMER, "demo-zero-as-data"))
    rejected(judge_all(nb, tmp_path)[-1], "consumer is not defined")


def test_a_test_or_answer_cell_tagged_as_a_demonstration_still_runs(tmp_path):
    nb = notebook(RIGHT_CONSUMER, 'check("consumer_exit")')
    for cell in nb.cells:
        cell.metadata["tags"] = ["demo-anything"]
    assert judge_all(nb, tmp_path)[-1] == []
