"""Lesson 06's claims, pinned on the cells the learner reads (run as the
notebook runs them, top-level await included). No wall-clock limit is
asserted: only what a result must be, and one lower bound that holds by
construction (a loop held 0.3 s by time.sleep cannot beat meanwhile)."""

import asyncio
import contextlib
import gc
import io
import json
import socket
import subprocess
import sys
import threading
import time

import matplotlib.pyplot as plt
import pytest

from autograder.lessons.go import run_go
from autograder.lessons.programs import PROGRAMS, run_python, side_by_side, source_of
from autograder.lessons.quick import quick_mode
from lesson_cells import run_cell

LESSON = "06_asyncio_tasks"
SETUP = dict(asyncio=asyncio, gc=gc, json=json, plt=plt, quick_mode=quick_mode, run_go=run_go,
             run_python=run_python, source_of=source_of, threading=threading, time=time)


def run(*tags: str) -> tuple[dict, str]:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        seen = run_cell(LESSON, *tags, **SETUP)
    return seen, printed.getvalue()


def test_tasks_run_to_their_first_await_and_a_stop_value_each_ends_them():
    seen, printed = run("define-consumer", "demo-await-in-a-cell")
    assert "ours, not done: 3" in printed
    loops_count = int(printed.split("tasks of this loop:")[1].split()[0])
    assert loops_count >= 4, printed  # ours and the task running the cell
    assert "ours, not done after a 0 each: 0" in printed
    assert all(task.done() for task in seen["started"])


def test_a_task_kept_in_no_variable_is_destroyed_pending_and_closed_by_the_collector():
    reported = []
    original = asyncio.BaseEventLoop.call_exception_handler

    def note(loop, context):
        reported.append(context.get("message", ""))

    asyncio.BaseEventLoop.call_exception_handler = note
    try:
        _, printed = run("demo-task-destroyed-pending")
    finally:
        asyncio.BaseEventLoop.call_exception_handler = original
    assert any("destroyed but it is pending" in message for message in reported), reported
    assert "cleanup ran, from the garbage collector" in printed
    assert "the wait ended" not in printed


def test_closing_the_writer_ends_the_reader_and_the_server_sees_the_end():
    seen, printed = run("demo-close-ends-the-reader")
    assert seen["said"] == "exit" and seen["server_got"] == b""
    assert "returned 'exit'" in printed


def test_a_blocking_call_holds_every_task_and_an_await_holds_none():
    seen, printed = run("demo-blocking-call")
    rude = asyncio.run(seen["longest_gap"](seen["sleeps_the_loop"]))
    polite = asyncio.run(seen["longest_gap"](seen["sleeps_politely"]))
    busy = asyncio.run(seen["longest_gap"](seen["computes"]))
    assert min(rude, busy) >= 0.3 > polite, (rude, busy, polite)  # no beat inside either
    assert "time.sleep(0.3):" in printed and "300 ms of computing:" in printed


def test_in_go_neither_a_sleeping_nor_a_computing_goroutine_stops_the_heartbeat():
    seen, printed = run("go-heartbeat")
    gaps = [line.rsplit(" ", 1)[-1] for line in seen["go_heartbeat"].first_lines]
    assert len(gaps) == 2 and all(gap.endswith("ms") for gap in gaps), gaps
    assert all(int(gap.removesuffix("ms")) < 300 for gap in gaps), gaps  # the beat went on
    assert "Go: go1." in printed


@pytest.mark.slow  # starts 10,000 threads, tasks and goroutines: about 12 s
def test_a_waiting_task_and_a_goroutine_cost_a_few_kib_and_a_thread_several_times_more():
    seen, printed = run("demo-cost-of-a-task", "demo-cost-figure")
    costs = seen["costs"]
    assert seen["n"] == (1_000 if quick_mode() else 10_000)  # a graded kernel may run 2,048
    assert list(costs) == ["tasks", "threads", "goroutines"]
    assert all(cost["seconds"] > 0 and cost["kib_each"] > 0 for cost in costs.values())
    # "a task about a kilobyte, a goroutine two or three, a thread more than ten"
    assert costs["tasks"]["kib_each"] < 2, costs
    assert 1.5 < costs["goroutines"]["kib_each"] < 4, costs
    assert costs["threads"]["kib_each"] > 10, costs
    assert [bar.get_height() for bar in seen["right"].patches] == [
        cost["kib_each"] for cost in costs.values()]
    assert "Go: go1." in printed
    plt.close(seen["figure"])


