"""Checks for lesson 05's call_with_timeout: give up on work, and stop it too.

Go's leak of leaks is a goroutine left sending to a channel its caller
stopped reading after a timeout. Python's is the same thread: a caller that
stops waiting (``future.result(timeout)``, ``join(timeout)``) and leaves the
worker running. The check hands the learner's function pieces of work of its
own, each a kind a caller meets: quick, failing, slow but checking
``cancelled``, asleep on ``cancelled``, and deaf to it. At the instant the
call returns it looks at every thread the call started: none may still run,
except the worker of work that ignores ``cancelled``, which nobody can stop
(Python cannot kill a thread), and which the check blames on the work.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any
from collections.abc import Callable

from ..threads import DeadlineExceeded
from ..threads.census import is_own, real_is_alive, real_join
from ..threads.origins import started_threads
from ..threads.stand_ins import stand_in
from .harness import (CALL_DEADLINE, CheckFailed, TooSlow, call_answer, expect,
                      retry_when_too_slow, running_at_return, started_since)
from .leaky_consumer import real_current_thread
from .limits import EXIT_DEADLINE
from .registry import exercise

# The check's work, once told to stop, takes this long to clean up: an answer
# that raises without waiting for its worker is caught every time.
CLEANUP = 0.03
# Work that never checks cancelled runs this long unless stopped.
LONG = 20.0
# What a loaded machine may add to the time a call takes.
SLACK = 0.3
# ... where the bound is 2 × timeout: with the deaf case's timeout of half a
# second or more, a call that waits 3 × timeout is past it (tried three times).
DEAF_SLACK = 0.15


NEW_EVENT = ("Make a new threading.Event in each call: one shared by all calls lets one "
             "call's timeout cancel the work of every other.")


class WorkFailed(Exception):
    """The error the check's failing work raises: it must reach the caller."""


class Work:
    """One piece of the check's work: a function of ``cancelled``, recording
    the thread it ran in and whether it saw ``cancelled`` set."""

    def __init__(self, label: str, body: Callable[[Work, Any], Any]) -> None:
        self.label, self.body = label, body
        self.thread: threading.Thread | None = None
        self.cancelled: Any = None
        self.set_at_start = False  # cancelled was set before the work began
        self.saw_cancel = False
        self.release = threading.Event()  # for work that ignores cancelled

    def __call__(self, cancelled: Any) -> Any:
        self.thread, self.cancelled = real_current_thread(), cancelled
        self.set_at_start = isinstance(cancelled, threading.Event) and cancelled.is_set()
        return self.body(self, cancelled)

    def stop(self) -> None:
        """Whatever the answer did, let the work end now."""
        self.release.set()
        if isinstance(self.cancelled, threading.Event):
            self.cancelled.set()


@stand_in("the check's work, cleaning up after cancelled was set")
def _clean_up(work: Work) -> None:
    work.saw_cancel = True
    time.sleep(CLEANUP)


@stand_in("the check's quick work")
def quick(work: Work, cancelled: Any) -> Any:
    return work.release  # an object only this work returns


@stand_in("the check's work that returns None")
def returns_none(work: Work, cancelled: Any) -> None:
    return None


@stand_in("the check's work that fails")
def fails(work: Work, cancelled: Any) -> None:
    raise WorkFailed(f"the work failed (raised by the check, #{id(work)})")


@stand_in("the check's slow work, checking cancelled as it goes")
def cooperative(work: Work, cancelled: Any) -> str:
    end = time.monotonic() + LONG
    while time.monotonic() < end:
        if cancelled.is_set():
            _clean_up(work)
            return "stopped"
        time.sleep(0.005)
    return "finished"


@stand_in("the check's work, asleep in cancelled.wait()")
def asleep(work: Work, cancelled: Any) -> str:
    cancelled.wait()
    _clean_up(work)
    return "stopped"


@stand_in("the check's work that takes a while and then returns")
def in_time(work: Work, cancelled: Any) -> Any:
    cancelled.wait(work.seconds)  # type: ignore[attr-defined]
    return work.release


