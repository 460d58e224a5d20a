"""The trials: many threads add(1) and done() at once, each call traced per
bytecode, and the end of a trial, plain (wait(timeout=0)) or held for the
judge to watch the waiters (``held_end``)."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any
from collections.abc import Callable

from agreed import WAITERS
from step_tracing import TRACING, Untraced
from trial_report import error_report, stack_of_frame


class _Adder(threading.Thread):
    def __init__(self, work: Callable[[_Adder], None], index: int, rounds: int) -> None:
        super().__init__(name=f"adder {index + 1}", daemon=True)
        self.work = work
        self.rounds = rounds
        self.phase = "start"
        self.adds = self.dones = 0  # calls that returned
        self.withheld = 0  # done() calls left for the end of a held trial
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.work(self)
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            self.error = error


def counter_of(wg: Any) -> list[Any] | None:
    """``[attribute, value]`` of the one int attribute of ``wg``, if one."""
    try:
        ints = [[k, v] for k, v in vars(wg).items()
                if isinstance(v, int) and not isinstance(v, bool)]
    except TypeError:
        return None
    return ints[0] if len(ints) == 1 else None


SETTLE = 0.05  # time for a waiter that should not wait to return


def hammer(WaitGroup: type, threads: int, rounds: int, deadline: float,
           at_once: float, per_thread: list[int] | None = None,
           tally: list[list[int]] | None = None,
           hold: Callable[[dict[str, Any]], None] | None = None,
           _tracing: tuple = TRACING) -> dict[str, Any] | None:
    """``threads`` threads each call add(1) ``rounds`` times (or
    ``per_thread[i]`` times), all at once, then done() as often; None if the
    counter ends at 0, else what went wrong. ``tally`` receives each thread's
    ``[adds, dones]`` that returned. With ``hold``, the trial ends held (see
    ``held_end``) instead of with wait(timeout=0)."""
    try:
        wg = WaitGroup()
    except Exception as error:  # noqa: BLE001
        return {"outcome": "error", **error_report(error, call="WaitGroup()")}
    trace_every_step, files_of, settrace, gettrace, set_interval, get_interval = _tracing
    tracer = trace_every_step(files_of(WaitGroup))

    def still_traced() -> None:
        if gettrace() is not tracer:
            raise Untraced("the race test's trace function was switched off")

    start_together = threading.Barrier(threads, timeout=deadline)

    def add_and_done(me: _Adder) -> None:
        settrace(tracer)  # this thread only
        try:
            # All add, then all count down: a lost add cannot be cancelled by a
            # lost done, so any lost update shows at the end.
            start_together.wait()
            me.phase = "add"
            for _ in range(me.rounds):
                wg.add(1)
                still_traced()
                me.adds += 1
            me.phase = "between"
            start_together.wait()
            me.phase = "done"
            for _ in range(me.rounds - me.withheld):
                wg.done()
                still_traced()
                me.dones += 1
            me.phase = "end"
        except BaseException:
            start_together.abort()  # the others must not wait for this one
            raise
        finally:
            settrace(None)

    workers = [_Adder(add_and_done, i, per_thread[i] if per_thread else rounds)
               for i in range(threads)]
    workers[0].withheld = int(hold is not None)
    interval = get_interval()
    set_interval(1e-6)
    try:
        for worker in workers:
            worker.start()
        end = time.monotonic() + deadline
        for worker in workers:
            worker.join(max(0.0, end - time.monotonic()))
    finally:
        set_interval(interval)
    stuck = [w for w in workers if w.is_alive()]
    if stuck:
        frames = sys._current_frames()
        return {"outcome": "stuck", "threads": len(stuck), "phase": stuck[0].phase,
                "stack": stack_of_frame(frames.get(stuck[0].ident))}
    failed = sorted((w for w in workers if w.error is not None),
                    key=lambda w: isinstance(w.error, threading.BrokenBarrierError))
    if failed:
        first = failed[0]
        assert first.error is not None
        return {"outcome": "error", "threads": len(failed),
                **error_report(first.error, call="wg.done()" if first.phase == "done"
                         else "wg.add(1)" if first.phase == "add" else "wg.add(1) / wg.done()",
                         phase=first.phase)}
    found = (held_end(wg, workers[0], hold, at_once) if hold is not None
             else final_wait(wg, at_once))
    if found is None and tally is not None:
        tally.extend([w.adds, w.dones] for w in workers)
    return found


def final_wait(wg: Any, at_once: float) -> dict[str, Any] | None:
    """wg.wait(timeout=0) once every done() has returned: True, or what went wrong."""
    got: dict[str, Any] = {}

    def wait_once() -> None:
        try:
            got["value"] = wg.wait(timeout=0)
        except BaseException as error:  # noqa: BLE001
            got["error"] = error
    waiter = threading.Thread(target=wait_once, daemon=True)
    waiter.start()
    waiter.join(at_once)
    if waiter.is_alive():
        return {"outcome": "wait_stuck", "stack": stack_of_frame(
            sys._current_frames().get(waiter.ident))}
    if "error" in got:
        return {"outcome": "error", "threads": 1,
                **error_report(got["error"], call="wg.wait(timeout=0)", phase="wait")}
    if got["value"] is not True:
        return {"outcome": "lost", "got": repr(got["value"]), "counter": counter_of(wg)}
    return None


def held_end(wg: Any, last: _Adder, hold: Callable[[dict[str, Any]], None],
             at_once: float) -> dict[str, Any] | None:
    """The end of a held trial: with one done() still to come, ``WAITERS``
    threads call wg.wait(); ``hold`` names them to the judge and returns when
    the judge has seen them waiting; then the last done() must release them,
    which the judge sees at the second ``hold``."""
    returned: dict[int, Any] = {}

    def wait_for_zero(index: int) -> None:
        try:
            returned[index] = wg.wait()
        except BaseException as error:  # noqa: BLE001
            returned[index] = error
    waiters = [threading.Thread(target=wait_for_zero, args=(i,), name=f"waiter {i + 1}",
                                daemon=True) for i in range(WAITERS)]
    for waiter in waiters:
        waiter.start()
    time.sleep(SETTLE)
    early = len(returned)
    hold({"holding": {"pid": os.getpid(),
                      "waiters": [waiter.native_id or 0 for waiter in waiters]}})
    try:
        wg.done()
    except BaseException as error:  # noqa: BLE001
        return {"outcome": "error", "threads": 1,
                **error_report(error, call="wg.done()", phase="done")}
    last.dones += 1
    for waiter in waiters:
        waiter.join(at_once)
    hold({"released": {"pid": os.getpid()}})
    errors = [r for r in returned.values() if isinstance(r, BaseException)]
    if errors:
        return {"outcome": "error", "threads": len(errors),
                **error_report(errors[0], call="wg.wait()", phase="wait")}
    if early:
        return {"outcome": "released_early", "counter": counter_of(wg)}
    if len(returned) < WAITERS:
        return {"outcome": "not_released", "counter": counter_of(wg)}
    if any(r is not True for r in returned.values()):
        return {"outcome": "lost", "got": repr(next(r for r in returned.values()
                                                    if r is not True)),
                "counter": counter_of(wg)}
    return None
