"""Checks for lesson 03, the WaitGroup (program D of the seed)."""

from __future__ import annotations

import functools
import random
import socket
import sys
import threading
import time
from types import CodeType, FrameType
from typing import Any
from collections.abc import Callable

from ..lessons.waitgroup import WaitGroup as ReferenceWaitGroup
from ..sockets import Peer, PeerView
from ..sockets.peer import LOOPBACK
from ..threads import Baseline, DeadlineExceeded, LeakError, describe_threads
from ..threads.census import is_own, real_is_alive
from ..threads.locations import Location, learners_line
from ..threads.origins import started_threads
from .registry import exercise
from .harness import (CALL_DEADLINE, CheckFailed, Worker, call_answer, expect, isolated,
                      plural, running_at_return, started_since)
from .race_probe import Unavailable, race_request, run_probe

from .limits import EXIT_DEADLINE  # noqa: E402
AT_ONCE = 1.0  # a call that should return at once is stuck after this
WAITER_TIMEOUT = 5.0  # waiters' own timeout: long enough never to be what wakes them
SETTLE = 0.05  # time for a wrongly woken waiter to return


def _new_waitgroup(WaitGroup: type) -> Any:
    return call_answer(WaitGroup, what="WaitGroup()")


def _quietly(func: Callable[[], Any]) -> None:
    """Clean-up after a failed case: lets a wrong answer's stuck waiters go."""
    try:
        call_answer(func, what="clean-up", timeout=AT_ONCE)
    except (CheckFailed, DeadlineExceeded):
        pass


# --- waitgroup: the counter, step by step ------------------------------------------

# An operation: ("add", delta), ("done", -1) or ("wait", 0) meaning wait(timeout=0).
Op = tuple[str, int]

SEQUENCES: list[list[Op]] = [
    [("add", 2), ("wait", 0), ("done", -1), ("wait", 0), ("done", -1), ("wait", 0)],
    [("done", -1), ("wait", 0), ("add", 1), ("wait", 0), ("done", -1), ("wait", 0)],
    [("add", 1), ("add", -2), ("wait", 0), ("done", -1), ("wait", 0)],
    [("add", 3), ("add", -3), ("wait", 0), ("add", 1), ("wait", 0), ("add", 0),
     ("done", -1), ("add", 0), ("wait", 0)],
]


def random_sequence(rng: random.Random, length: int) -> list[Op]:
    ops: list[Op] = []
    for _ in range(length):
        kind = rng.choice(["add", "add", "done", "done", "wait"])
        ops.append((kind, rng.randint(-3, 3)) if kind == "add" else
                   (kind, -1 if kind == "done" else 0))
    return ops


def _spelled(op: Op) -> str:
    kind, delta = op
    return {"add": f"wg.add({delta})", "done": "wg.done()", "wait": "wg.wait(timeout=0)"}[kind]


def _story(done: list[Op], limit: int = 8) -> str:
    steps = [_spelled(op) for op in done]
    if len(steps) > limit:
        steps = ["..."] + steps[-limit:]
    return "; ".join(["wg = WaitGroup()"] + steps)


def replay(WaitGroup: type, ops: list[Op]) -> None:
    """Run ``ops`` on a new WaitGroup, each compared with Go's counter."""
    __tracebackhide__ = True
    wg = _new_waitgroup(WaitGroup)
    count = 0
    for index, op in enumerate(ops):
        kind, delta = op
        before, call = _story(ops[:index]), _spelled(op)
        if kind == "wait":
            got = _wait(wg, 0, count, f"After {before}, {call}")
            expect(got is (count == 0),
                   f"After {before}, {call} returned {got!r}; with the counter at {count} it "
                   f"should return {count == 0}"
                   + (" at once." if count == 0 else " when the timeout runs out."))
            continue
        step = wg.done if kind == "done" else functools.partial(wg.add, delta)
        try:
            call_answer(step, what=call, expected=(ValueError,), timeout=AT_ONCE)
            raised = False
        except ValueError:
            raised = True
        fault = counter_step_fault(count, delta, raised, before, call)
        expect(fault is None, fault or "")
        if not raised:  # else the counter must be unchanged; the next wait checks that
            count += delta