def test_program_a_with_tasks_counts_one_more_task_per_word_and_ends_with_its_input():
    _, printed = run("demo-program-a-tasks")
    assert "['2', '3', '4', '5', '6'] | hung: False | exit status: 0" in printed


def test_program_b_with_tasks_keeps_the_books_mistake():
    seen, printed = run("demo-program-b-tasks")
    counts = seen["counts"]
    assert counts[:6] == [2, 3, 4, 5, 6, 7], counts
    assert counts[6] > 2, counts  # main, g's consumer and at least one that exit missed
    assert f"{counts[6] - 2} consumers that exit did not stop" in printed


def test_program_c_with_a_task_ends_its_reader_when_the_writer_closes():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        program = subprocess.Popen([sys.executable, str(PROGRAMS / "program_c_tasks.py"),
                                    "127.0.0.1", str(port)], stdout=subprocess.PIPE, text=True)
        conn, _ = server.accept()
        with conn:
            conn.settimeout(10)
            assert conn.recv(1024) == b""  # the client's close reached the server
        out, _ = program.communicate(timeout=10)
    assert out == "exit\n" and program.returncode == 0


def test_each_program_is_shown_in_go_with_threads_and_with_tasks():
    for tag in ("go-program-a-source", "go-program-b-source", "go-program-c-source"):
        asked = []
        run_cell(LESSON, tag, side_by_side=lambda *names: asked.append(names))
        (names,) = asked
        html = side_by_side(*names).data
        assert [name.rsplit(".", 1)[-1] for name in names] == ["go", "py", "py"], names
        for title in ("Go (the book)", "Python (the port)", "Python, asyncio tasks"):
            assert title in html, (tag, title)


def test_an_await_that_need_not_wait_lets_no_other_task_run():
    seen, _ = run("demo-await-that-does-not-wait")
    assert seen["order"] == ["after await put()", "the other task ran",
                             "after await asyncio.sleep(0)"]


def test_the_go_program_the_cost_cell_runs_is_shown_and_waits_for_every_goroutine():
    _, printed = run("go-goroutine-cost-source")
    assert "running.Wait()" in printed and "<-stop" in printed


# Demos whose claim is what they print, line for line.
PRINTED = [
    pytest.param("demo-run-cancels-the-rest", [
        "main() returns\nthe leftover task: cancelled, its finally ran\n"
        "asyncio.run() returned",
    ], id="asyncio.run cancels the tasks left and runs their finally"),
    pytest.param("demo-cancel-only-asks", [
        "right after cancel(), done: False", "slow(): cleanup ran",
        "after waiting for it, done: True cancelled: True",
    ], id="cancel only asks, and the task ends when awaited"),
    pytest.param("demo-cancel-refused", [
        "stubborn(): cancelled, and going on", "0.1 s after cancel(), still running: True",
        "it ended on its own; cancelled: False",
    ], id="a task that catches CancelledError goes on until it decides to end"),
    pytest.param("demo-timeouts", [
        "after asyncio.wait(timeout=0.05):   done False",
        "after asyncio.wait_for(...0.05):    cancelled True",
        "after async with asyncio.timeout(): cancelled True",
        "after wait_for(asyncio.wait(...)):  done False",
    ], id="wait gives up without cancelling, wait_for and timeout cancel what they await"),
]


@pytest.mark.parametrize("tag, lines", PRINTED)
def test_the_demo_prints_what_the_lesson_says(tag, lines):
    _, printed = run(tag)
    for line in lines:
        assert line in printed, f"{line!r} not in:\n{printed}"


def test_a_task_group_cancels_and_waits_for_the_rest_when_one_fails():
    seen, printed = run("demo-task-group")
    assert "the group raised: (ValueError('the server said no'),)" in printed
    assert sorted(seen["ended"]) == ["first", "second"]