@stand_in("the check's work that ignores cancelled")
def deaf(work: Work, cancelled: Any) -> str:
    work.release.wait(LONG)
    return "late"


class Outcome:
    """What one call did: returned a value, raised, and how long it took;
    which of the threads it started still ran the instant it returned."""

    def __init__(self, returned: Any = None, raised: BaseException | None = None,
                 took: float = 0.0, running: list[threading.Thread] | None = None,
                 cancelled: bool = False) -> None:
        self.returned, self.raised, self.took = returned, raised, took
        self.running = running or []
        self.cancelled = cancelled  # whether cancelled was set the instant it returned


def _call(call: Callable, work: Work, timeout: float, what: str, budget: float) -> Outcome:
    before = {id(t) for t in started_threads()}
    look, still = running_at_return(
        lambda: [t for t in started_since(before) if not is_own(t)])
    cancelled: list[bool] = []

    def called() -> Any:
        try:
            return call(work, timeout)
        finally:
            look()
            cancelled.append(isinstance(work.cancelled, threading.Event)
                             and work.cancelled.is_set())

    began = time.monotonic()
    try:
        value = call_answer(called, what=what, expected=(TimeoutError, WorkFailed),
                            timeout=budget)
        outcome = Outcome(returned=value)
    except (TimeoutError, WorkFailed) as error:
        outcome = Outcome(raised=error)
    outcome.took, outcome.running = time.monotonic() - began, still
    outcome.cancelled = bool(cancelled and cancelled[0])
    return outcome


def _ran(call: Callable, body: Callable, timeout: float, seconds: float = 0.0
         ) -> tuple[Work, Outcome, str]:
    work = Work(str(getattr(body, "__name__", "work")), body)
    work.seconds = seconds  # type: ignore[attr-defined]
    what = f"call_with_timeout(work, timeout={timeout:g})"
    budget = max(CALL_DEADLINE, 2 * timeout + 1)
    try:
        outcome = _call(call, work, timeout, what, budget)
    except DeadlineExceeded as stuck:
        told = isinstance(work.cancelled, threading.Event) and work.cancelled.is_set()
        work.stop()
        if told:
            raise
        raise CheckFailed(f"{what} did not return within {budget:g} s: it waited for work "
                          "that nobody told to stop (cancelled was never set). When the "
                          "timeout is up, set cancelled, then wait at most timeout more."
                          f"\n{stuck}") from None
    except BaseException:
        work.stop()
        raise
    if work.set_at_start:
        work.stop()
        raise CheckFailed(f"{what}: cancelled was already set when the work began, so it "
                          "was told to stop before it started. " + NEW_EVENT)
    return work, outcome, what


def _left_running(work: Work, outcome: Outcome, what: str, after: str) -> None:
    """No thread the call started may run on, the work's own worker included."""
    running = [t for t in outcome.running if t is not work.thread or work.body is not deaf]
    if not running:
        return
    work.stop()
    if work.thread not in running:
        names = ", ".join(repr(t.name) for t in running)
        raise CheckFailed(f"{what} {after} while threads it started still ran ({names}): "
                          "wait for every thread you start before returning.")
    worker = f"its worker thread {work.thread.name!r}"  # type: ignore[union-attr]
    if outcome.raised is None or isinstance(outcome.raised, WorkFailed):
        pool = (" A thread pool's thread waits for more work: shut the pool down and wait "
                "for it (shutdown(wait=True))." if "ThreadPoolExecutor" in worker else "")
        raise CheckFailed(f"{what} {after} while {worker} was still alive, though the work "
                          f"was done: join the worker before returning.{pool}")
    if not outcome.cancelled:
        daemon = (" Making it a daemon thread does not stop it: it only means Python will "
                  "not wait for it at exit." if work.thread.daemon else "")  # type: ignore
        raise CheckFailed(
            f"{what} {after}, but {worker} was still running the work, and cancelled was "
            "never set: nothing tells the work to stop, so it runs on after the caller "
            f"gave up (Go's goroutine stuck sending to a channel nobody reads).{daemon} "
            "Set cancelled, then join the worker for at most timeout more.")
    raise CheckFailed(
        f"{what} {after} while {worker} was still running: the work saw cancelled and was "
        f"cleaning up ({CLEANUP * 1000:.0f} ms). After cancelled.set(), wait for the "
        "worker (join it, for at most timeout) before raising TimeoutError.")


