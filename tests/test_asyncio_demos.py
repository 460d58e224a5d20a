"""Lesson 06's claims, pinned on the cells the learner reads (run as the
notebook runs them, top-level await included). No wall-clock limit is
asserted: only what a result must be, and one lower bound that holds by
construction (a loop held 0.3 s by time.sleep cannot beat meanwhile)."""

import asyncio
import contextlib
import gc
import io
import json
import threading
import time

import matplotlib.pyplot as plt

from autograder.lessons.programs import run_python
from lesson_cells import run_cell

LESSON = "06_asyncio_tasks"
SETUP = dict(asyncio=asyncio, gc=gc, json=json, plt=plt, run_python=run_python,
             threading=threading, time=time)


def run(*tags: str) -> tuple[dict, str]:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        seen = run_cell(LESSON, *tags, **SETUP)
    return seen, printed.getvalue()


def test_tasks_run_to_their_first_await_and_a_stop_value_each_ends_them():
    seen, printed = run("demo-await-in-a-cell")
    assert "ours, not done: 3" in printed
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
    assert rude >= 0.3 > polite, (rude, polite)  # no beat can happen inside time.sleep(0.3)
    assert "time.sleep(0.3):" in printed


def test_cancel_only_asks_and_the_task_ends_when_awaited():
    _, printed = run("demo-cancel-only-asks")
    assert "right after cancel(), done: False" in printed
    assert "slow(): cleanup ran" in printed
    assert "after waiting for it, done: True cancelled: True" in printed


def test_ten_thousand_waiting_tasks_take_less_memory_than_as_many_threads():
    seen, printed = run("demo-cost-of-a-task", "demo-cost-figure")
    costs = seen["costs"]
    assert all(costs[kind]["seconds"] > 0 for kind in ("tasks", "threads"))
    assert 0 < costs["tasks"]["mib"] < costs["threads"]["mib"], costs
    assert [bar.get_height() for bar in seen["right"].patches] == [
        costs["tasks"]["mib"], costs["threads"]["mib"]]
    plt.close(seen["figure"])
