"""Lesson 06's stream_reader judged from outside, on hand-built notebooks
whose test cells "passed in the kernel" (no error output): what the judge
decides is all that stands. The judge plays the server itself on a listening
socket the learner's process hands over, and counts the loop's wake-ups in
``/proc``; it must agree with the in-kernel check on every answer of the
corpus, the colleague's held-out ones included."""

from __future__ import annotations

import os
import socket

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import autograder  # noqa: F401  (installs the thread-start hook first)
from autograder.grading.handing import receive_files
from autograder.grading.judge import JUDGES
from judge_helpers import judge_all, rejected

from answers.asyncio_heldout import HELDOUT
from answers.asyncio_lesson import READER_NEVER_CLOSES, READER_REFERENCE, RIGHT, WRONG

TEST = 'from autograder import check\ncheck("stream_reader")\ncheck("stream_reader", hidden=True)\n'

# What the judge must say of each held-out wrong answer (its comment says what is wrong).
HELD_OUT_WORDS = {
    "sr_wrong_await_before_close": ["raised TimeoutError"],
    "sr_wrong_cancel_no_close": ["still open when the call returned"],
    "sr_wrong_polling": ["the reader polls"],
    "sr_wrong_time_sleep": ["saw a reset", "not time.sleep"],
}

# name: (source, words the judge's message must hold; None: confirmed)
CORPUS = {
    **{name: (source, None) for name, (exercise, source) in RIGHT.items()
       if exercise == "stream_reader"},
    **{name: (source, words) for name, (exercise, source, words) in WRONG.items()
       if exercise == "stream_reader"},
    **{f"held out: {name}": (source, None if verdict == "pass" else HELD_OUT_WORDS[name])
       for name, (exercise, source, verdict) in HELDOUT.items()
       if exercise == "stream_reader"},
}

# Inside its own call, the answer makes the census and the in-kernel check
# see nothing wrong, then leaves the connection open and stops its reader:
# in the learner's kernel it passes.
BLINDS_THE_CHECK = READER_NEVER_CLOSES.replace(
    "async def read_then_stop(host, port, linger=0.2):\n",
    "async def read_then_stop(host, port, linger=0.2):\n"
    "    import autograder.exercises.stream_reader as seen\n"
    "    import autograder.tasks.fresh_loop as census\n"
    "    seen.problems_seen = lambda *args, **kwargs: []\n"
    "    census.Outcome.problems = lambda *args, **kwargs: []\n")


def alternating(answers: list[str], test: str = TEST) -> nbformat.NotebookNode:
    """Each answer cell followed by its test cell, one notebook: one subject."""
    cells = []
    for number, source in enumerate(answers):
        cells.append(new_code_cell(source, metadata={"nbgrader": {
            "grade_id": f"answer{number}", "solution": True, "grade": False,
            "locked": False}}))
        cells.append(new_code_cell(test, metadata={"nbgrader": {
            "grade_id": f"test{number}", "solution": False, "grade": True, "points": 1,
            "locked": True}}))
    return new_notebook(cells=cells)


def test_stream_reader_has_a_judge():
    assert "stream_reader" in JUDGES


def test_the_corpus_holds_right_wrong_and_held_out_answers():
    verdicts = [words is None for _, words in CORPUS.values()]
    assert verdicts.count(True) >= 4 and verdicts.count(False) >= 7, CORPUS.keys()


@pytest.mark.slow
def test_the_judge_agrees_with_the_teacher_on_every_answer(tmp_path):
    names = list(CORPUS)
    nb = alternating([CORPUS[name][0] for name in names])
    errors = judge_all(nb, tmp_path, total_timeout=300)[::2]  # the test cells (from cell 1)
    wrong = {}
    for name, found in zip(names, errors):
        words = CORPUS[name][1]
        if words is None:
            if found:
                wrong[name] = f"rejected: {found[0].evalue}"
        elif not found:
            wrong[name] = "confirmed"
        elif not all(word in found[0].evalue for word in words):
            wrong[name] = f"rejected without {words}: {found[0].evalue}"
    assert not wrong, wrong


def test_an_answer_that_blinds_the_in_kernel_check_is_rejected(tmp_path):
    import autograder.exercises.stream_reader as seen
    import autograder.tasks.fresh_loop as census
    from autograder.exercises import EXERCISES
    namespace: dict = {}
    exec(compile(BLINDS_THE_CHECK, "<answer>", "exec"), namespace)
    saved = seen.problems_seen, census.Outcome.problems
    try:  # the in-kernel check is fooled
        EXERCISES["stream_reader"].run(namespace, False)
    finally:
        seen.problems_seen, census.Outcome.problems = saved
    nb = alternating([BLINDS_THE_CHECK, READER_REFERENCE])
    blinded, reference = judge_all(nb, tmp_path)[::2]
    rejected(blinded, "still open when the call returned")
    assert reference == []


def test_files_handed_over_come_as_announced_or_none_is_kept():
    here, there = socket.socketpair()
    read_end, write_end = os.pipe()
    try:
        socket.send_fds(there, [b"H"], [read_end])
        [received] = receive_files(here, 1, 1.0)
        assert os.path.samestat(os.fstat(received), os.fstat(read_end))
        os.close(received)
        open_before = set(os.listdir("/proc/self/fd"))
        socket.send_fds(there, [b"H"], [write_end])
        with pytest.raises(ValueError, match="2 files announced, 1 received"):
            receive_files(here, 2, 1.0)
        assert set(os.listdir("/proc/self/fd")) == open_before
    finally:
        for fd in (read_end, write_end):
            os.close(fd)
        here.close()
        there.close()