def _expect_timeout(work: Work, outcome: Outcome, what: str, timeout: float) -> None:
    expect(not isinstance(outcome.raised, WorkFailed),
           f"{what} raised the work's own error, although the work had not failed.")
    expect(outcome.raised is not None,
           f"{what} returned {outcome.returned!r} after {outcome.took:.2f} s, though the "
           f"work was still running at the timeout; it should raise TimeoutError.")
    expect(outcome.took >= timeout * 0.9,
           f"{what} raised TimeoutError after {outcome.took:.2f} s, before its timeout of "
           f"{timeout:g} s: give the work its whole timeout first.")


def _gave_up_case(call: Callable, body: Callable, timeout: float) -> None:
    """Slow work that honours cancelled: TimeoutError, and nothing left running."""
    def case() -> None:
        work, outcome, what = _ran(call, body, timeout)
        try:
            _left_running(work, outcome, what, "raised TimeoutError")
            _expect_timeout(work, outcome, what, timeout)
            expect(isinstance(work.cancelled, threading.Event),
                   f"{what} passed the work {type(work.cancelled).__name__} as cancelled; "
                   "pass a threading.Event, which the work can check and wait on.")
            if outcome.took > 2 * timeout + SLACK:
                raise TooSlow(f"{what} raised TimeoutError only after {outcome.took:.2f} s; "
                              f"the work stopped within {CLEANUP * 1000:.0f} ms of being "
                              "cancelled, so it should take little more than the timeout.")
        finally:
            work.stop()
    retry_when_too_slow(case)


def _finished_case(call: Callable, body: Callable, timeout: float, seconds: float = 0.0,
                   expected: Any = ...) -> None:
    """Work that ends within the timeout: its result, and no thread left."""
    def case() -> None:
        work, outcome, what = _ran(call, body, timeout, seconds)
        want = work.release if expected is ... else expected
        _left_running(work, outcome, what, "returned")
        expect(outcome.raised is None,
               f"{what} raised {type(outcome.raised).__name__}: {outcome.raised}, though "
               f"the work returned after {seconds:g} s, within the timeout; it should "
               "return the work's result.")
        expect(outcome.returned is want,
               f"{what} returned {outcome.returned!r}; it should return what the work "
               f"returned: {want!r}.")
        expect(work.thread is not None and not work.thread.name.startswith("autograder call"),
               f"{what} ran the work in the caller's own thread; run it in a thread of "
               "its own, so the caller can stop waiting when the time is up.")
        if outcome.took > seconds + timeout / 2 + SLACK:
            raise TooSlow(f"{what} returned after {outcome.took:.2f} s, though the work "
                          f"was done after {seconds:g} s: return as soon as it is done "
                          "(join(timeout) returns the moment the thread ends).")
    retry_when_too_slow(case)


def _fails_case(call: Callable) -> None:
    work, outcome, what = _ran(call, fails, 1.0)
    _left_running(work, outcome, what, "raised")
    expect(isinstance(outcome.raised, WorkFailed),
           f"{what}: the work raised WorkFailed, but the call "
           + (f"returned {outcome.returned!r}" if outcome.raised is None else
              f"raised {type(outcome.raised).__name__}: {outcome.raised}")
           + ". Catch the error in the worker thread and raise that same exception in the "
           "caller.")