def counter_step_fault(count: int, delta: int, raised: bool, before: str,
                       call: str) -> str | None:
    """What is wrong with one add() or done(), against Go's counter; None when
    it is right. The in-kernel check and the judge both ask this."""
    if raised and count + delta >= 0:
        return (f"After {before}, {call} raised ValueError, but the counter goes from "
                f"{count} to {count + delta}, which is allowed.")
    if not raised and count + delta < 0:
        return (f"After {before}, {call} took the counter from {count} to {count + delta} "
                "without complaint. A WaitGroup's counter may never go below zero (Go "
                "panics: \"sync: negative WaitGroup counter\"): raise ValueError, and "
                "leave the counter as it was.")
    return None


# --- waitgroup: waiting ------------------------------------------------------------------

def _wait(wg: Any, timeout: float | None, count: int, told: str) -> Any:
    """``wg.wait(timeout)`` with the counter at ``count``, which must not hang."""
    limit = AT_ONCE + (timeout or 0 if count else 0)
    try:
        return call_answer(functools.partial(wg.wait, timeout=timeout), what=told,
                           timeout=limit)
    except DeadlineExceeded as stuck:
        if count == 0:
            _quietly(lambda: wg.add(1))  # lets a wait that sleeps until notified go
            _quietly(wg.done)
            advice = ("With the counter at 0 there is nothing to wait for: return True "
                      "at once. Check the counter before you sleep (Condition.wait_for "
                      "does).")
        else:
            _quietly(wg.done)
            advice = ("When the timeout runs out, wait must give up and return False: "
                      "pass the timeout to Condition.wait_for, once, not again on every "
                      "loop.")
        raise CheckFailed(f"{told} did not return within {limit:g} s. {advice}\n"
                          f"{stuck}") from None


def _returns_at_once_when_zero(WaitGroup: type) -> None:
    for timeout in (None, WAITER_TIMEOUT):
        wg = _new_waitgroup(WaitGroup)
        told = f"wg.wait({'' if timeout is None else f'timeout={timeout:g}'}) on a new " \
               "WaitGroup"
        got = _wait(wg, timeout, 0, told)
        expect(got is True, f"{told} returned {got!r}; the counter is 0, so it should "
               "return True.")


def _gives_up(WaitGroup: type, timeout: float) -> None:
    wg = _new_waitgroup(WaitGroup)
    call_answer(wg.add, 1, what="wg.add(1)", timeout=AT_ONCE)
    told = f"wg.wait(timeout={timeout:g}) with the counter at 1"
    got = _wait(wg, timeout, 1, told)
    _quietly(wg.done)
    expect(got is False, f"{told} returned {got!r}; it should return False when the "
           "timeout runs out before the counter reaches 0.")


def _blocked_in(frame: FrameType | None, code: CodeType) -> bool:
    """The thread is inside ``code`` and waiting in something it called."""
    if frame is None or frame.f_code is code:
        return False
    while frame is not None:
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False


def wait_until_waiting(threads: list[threading.Thread], wait: Callable,
                       limit: float = 0.5) -> None:
    """Wait until each live thread is blocked inside the answer's ``wait``.

    Waking waiters before they wait proves nothing. A ``wait`` that polls
    never looks blocked; the check then goes on after ``limit`` seconds.
    """
    code = getattr(wait, "__code__", None)
    if code is None:
        time.sleep(SETTLE)
        return
    end = time.monotonic() + limit
    while time.monotonic() < end:
        frames = sys._current_frames()
        if all(_blocked_in(frames.get(t.ident), code) for t in threads if real_is_alive(t)):
            return
        time.sleep(0.002)


def _wakes_every_waiter(WaitGroup: type, waiters: int, start: int,
                        steps: list[int]) -> None:
    """``waiters`` threads wait while the counter goes from ``start`` by ``steps``;
    only the last step reaches zero, and must wake them all at once."""
    wg = _new_waitgroup(WaitGroup)
    call_answer(wg.add, start, what=f"wg.add({start})", timeout=AT_ONCE)
    results: dict[int, object] = {}

    def waiter(index: int) -> None:
        results[index] = wg.wait(WAITER_TIMEOUT)

    baseline = Baseline()
    workers = [Worker(waiter, i, name=f"waiter {i + 1}") for i in range(waiters)]
    for worker in workers:
        worker.start()
    counter = [start]  # the counter as the check has set it
    try:
        _waiters_wake_at_zero(wg, workers, baseline, results, counter, steps)
    finally:
        _release(wg, workers, counter[0])
    for worker in workers:
        worker.raise_error("wg.wait(...)")
    returned = [results.get(i) for i in range(waiters)]
    told = f"{plural(waiters, 'thread')} called wg.wait(timeout={WAITER_TIMEOUT:g}) with " \
           f"the counter at {start}"
    expect(all(r is True for r in returned),
           f"{told}; when it reached 0 they returned {returned!r}; each should return True.")


