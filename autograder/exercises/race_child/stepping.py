"""Stepped: one call stopped before each of its bytecodes in turn while a
second call runs, so that a read-modify-write shows whatever the load."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any
from collections.abc import Callable

from hammering import counter_of
from step_tracing import TRACING, Untraced, pausing_tracer
from trial_report import error_report, stack_of_frame


# Pairs of calls that can lose an update: (first, second, counter before). The
# first is stopped before its 1st, 2nd, ... bytecode of the class's code while
# the second runs to its end (or until it blocks on the first's lock); then
# the first goes on. Whatever the load, a read-modify-write shows at the step
# between its read and its write.
PAIRS = (("wg.add(1)", "wg.add(1)", 0), ("wg.done()", "wg.done()", 2),
         ("wg.add(1)", "wg.done()", 1))
DELTAS = {"wg.add(1)": 1, "wg.done()": -1}
MOST_STEPS = 400  # bytecodes of one call: far more than any WaitGroup's add()


def _call(wg: Any, call: str) -> None:
    wg.add(1) if call == "wg.add(1)" else wg.done()


def _asleep(thread: threading.Thread) -> bool:
    """Blocked (state S in /proc, three times a millisecond apart): on the
    first call's lock, most likely. Without /proc, after 20 ms."""
    for _ in range(3):
        try:
            with open(f"/proc/self/task/{thread.native_id}/stat", "rb") as stat:
                state = stat.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            time.sleep(0.02)
            return True
        if state != b"S":
            return False
        time.sleep(0.001)
    return True


def _count_is(wg: Any, expected: int) -> bool:
    """The counter is ``expected``: wg.wait(timeout=0) says not zero until
    ``expected`` done() calls have brought it there, and zero then."""
    for _ in range(expected):
        if wg.wait(timeout=0):
            return False
        wg.done()
    return wg.wait(timeout=0) is True


def _in_thread(work: Callable[[], Any], seconds: float) -> tuple[bool, Any]:
    """``(finished, result or error)`` of ``work`` run in a thread of its own."""
    got: list[Any] = []

    def run() -> None:
        try:
            got.append(work())
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            got.append(error)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    return (not thread.is_alive(), got[0] if got else None)


def _one_step(WaitGroup: type, pair: tuple[str, str, int], step: int, files: frozenset[str],
              deadline: float, settrace: Callable, gettrace: Callable,
              _pausing: Callable = pausing_tracer) -> tuple[dict[str, Any] | None, bool]:
    """One try of ``pair`` with its first call stopped at ``step``: what went
    wrong (or None), and whether the first call reached that step."""
    first, second, before = pair
    told = (f"starting from a counter of {before}, {first} in one thread and {second} in "
            "another")
    wg = WaitGroup()
    for _ in range(before):
        wg.add(1)
    paused: dict[str, Any] = {"event": threading.Event()}
    go_on = threading.Event()
    tracer = _pausing(files, step, paused, go_on, deadline)
    errors: dict[str, BaseException] = {}

    def first_call() -> None:
        settrace(tracer)  # this thread only
        try:
            _call(wg, first)
            if gettrace() is not tracer:
                raise Untraced("the race test's own trace function may not be changed")
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            errors["first"] = error
        finally:
            settrace(None)

    def second_call() -> None:
        try:
            _call(wg, second)
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            errors["second"] = error

    one = threading.Thread(target=first_call, name="first call", daemon=True)
    one.start()
    end = time.monotonic() + deadline
    while one.is_alive() and not paused["event"].is_set() and time.monotonic() < end:
        time.sleep(0.0005)
    reached = paused["event"].is_set()
    two = threading.Thread(target=second_call, name="second call", daemon=True)
    if one.is_alive() and not reached:
        return {"outcome": "stuck", "threads": 1, "phase": "stepped",
                "stack": stack_of_frame(sys._current_frames().get(one.ident))}, reached
    two.start()
    end = time.monotonic() + deadline
    while two.is_alive() and not _asleep(two) and time.monotonic() < end:
        time.sleep(0.0005)
    go_on.set()
    for thread in (one, two):
        thread.join(max(0.0, end - time.monotonic()) + deadline)
        if thread.is_alive():
            return {"outcome": "stuck", "threads": 1, "phase": "stepped",
                    "stack": stack_of_frame(sys._current_frames().get(thread.ident))}, reached
    if errors:  # the first call's error, if both raised
        which = "first" if "first" in errors else "second"
        error = errors[which]
        return {"outcome": "error", "threads": 1, "phase": "stepped",
                **error_report(error, call=first if which == "first" else second)}, reached
    expected = before + DELTAS[first] + DELTAS[second]
    finished, right = _in_thread(lambda: _count_is(wg, expected), deadline)
    if not finished:
        return {"outcome": "wait_stuck", "stack": []}, reached
    if right is True:
        return None, reached
    return {"outcome": "lost_stepped", "told": told, "first": first, "second": second,
            "paused_at": paused.get("stack", []), "counter": counter_of(wg)}, reached


def stepped(WaitGroup: type, deadline: float, _tracing: tuple = TRACING,
            _step: Callable = _one_step) -> dict[str, Any] | None:
    """Each pair of ``PAIRS``, its first call stopped before each of its
    bytecodes in turn: None if no update was lost, else what happened. (The
    helpers are bound here, before the learner's class is built: see
    ``TRACING``.)"""
    _, files_of, settrace, gettrace, _, _ = _tracing
    files = files_of(WaitGroup)
    for pair in PAIRS:
        for step in range(1, MOST_STEPS + 1):
            try:
                found, reached = _step(WaitGroup, pair, step, files, deadline,
                                       settrace, gettrace)
            except Exception as error:  # noqa: BLE001 - WaitGroup() or the set-up add(1)
                return {"outcome": "error", "threads": 1, "phase": "stepped",
                        **error_report(error, call="WaitGroup() / wg.add(1)")}
            if found is not None:
                return found
            if not reached:
                break  # the first call ran out of bytecodes: every step tried
    return None