def _deaf_case(call: Callable, timeout: float) -> str:
    """Work that ignores cancelled: TimeoutError within 2 × timeout all the same."""
    def case() -> str:
        work = Work("deaf", deaf)
        what = f"call_with_timeout(work, timeout={timeout:g})"
        try:
            outcome = _call(call, work, timeout, what, budget=2 * timeout + 1)
        except DeadlineExceeded as stuck:
            work.stop()
            raise CheckFailed(
                f"The check gave {what} work that ignores cancelled; the call did not "
                f"return within {2 * timeout + 1:g} s. Work like that cannot be stopped, so "
                "after setting cancelled wait for it at most timeout more (join(timeout)), "
                f"then raise TimeoutError anyway.\n{stuck}") from None
        try:
            _left_running(work, outcome, what, "raised TimeoutError")
            _expect_timeout(work, outcome, what, timeout)
            if outcome.took > 2 * timeout + DEAF_SLACK:
                raise TooSlow(
                    f"The check gave {what} work that ignores cancelled; the call took "
                    f"{outcome.took:.2f} s. It should give up within 2 × timeout: the "
                    "timeout, then at most the timeout again for the worker.")
        finally:
            work.stop()
        if work.thread is not None:
            real_join(work.thread, EXIT_DEADLINE)
            expect(not real_is_alive(work.thread),
                   f"When the work that ignored cancelled finally returned, its worker "
                   f"thread {work.thread.name!r} still did not end.")
        return work.thread.name if work.thread is not None else "its worker"
    return retry_when_too_slow(case)


def _at_once_case(call: Callable, calls: int) -> None:
    """Several calls at the same time, from several threads, with different
    timeouts: each keeps its own result, error and event."""
    rng = random.Random()
    bodies = [quick, cooperative] + [rng.choice([cooperative, asleep, quick])
                                     for _ in range(calls - 2)]
    works = [Work(b.__name__, b) for b in bodies]
    timeouts = [0.15 + 0.1 * index for index in range(calls)]
    outcomes: list[Any] = [None] * calls

    def one(index: int) -> None:
        try:
            outcomes[index] = ("returned", call(works[index], timeouts[index]))
        except BaseException as error:  # noqa: BLE001 - judged below
            outcomes[index] = ("raised", error)

    threads = [threading.Thread(target=one, args=(i,), name=f"caller-{i}", daemon=True)
               for i in range(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        real_join(thread, 2 * max(timeouts) + CALL_DEADLINE)
    for work in works:
        work.stop()
    told = (f"{calls} calls of call_with_timeout(work, timeout) ran at once, with timeouts "
            f"from {timeouts[0]:g} to {timeouts[-1]:g} s")
    expect(not any(real_is_alive(t) for t in threads), f"{told}; some never returned.")
    events = [id(w.cancelled) for w in works if w.cancelled is not None]
    expect(len(set(events)) == len(events),
           f"{told}; some of them gave their work the same cancelled Event. " + NEW_EVENT)
    for work, outcome in zip(works, outcomes):
        if work.body is quick:
            expect(outcome == ("returned", work.release),
                   f"{told}; one with quick work gave {outcome!r} instead of its own "
                   "result. Keep each call's result, error and event in the call itself, "
                   "not in globals that other calls share.")
        else:
            expect(outcome[0] == "raised" and isinstance(outcome[1], TimeoutError),
                   f"{told}; one with slow work gave {outcome!r} instead of TimeoutError.")
            expect(work.thread is not None and not real_is_alive(work.thread),
                   f"{told}; the worker of one was still running after it returned.")


@exercise("call_with_timeout", needs=("call_with_timeout",))
def check_call_with_timeout(answers: dict[str, Any], hidden: bool) -> str:
    call = answers["call_with_timeout"]
    if hidden:
        rng = random.Random()
        timeout = rng.uniform(0.3, 0.5)
        _finished_case(call, in_time, timeout, seconds=timeout / 3)
        _gave_up_case(call, rng.choice([cooperative, asleep]), rng.uniform(0.15, 0.3))
        _at_once_case(call, calls=rng.randint(4, 6))
        return ("call_with_timeout keeps each call's result and event, and gives up on "
                "time with the timeout given.")
    _finished_case(call, quick, 1.0)
    _finished_case(call, returns_none, 1.0, expected=None)
    _fails_case(call)
    _gave_up_case(call, cooperative, 0.3)
    _gave_up_case(call, asleep, 0.3)
    _at_once_case(call, calls=3)
    deaf_worker = _deaf_case(call, 0.5)
    return ("call_with_timeout returns the result or the error, gives up on time, and "
            "stops its worker; the worker of work that ignored cancelled "
            f"({deaf_worker!r}) ran on after the call, which is the work's fault, not yours.")