def _waiters_wake_at_zero(wg: Any, workers: list[Worker], baseline: Baseline,
                          results: dict[int, object], counter: list[int],
                          steps: list[int]) -> None:
    waiters = len(workers)
    wait_until_waiting(workers, type(wg).wait)
    told = f"{plural(waiters, 'thread')} called wg.wait(timeout={WAITER_TIMEOUT:g}) with " \
           f"the counter at {counter[0]}"
    for delta in steps[:-1]:
        _step(wg, delta)
        counter[0] += delta
        time.sleep(SETTLE)
        early = {i: results[i] for i in results}
        expect(not early,
               f"{told}; then the counter went down to {counter[0]}, and "
               f"{plural(len(early), 'waiter')} returned {sorted(early.values(), key=repr)!r} "
               "at once. Waiters must keep waiting until the counter is 0 or their "
               "timeout runs out: a wake-up is a reason to look at the counter again, "
               "not to return.")
    _step(wg, steps[-1])
    counter[0] += steps[-1]
    try:
        baseline.expect_gone(EXIT_DEADLINE, what="the check")
    except LeakError as leak:
        raise CheckFailed(
            f"{told}; then it reached 0, but {len(leak.leaked)} of the {waiters} waiters "
            f"were still waiting {EXIT_DEADLINE:g} s later. Reaching 0 must release every "
            "waiter: notify_all(), not notify().\n" + str(leak)) from None


def _release(wg: Any, workers: list[Worker], counter: int) -> None:
    """After a failed case, let the waiters a wrong answer left waiting go, so
    no thread of the check outlives it: count down to 0, then take the counter
    to 1 and back to 0 until each has been woken (notify() wakes only one)."""
    if not any(real_is_alive(w) for w in workers):
        return
    for _ in range(max(counter, 0)):
        _quietly(wg.done)
    for _ in range(len(workers) * 3):
        if not any(real_is_alive(w) for w in workers):
            return
        _quietly(lambda: wg.add(1))
        _quietly(wg.done)
        for worker in workers:
            worker.join(0.02)


def _step(wg: Any, delta: int) -> None:
    call_answer(wg.done if delta == -1 else functools.partial(wg.add, delta),
                what="wg.done()" if delta == -1 else f"wg.add({delta})", timeout=AT_ONCE)


# --- waitgroup: many threads at once ------------------------------------------------------

RACE_STARTUP = 5.0  # the race test's child process: its start-up, on a busy machine


def _told(threads: int, rounds: int) -> str:
    return (f"{threads} threads each called wg.add(1) {rounds} times, all at once, then "
            "wg.done() as many times")


LOST_UPDATE = ("Two threads read the same counter value and both wrote back their own "
               "result, so one update was lost. Read, check and write the counter while "
               "holding the Condition's lock, all in one `with` block.")


def _where(stack: list, fallback: str = "an unknown line") -> str:
    locations = tuple(Location(str(f), int(n), str(name)) for f, n, name in stack)
    line = learners_line(locations) or (locations[-1] if locations else None)
    return line.describe() if line else fallback


def _counter_seen(counter: Any) -> str:
    """What the counter attribute, if the race test found one, says was lost."""
    if not (isinstance(counter, list) and len(counter) == 2 and type(counter[1]) is int):
        return ""
    name, value = counter
    which = ("some of the done() calls were lost" if value > 0 else
             "some of the add(1) calls were lost, and done() then took the counter "
             "below 0 without complaint")
    return f" (self.{name} ended at {value}: {which})"


