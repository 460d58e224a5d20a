"""Lesson 04's check on both sides: the notebook's reference answer passes, and
each known mistake fails with the words a learner needs."""

import threading

import pytest

from answers import load
from answers.channels_vs_locks import PROVIDED, WRONG
from autograder import CheckFailed, check
from autograder.exercises import channels_vs_locks as checks
from nbgrader_helpers import reference_answers

LESSON = "04_channels_vs_locks"


def namespace(extra: str = "") -> dict:
    """The provided cell, the notebook's reference answer, then ``extra``."""
    return load(PROVIDED, reference_answers(LESSON)["signal_done"], extra)


@pytest.mark.parametrize("hidden", [False, True])
def test_reference_passes(hidden, capsys):
    check("signal_done", hidden=hidden, answers=namespace())
    assert "signal_done: passed" in capsys.readouterr().out


def test_the_start_hook_is_gone_after_the_check():
    start = threading.Thread.start
    check("signal_done", answers=namespace())
    assert threading.Thread.start is start


def test_threads_started_outside_the_answer_are_not_recorded():
    """Threads started by threads other than the answer's are not its workers."""
    record = checks.CallRecord()
    release = threading.Event()
    with checks._watching(record, None):
        bystander = threading.Thread(target=release.wait)
        bystander.start()
    release.set()
    bystander.join()
    assert record.workers == []


@pytest.mark.parametrize("mistake", sorted(WRONG))
def test_each_mistake_fails_with_its_message(mistake, capsys):
    grade_id, source, _, words = WRONG[mistake]
    assert grade_id == "signal_done"
    with pytest.raises(CheckFailed):
        check("signal_done", answers=namespace(source))
    printed = capsys.readouterr().out
    for word in words:
        assert word in printed, f"{mistake}: {word!r} missing from:\n{printed}"


def test_unwritten_answer_says_so(capsys):
    stub = namespace("def signal_done_queue(n):\n    raise NotImplementedError()\n")
    with pytest.raises(CheckFailed):
        check("signal_done", answers=stub)
    assert "signal_done_queue(1) is not written yet" in capsys.readouterr().out


def test_a_stranger_in_the_result_is_named(capsys):
    source = WRONG["queue, not used"][1].replace("list(range(n))", "[str(i) for i in range(n)]")
    with pytest.raises(CheckFailed):
        check("signal_done", answers=namespace(source))
    assert "'0' is not a worker index" in capsys.readouterr().out


def test_the_signal_is_recognised_on_simple_queue_too(capsys):
    """SimpleQueue is written in C: its put is seen as a C call, not a Python one."""
    source = reference_answers(LESSON)["signal_done"].split("def signal_done_join")[0]
    check("signal_done", answers=namespace(source.replace("queue.Queue()",
                                                          "queue.SimpleQueue()")))
    assert "signal_done: passed" in capsys.readouterr().out


@pytest.mark.parametrize("mistake", ["queue, no join", "waitgroup, no join"])
def test_a_worker_still_running_is_named_by_its_target_never_by_the_checks_code(mistake, capsys):
    with pytest.raises(CheckFailed):
        check("signal_done", answers=namespace(WRONG[mistake][1]))
    printed = capsys.readouterr().out
    assert "<locals>.worker()" in printed and "in the check's pause after your worker" in printed
    assert "channels_vs_locks.py" not in printed and "WIND_DOWN" not in printed, printed
