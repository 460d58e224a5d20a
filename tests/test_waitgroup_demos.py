"""Pins what lesson 03's notebook says about runtime behaviour."""

import concurrent.futures
import inspect
import queue
import socket
import threading
import time

import pytest

from answers import load
from autograder import CheckFailed, check
from autograder.known_good.waitgroup import WaitGroup as KnownGoodWaitGroup
from autograder.lessons import waitgroup as demo
from autograder.lessons.programs import run_python, source_of
from autograder.threads import Baseline
from lesson_cells import run_cell

LESSON = "03_waitgroup"
PROGRAM_D = "waitgroup_program_d.py"
MAIN_LINE = "main: closing the connection, then returning"
READER_LINE = "reader: the connection ended, wg.done()"


def code_of(name, comment):
    return "\n".join(line.split(comment)[0] for line in source_of(name).splitlines())


def test_the_port_forgets_the_wait_as_the_book_does():
    assert "wg.add(1)" in code_of(PROGRAM_D, "#")
    assert "wg.wait(" not in code_of(PROGRAM_D, "#")
    assert "wg.Wait(" not in code_of("waitgroup_program_d.go", "//")


def program_d(*switches, seconds):
    run = run_cell(LESSON, "demo-program-d", socket=socket, run_python=run_python,
                   source_of=source_of, live_demos_enabled=lambda: False)["run_program_d"]
    return run(*switches, seconds=seconds)


def test_as_printed_the_port_hangs_with_its_reader_blocked():
    finished = program_d(seconds=3.0)
    assert finished.hung
    assert finished.stdout.splitlines() == [MAIN_LINE]


def test_with_shutdown_the_interpreter_waits_for_the_reader_at_exit():
    finished = program_d("shutdown", seconds=5.0)
    assert not finished.hung and finished.returncode == 0
    assert finished.stdout.splitlines() == [MAIN_LINE, READER_LINE]


def test_a_daemon_reader_is_killed_when_main_returns_as_in_go():
    finished = program_d("daemon", seconds=5.0)
    assert not finished.hung and finished.returncode == 0
    assert finished.stdout.splitlines() == [MAIN_LINE]


def compare(**settings):
    cell = run_cell(LESSON, "demo-ways-to-wait", WaitGroup=KnownGoodWaitGroup,
                    threading=threading, time=time, queue=queue,
                    concurrent=concurrent)
    rows = demo.compare_waiting(cell["ways_to_wait"], tidy_up=cell["tidy_up"], **settings)
    return {row.mechanism.split(":")[0].split(",")[0]: row for row in rows}


def test_every_mechanism_sees_the_work_done_but_a_pool_keeps_its_threads():
    # The notebook gives ending threads 0.2 s; on a loaded machine the last one
    # can take longer to leave /proc, so more here (a count returns once they go).
    rows = compare(workers=4, grace=2.0)
    assert all(row.all_finished and row.error_seen is None for row in rows.values())
    # Up to one thread per task: a pool starts a thread for a task only when none
    # of its threads is idle, and on a loaded machine the first task can be done
    # (its thread idle) before the last is submitted.
    assert 1 <= rows["futures.wait()"].threads_left <= 4
    others = [row for name, row in rows.items() if name != "futures.wait()"]
    assert [row.threads_left for row in others] == [0] * len(others)


def test_when_a_worker_fails_only_futures_tell_the_waiter():
    rows = compare(workers=4, failing=True, timeout=0.3)
    assert rows["Thread.join()"].all_finished and rows["Thread.join()"].error_seen is None
    for name in ("WaitGroup.wait()", "exit queue"):
        assert not rows[name].all_finished and rows[name].error_seen is None
    for name in ("futures.wait()", "with ThreadPoolExecutor()"):
        assert rows[name].all_finished
        assert rows[name].error_seen == "RuntimeError('worker 0 failed')"


def test_the_comparison_cleans_up_after_itself():
    hook = threading.excepthook
    baseline = Baseline()
    compare(workers=3, failing=True, timeout=0.2)
    baseline.expect_gone(1.0, what="compare_waiting")
    assert threading.excepthook is hook


@pytest.mark.parametrize("call", ["run_program_d(", "demo.compare_waiting",
                                  "run_with_waitgroup(listener"])
def test_the_notebook_runs_its_demos_only_outside_grading(root, call):
    text = (root / "text" / "03_waitgroup" / "03_waitgroup.md").read_text()
    cells = text.split("```{code-cell} ipython3")
    using = [cell for cell in cells if call in cell]
    assert using and all("if live_demos_enabled():" in cell for cell in using)


def test_the_waitgroup_the_lessons_lend_is_gos_and_answers_no_exercise(capsys):
    """Lesson 04 and program D use the course's Go WaitGroup. Its wait() takes
    no timeout, as Go's Wait, so copied into lesson 03 it fails that check."""
    from autograder.lessons import channels_vs_locks

    assert demo.WaitGroup is channels_vs_locks.WaitGroup
    copied = "import threading\n\n" + inspect.getsource(demo.WaitGroup)
    with pytest.raises(CheckFailed):
        check("waitgroup", answers=load(copied))
    assert "timeout" in capsys.readouterr().out


def demo_cell(tag: str) -> dict:
    return run_cell(LESSON, tag, threading=threading, time=time, concurrent=concurrent)


def test_queue_task_done_and_join_are_a_waitgroup(capsys):
    seen = demo_cell("demo-queue-is-a-waitgroup")
    printed = capsys.readouterr().out
    assert "unfinished_tasks after 3 puts: 3" in printed
    assert "unfinished_tasks after join(): 0" in printed
    assert "one task_done() too many: ValueError" in printed
    assert "Condition all_tasks_done, whose lock is the queue's mutex: True" in printed
    assert not any(t.is_alive() for t in seen["workers"])


@pytest.mark.alone  # counts a pool's threads live: beside busy workers one was not yet up
def test_an_executor_nobody_refers_to_lets_its_threads_go():
    pool_threads_left = demo_cell("demo-dropped-executor")["pool_threads_left"]
    assert pool_threads_left(True) == 4
    assert pool_threads_left(False) == 0


def test_the_ports_comment_does_not_claim_close_wakes_recv():
    assert "recv returns" not in source_of("waitgroup_program_d.py")