def _race_verdict(report: dict[str, Any], WaitGroup: type, threads: int, rounds: int,
                  budget: float) -> str | None:
    """The learner's message for what the race test's child reported; None if passed."""
    told = _told(threads, rounds)
    outcome = report.get("outcome")
    if outcome == "passed":
        return None
    seen = _counter_seen(report.get("counter"))
    if outcome == "lost":
        return (f"{told}; afterwards the counter should be 0, but wg.wait(timeout=0) "
                f"returned {report.get('got')}{seen}. {LOST_UPDATE}")
    if outcome == "released_early":
        return (f"{told}, all but the last done(); then threads that called wg.wait() "
                f"returned before that last done(){seen}. {LOST_UPDATE}")
    if outcome == "not_released":
        return (f"{told}; after the last done(), threads in wg.wait() were still waiting "
                f"{AT_ONCE:g} s later{seen}. {LOST_UPDATE}")
    if outcome == "error":
        kind, message, call = report.get("type"), report.get("message"), report.get("call")
        where = _where(report.get("stack") or [])
        if kind == "ValueError" and report.get("phase") == "done":
            return (f"{told}; wg.done() raised ValueError ({message}) in "
                    f"{plural(report.get('threads', 1), 'thread')}, though no thread called "
                    "done() more often than add(1): some of the add(1) calls were lost, so "
                    f"the counter reached 0 too soon. {LOST_UPDATE}")
        if kind == "NotImplementedError":
            return f"{call} is not written yet (it raises NotImplementedError at {where})."
        if kind == "Untraced":
            return (f"In the race test ({told}), {call} tried to change what makes races "
                    f"show there ({message}: sys.settrace or sys.setswitchinterval). Leave "
                    "them alone in WaitGroup's code.")
        return (f"In the race test ({told}), {call} raised {kind}: {message}\n"
                f"  at {where}")
    if outcome == "stuck":
        phase = {"add": "wg.add(1)", "done": "wg.done()"}.get(report.get("phase", ""),
                                                              "wg.add(1) / wg.done()")
        return (f"{told}; {plural(report.get('threads', 0), 'thread')} had not finished "
                f"{CALL_DEADLINE:g} s later. One was stuck in {phase} at "
                f"{_where(report.get('stack') or [])}. Look for a lock taken and never "
                "released (take it with `with`), a lock taken twice (a Lock is not "
                "re-entrant), or a loop that never ends.")
    if outcome == "wait_stuck":
        return (f"{told}; afterwards wg.wait(timeout=0) did not return within "
                f"{AT_ONCE:g} s (at {_where(report.get('stack') or [])}).")
    if outcome == "left_behind":
        return _left_behind(WaitGroup, report.get("names") or [])
    if outcome == "killed":
        return (f"The race test ({told}, in a separate Python process) did not finish "
                f"within {budget:g} s and was stopped. A correct WaitGroup takes well under "
                "a second per round: look for a loop that waits without a timeout, or a "
                "lock taken twice.")
    status = report.get("returncode")
    return ("The race test could not run: its separate Python process "
            + ("could not start" if status is None else
               f"ended without a report (exit status {status})") + ".\n"
            + "\n".join(report.get("stderr") or []))


def _left_behind(WaitGroup: type, names: list[str]) -> str:
    return (f"The race test runs {WaitGroup.__name__} in a separate Python process, so that "
            "hammering it cannot slow down or hang this notebook: it takes the source of "
            "your class statement there, with the modules it uses. Your class also uses "
            f"{', '.join(names)}, defined elsewhere in the notebook, which cannot be taken "
            "along: make it part of the class (a method, or an attribute set in __init__).")


def _no_lost_updates(WaitGroup: type, threads: int, rounds: int, trials: int) -> None:
    """Hammer the class in a child process; see ``race_probe``. Nothing of it
    (threads, trace function, switch interval) is left in this process."""
    try:
        request = race_request(WaitGroup)
    except Unavailable as missing:
        if missing.names:
            raise CheckFailed(_left_behind(WaitGroup, missing.names)) from None
        raise CheckFailed(
            f"The race test runs {WaitGroup.__name__} in a separate Python process, from "
            f"the source of its class statement, but {missing}. Define the whole class in "
            "one `class WaitGroup:` statement in a code cell, and run that cell.") from None
    request.update(threads=threads, rounds=rounds, trials=trials, deadline=CALL_DEADLINE,
                   at_once=AT_ONCE)
    budget = RACE_STARTUP + trials * (CALL_DEADLINE + AT_ONCE + 1.0)
    verdict = _race_verdict(run_probe(request, budget), WaitGroup, threads, rounds, budget)
    expect(verdict is None, verdict or "")


