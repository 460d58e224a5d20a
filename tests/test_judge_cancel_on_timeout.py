"""Lesson 06's first_within judged from outside, on hand-built notebooks
whose test cells "passed in the kernel" (no error output): what the judge
decides is all that stands. Each work the check hands to first_within is
tied to a pipe the judge holds, so the judge sees for itself which works had
ended when the call returned; it must agree with the in-kernel check on
every answer of the corpus, the colleague's held-out ones included."""

from __future__ import annotations

import pytest

import autograder  # noqa: F401  (installs the thread-start hook first)
from autograder.grading.judge import JUDGES
from judge_helpers import judge_all, rejected
from test_judge_stream_reader import alternating

from answers.asyncio_heldout import HELDOUT
from answers.asyncio_lesson import FIRST_NEVER_CANCELS, FIRST_REFERENCE, RIGHT, WRONG

TEST = ('from autograder import check\ncheck("cancel_on_timeout")\n'
        'check("cancel_on_timeout", hidden=True)\n')

# name: (source, words the judge's message must hold; None: confirmed)
CORPUS = {
    **{name: (source, None) for name, (exercise, source) in RIGHT.items()
       if exercise == "cancel_on_timeout"},
    **{name: (source, []) for name, (exercise, source, words) in WRONG.items()
       if exercise == "cancel_on_timeout"},
    **{f"held out: {name}": (source, None if verdict == "pass" else [])
       for name, (exercise, source, verdict) in HELDOUT.items()
       if exercise == "cancel_on_timeout"},
}

# Inside its own call, the answer makes the in-kernel check (and so the one
# the subject runs) find nothing wrong, and leaves the other works running.
BLINDS_THE_CHECK = FIRST_NEVER_CANCELS.replace(
    "async def first_within(timeout, *work):\n",
    "async def first_within(timeout, *work):\n"
    "    import autograder.exercises.cancel_on_timeout as seen\n"
    "    seen._verdict = lambda *args, **kwargs: []\n")


def test_first_within_has_a_judge():
    assert "cancel_on_timeout" in JUDGES


@pytest.mark.slow
def test_the_judge_agrees_with_the_teacher_on_every_answer(tmp_path):
    names = list(CORPUS)
    nb = alternating([CORPUS[name][0] for name in names], TEST)
    errors = judge_all(nb, tmp_path, total_timeout=300)[::2]  # the test cells (from cell 1)
    wrong = {}
    for name, found in zip(names, errors):
        words = CORPUS[name][1]
        if words is None and found:
            wrong[name] = f"rejected: {found[0].evalue}"
        elif words is not None and not found:
            wrong[name] = "confirmed"
    assert not wrong, wrong


def test_an_answer_that_blinds_the_check_inside_the_process_is_rejected(tmp_path):
    import autograder.exercises.cancel_on_timeout as seen
    from autograder.exercises import EXERCISES
    namespace: dict = {}
    exec(compile(BLINDS_THE_CHECK, "<answer>", "exec"), namespace)
    saved = seen._verdict
    try:  # the in-kernel check is fooled
        EXERCISES["cancel_on_timeout"].run(namespace, False)
    finally:
        seen._verdict = saved
    nb = alternating([BLINDS_THE_CHECK, FIRST_REFERENCE], TEST)
    blinded, reference = judge_all(nb, tmp_path)[::2]
    rejected(blinded, "had not ended", "cancel each task")
    assert reference == []
