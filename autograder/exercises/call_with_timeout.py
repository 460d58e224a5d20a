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
from .harness import (CALL_DEADLINE, CheckFailed, TooSlow, call_answer, expect,
                      retry_when_too_slow, running_at_return, started_since)
from .call_with_timeout_work import (CLEANUP, DEAF_SLACK, NEW_EVENT, SLACK, Work, WorkFailed,
                                     asleep, cooperative, deaf, error_lost, fails,
                                     gave_up_late, in_callers_thread, in_time, not_an_event,
                                     quick, returned_late, returns_none)
from .limits import EXIT_DEADLINE
from .registry import exercise

# The deaf case's timeout: a right call takes twice this, one that waits for
# the worker twice the timeout after cancelling takes three times, past the
# bound of 2 × timeout + DEAF_SLACK whenever this is over DEAF_SLACK. The
# right call's margin is DEAF_SLACK whatever this is, so it is kept short.
DEAF_TIMEOUT = 0.3

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
                   not_an_event(what, type(work.cancelled).__name__))
            if outcome.took > 2 * timeout + SLACK:
                raise TooSlow(gave_up_late(what, outcome.took))
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
               in_callers_thread(what))
        if outcome.took > seconds + timeout / 2 + SLACK:
            raise TooSlow(returned_late(what, outcome.took,
                                        f"the work was done after {seconds:g} s"))
    retry_when_too_slow(case)


def _fails_case(call: Callable) -> None:
    work, outcome, what = _ran(call, fails, 1.0)
    _left_running(work, outcome, what, "raised")
    expect(isinstance(outcome.raised, WorkFailed), error_lost(
        what, f"returned {outcome.returned!r}" if outcome.raised is None else
        f"raised {type(outcome.raised).__name__}: {outcome.raised}"))


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
    timeouts = [0.1 + 0.05 * index for index in range(calls)]
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
    _gave_up_case(call, cooperative, 0.2)
    _gave_up_case(call, asleep, 0.2)
    _at_once_case(call, calls=3)
    deaf_worker = _deaf_case(call, DEAF_TIMEOUT)
    return ("call_with_timeout returns the result or the error, gives up on time, and "
            "stops its worker; the worker of work that ignored cancelled "
            f"({deaf_worker!r}) ran on after the call, which is the work's fault, not yours.")