@exercise("waitgroup", needs=("WaitGroup",))
def check_waitgroup(answers: dict[str, Any], hidden: bool) -> str:
    WaitGroup = answers["WaitGroup"]
    expect(isinstance(WaitGroup, type), f"WaitGroup is {WaitGroup!r}; it should be a class.")
    if not hidden:
        _returns_at_once_when_zero(WaitGroup)
        _gives_up(WaitGroup, timeout=0.1)
        for ops in SEQUENCES:
            replay(WaitGroup, ops)
        _wakes_every_waiter(WaitGroup, waiters=4, start=1, steps=[-1])
        _no_lost_updates(WaitGroup, threads=8, rounds=1000, trials=3)
    else:
        rng = random.Random(2024)
        for _ in range(6):
            replay(WaitGroup, random_sequence(rng, 40))
        _gives_up(WaitGroup, timeout=0.3)
        _wakes_every_waiter(WaitGroup, waiters=3, start=2, steps=[-1, -1])
        _wakes_every_waiter(WaitGroup, waiters=6, start=3, steps=[-3])
        _no_lost_updates(WaitGroup, threads=8, rounds=2000, trials=5)
    return ("the counter never goes below 0, wait gives up on time and wakes every "
            "waiter, and no update is lost between threads.")


# --- run_with_waitgroup -------------------------------------------------------------------

FINISHING = 0.1  # the reader's done() takes this long: it has clean-up to do
WIND_DOWN = 0.05  # and returns this long after the counter reached zero


def observed_waitgroup(finishing: float = 0.0, hold: threading.Event | None = None,
                       wind_down: float = 0.0) -> tuple[type, list[ReferenceWaitGroup]]:
    """A known-good WaitGroup that remembers its instances; counting down takes
    ``finishing`` seconds, or waits for ``hold`` (a reader that never finishes).

    ``done()`` returns ``wind_down`` seconds after the counter reached zero, as
    in a reader the OS pauses right after its ``done()``: its thread is still
    alive when ``wait()`` returns, every time instead of once in a while.
    """
    created: list[ReferenceWaitGroup] = []

    class WaitGroup(ReferenceWaitGroup):
        def __init__(self) -> None:
            super().__init__()
            created.append(self)

        def add(self, delta: int = 1) -> None:
            if delta < 0:
                if hold is not None:
                    hold.wait()
                time.sleep(finishing)
            super().add(delta)
            if delta < 0:
                time.sleep(wind_down)

    return WaitGroup, created


def _call_text(linger: float | None, timeout: float | None) -> tuple[tuple, str]:
    args, words = (), ["address"]
    if linger is not None:
        args, words = (linger,), words + [f"linger={linger:g}"]
    if timeout is not None:
        args, words = (linger, timeout), words + [f"timeout={timeout:g}"]
    return args, f"run_with_waitgroup({', '.join(words)})"


def _accept_peer(listener: socket.socket, call: str) -> Peer:
    listener.settimeout(EXIT_DEADLINE)
    try:
        accepted, _ = listener.accept()
    except TimeoutError:
        raise CheckFailed(f"{call} never connected to the address it was given.") from None
    return Peer(accepted)


def _running(baseline: Baseline) -> list:
    fresh, _ = baseline.new_threads()
    return [t for t in fresh if t.thread is not None and not t.finished]


def _reader_finishes(run: Callable, linger: float | None, timeout: float | None) -> None:
    WaitGroup, created = observed_waitgroup(finishing=FINISHING, wind_down=WIND_DOWN)
    func = isolated(run, WaitGroup=WaitGroup)
    args, call = _call_text(linger, timeout)
    budget = (linger or 0.2) + (timeout or 1.0) + WIND_DOWN + CALL_DEADLINE
    with socket.create_server((LOOPBACK, 0)) as listener:
        address = listener.getsockname()
        baseline = Baseline()
        before = {id(t) for t in started_threads()}
        look, still = running_at_return(  # the thread that runs the call is the check's
            lambda: [t for t in started_since(before) if not is_own(t)])
        counters: list[int] = []  # each WaitGroup's counter the instant the call returned

        def at_return() -> None:
            counters.extend(wg.counter for wg in created)
            look()

        try:
            call_answer(func, address, *args, what=call, expected=(TimeoutError,),
                        timeout=budget, at_return=at_return)
        except TimeoutError as error:
            stuck = _running(baseline)
            raise CheckFailed("\n".join([
                f"{call} raised TimeoutError ({error}): its reader never finished.",
                *([f"The reader is still blocked:\n{describe_threads(stuck)}"] if stuck
                  else []),
                "On Linux, close() does not wake a thread blocked in recv() (lesson 02): "
                "call conn.shutdown(socket.SHUT_RDWR) first, then conn.close()."])) from None
        fresh, _ = baseline.new_threads()
        running = [t for t in fresh if t.thread in still]
        expect(created, f"{call} never made a WaitGroup: make one inside "
               "run_with_waitgroup (the check hands it a WaitGroup class of its own under "
               "that name), add(1) before starting the reader, and have the reader call "
               "done().")
        expect(all(c == 0 for c in counters),
               "\n".join([f"{call} returned before its reader was done: the WaitGroup's "
                          f"counter was still {max(counters)}.",
                          *([describe_threads(running)] if running else []),
                          "This is the seed's bug. After closing the connection, wait on "
                          "the WaitGroup: wg.wait(timeout), and raise TimeoutError if it "
                          "returns False."]))
        expect(not still, "\n".join([
            f"{call} returned while its reader thread was still running:",
            describe_threads(running) if running else ", ".join(t.name for t in still),
            f"(The check's WaitGroup returns from done() {WIND_DOWN * 1000:.0f} ms after "
            "the counter reaches 0, as a reader the OS pauses right after done() would.) "
            "wg.wait() returns once the reader has called done(), not once its thread has "
            "ended. Keep the reader's Thread object and join() it after wg.wait()."]))
        try:
            baseline.expect_gone(EXIT_DEADLINE, what=call)
        except LeakError as leak:
            raise CheckFailed(f"{call} left threads running after its reader was done.\n"
                              f"{leak}") from None
        seen = _accept_peer(listener, call).watch(EXIT_DEADLINE)
        expect(seen is PeerView.END_OF_STREAM,
               f"After {call} returned, the server had seen {seen.value}, not the "
               "end-of-stream: shut the connection down and close it.")


def _reader_never_finishes(run: Callable, timeout: float) -> None:
    release = threading.Event()
    WaitGroup, _ = observed_waitgroup(hold=release)
    func = isolated(run, WaitGroup=WaitGroup)
    call = f"run_with_waitgroup(address, linger=0, timeout={timeout:g})"
    told = f"{call}, with a reader that never finishes,"
    with socket.create_server((LOOPBACK, 0)) as listener:
        began = time.monotonic()
        try:
            call_answer(func, listener.getsockname(), 0.0, timeout, what=call,
                        expected=(TimeoutError,), timeout=timeout + CALL_DEADLINE)
        except TimeoutError:
            took = time.monotonic() - began
            expect(took < timeout + 0.5,
                   f"{told} raised TimeoutError only after {took:.2f} s: give up once "
                   "timeout seconds have passed.")
        except DeadlineExceeded as stuck:
            raise CheckFailed(
                f"{told} did not return within {timeout + CALL_DEADLINE:g} s. Wait with "
                "wg.wait(timeout), and raise TimeoutError when it returns False.\n"
                f"{stuck}") from None
        else:
            raise CheckFailed(f"{told} returned normally. When wg.wait(timeout) returns "
                              "False the reader is not done: raise TimeoutError.")
        finally:
            release.set()


@exercise("run_with_waitgroup", needs=("run_with_waitgroup",))
def check_run_with_waitgroup(answers: dict[str, Any], hidden: bool) -> str:
    # Graded with a known-good WaitGroup, so a broken one costs only its own test.
    run = answers["run_with_waitgroup"]
    if not hidden:
        _reader_finishes(run, linger=None, timeout=None)
        _reader_never_finishes(run, timeout=0.3)
    else:
        _reader_finishes(run, linger=0.0, timeout=1.0)
        _reader_finishes(run, linger=0.05, timeout=2.0)
        _reader_never_finishes(run, timeout=0.6)
    return ("the server saw end-of-stream, the call returned only once its reader thread "
            "had ended, and it gives up with TimeoutError when the reader never finishes.")
