"""Lesson 05's call_with_timeout judged from outside.

The judge picks each kind of work (quick, returning None, failing, slow but
checking ``cancelled``, asleep on ``cancelled``, deaf to it, done within the
timeout) and each timeout afresh; the work is the in-kernel check's.

From outside, in /proc, it sees the thread the work runs in start (held
there until the judge has looked): a thread new since the call began and not
the caller's own. With the caller held the instant the call returns or
raises, it sees which threads the call started still run then: none may,
but for the worker of deaf work, which must end once the judge has had the
work released. (Each thread the call starts lingers a moment after its last
line, ``probes.call_with_timeout.LINGER``, so that one left running is still
there when the judge looks.) It times each call itself, from the moment it
lets the call begin to the moment it sees it return; for the upper bounds it
deducts the time it held the worker, for the lower ones it does not (the
learner's timeout runs on while the worker is held).

From the learner's process it takes as plain data how the call ended
(returned, and whether with the work's own result, an object only the work
has; or raised TimeoutError, the work's WorkFailed, or another error by
name), whether ``cancelled`` was a threading.Event and set at the return,
whether calls made at once gave their works the same ``cancelled``, and the
worker thread's name and daemon flag, which only shape the message.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from ...exercises.call_with_timeout_work import (CLEANUP, SLACK, error_lost, gave_up_late,
                                                in_callers_thread, not_an_event,
                                                returned_late)
from ...exercises.harness import plural
from ...exercises.limits import EXIT_DEADLINE
from ...probes.call_with_timeout import LINGER, budget
from .registry import expect, fresh_rng, judge
from .subject import Rejected, Subject
from .too_slow import TooSlow, retried

PROBE = "call_with_timeout"
STOPS_WITHIN = CLEANUP + LINGER  # the check's work ends this long after it is cancelled
QUICK = (1.5, 2.0)  # timeouts for work that is done at once: twice the slack and linger, and more
# ... for slow work: more than STOPS_WITHIN and LINGER, so a right answer's join waits the
# work out and a joined thread does not linger (probes.call_with_timeout._Started)
GIVE_UP = (0.45, 0.55)
DEAF = (0.4, 0.5)  # ... for work that ignores cancelled: the call takes twice this (and
# one that waits twice the timeout for it, three times: past 2 x timeout + SLACK
# whenever the timeout is over SLACK; a right call's margin is SLACK whatever it is)
AT_ONCE_TIMEOUT = 0.45  # as GIVE_UP


@dataclass
class Seen:
    """One call, as the judge saw it, and what the probe said of it."""

    what: str
    work: str
    timeout: float
    outcome: dict = field(default_factory=dict)
    wall: float = 0.0  # from letting the call begin to seeing it return
    held: float = 0.0  # of which the judge held the worker to look at it
    worker: int | None = None  # the host's id of the thread the work ran in
    running: list[int] = field(default_factory=list)  # threads it started, alive at its return
    cancelled: bool = False  # set at the return (the probe's word)
    returned: bool = False  # the judge saw the return

    @property
    def took(self) -> float:
        return self.wall - self.held

    @property
    def raised(self) -> Any:
        return self.outcome.get("raised")


def _inner_ids(value: object) -> set[int]:
    return {t for t in value if type(t) is int} if isinstance(value, list) else set()


def _worker_thread(subject: Subject, inner: object, before: dict[int, int], own: set[int],
                   what: str) -> int:
    if inner in own:
        raise Rejected(in_callers_thread(what))
    if inner in before:
        raise Rejected(f"{what} ran the work in a thread that was running before the call; "
                       "start a thread of its own for each call, and wait for it.")
    return subject.started([inner], before, 1, "the work")[0]


def _run(subject: Subject, work: str, timeout: float, seconds: float = 0.0) -> Seen:
    """One call of the learner's function, watched from /proc at each step."""
    seen = Seen(f"call_with_timeout(work, timeout={timeout:g})", work, timeout)
    before = subject.tasks()
    kind, data = subject.call(PROBE, work=work, timeout=timeout, seconds=seconds)
    expect(kind == "step", f"{seen.what}: the probe did not get to call it.")
    own = _inner_ids(data.get("caller"))
    began = time.monotonic()
    kind, data = subject.resume(PROBE)
    while kind == "step":
        if "worker" in data:
            looked = time.monotonic()
            worker = _worker_thread(subject, data["worker"], before, own, seen.what)
            seen.worker = worker if seen.worker is None else seen.worker
            seen.held += time.monotonic() - looked
        elif "returned" in data and not seen.returned:
            seen.wall, seen.returned = time.monotonic() - began, True
            seen.running = subject.still_running(
                [host for inner, host in subject.tasks().items()
                 if inner not in before and inner not in own])
            at_return = data["returned"]
            seen.cancelled = isinstance(at_return, dict) and at_return.get("cancelled") is True
        kind, data = subject.resume(PROBE)
    seen.outcome = data
    return seen


def _shown(seen: Seen) -> str:
    """How the call ended, in words."""
    if seen.raised is None:
        value = seen.outcome.get("value")
        if seen.outcome.get("is_result") is True:
            return "returned the work's result"
        if isinstance(value, dict):
            return f"returned a {value.get('not_plain', 'strange')} object"
        return f"returned {value!r}"
    return f"raised {seen.outcome.get('message') or seen.raised}"


def _ended(seen: Seen, deaf: bool = False) -> None:
    """Reject a call that hung, failed on its own, or never called the work."""
    raised, what = seen.raised, seen.what
    if raised == "hung":
        limit = budget(seen.work, seen.timeout)
        if deaf:
            raise Rejected(
                f"The check gave {what} work that ignores cancelled; the call did not return "
                f"within {limit:g} s. Work like that cannot be stopped, so after setting "
                "cancelled wait for it at most timeout more (join(timeout)), then raise "
                "TimeoutError anyway.")
        if seen.outcome.get("cancelled") is not True:
            raise Rejected(
                f"{what} did not return within {limit:g} s: it waited for work that nobody "
                "told to stop (cancelled was never set). When the timeout is up, set "
                "cancelled, then wait at most timeout more.")
        raise Rejected(f"{what} did not return within {limit:g} s, though cancelled was set "
                       f"and the work stops within {STOPS_WITHIN * 1000:.0f} ms of it.")
    if raised == "NotImplementedError":
        raise Rejected("call_with_timeout is not written yet (it raises NotImplementedError).")
    if raised not in (None, "TimeoutError", "WorkFailed"):
        raise Rejected(f"{what} raised {seen.outcome.get('message') or raised}")
    expect(seen.outcome.get("called") is True,
           f"{what} {_shown(seen)} without calling work(cancelled): run the work in a thread "
           "of its own and wait for it.")
    expect(seen.returned, f"{what}: the judge did not see it return.")


def _left_running(seen: Seen, after: str) -> None:
    """No thread the call started may run on at its return, its worker included
    (but for deaf work's, which nobody can stop)."""
    running = [t for t in seen.running if t != seen.worker or seen.work != "deaf"]
    if not running:
        return
    what, name = seen.what, seen.outcome.get("worker_name")
    if seen.worker not in running:
        raise Rejected(f"{what} {after} while {plural(len(running), 'thread')} it started "
                       "still ran: wait for every thread you start before returning.")
    worker = f"its worker thread {name!r}"
    if seen.raised in (None, "WorkFailed"):
        pool = (" A thread pool's thread waits for more work: shut the pool down and wait "
                "for it (shutdown(wait=True))." if "ThreadPoolExecutor" in str(name) else "")
        raise Rejected(f"{what} {after} while {worker} was still alive, though the work was "
                       f"done: join the worker before returning.{pool}")
    if not seen.cancelled:
        daemon = (" Making it a daemon thread does not stop it: it only means Python will "
                  "not wait for it at exit." if seen.outcome.get("worker_daemon") is True
                  else "")
        raise Rejected(
            f"{what} {after}, but {worker} was still running the work, and cancelled was "
            "never set: nothing tells the work to stop, so it runs on after the caller gave "
            f"up (Go's goroutine stuck sending to a channel nobody reads).{daemon} Set "
            "cancelled, then join the worker for at most timeout more.")
    if seen.wall >= 1.8 * seen.timeout:  # it did wait for the worker: the machine was slow
        raise TooSlow(f"{what} {after} after {seen.wall:.2f} s while {worker}, cancelled, was "
                      f"still cleaning up, though it stops within {STOPS_WITHIN:.2f} s.")
    raise Rejected(
        f"{what} {after} while {worker} was still running: the work saw cancelled and was "
        f"cleaning up ({STOPS_WITHIN * 1000:.0f} ms). After cancelled.set(), wait for the "
        "worker (join it, for at most timeout) before raising TimeoutError.")


def _expect_timeout(seen: Seen) -> None:
    what = seen.what
    expect(seen.raised != "WorkFailed",
           f"{what} raised the work's own error, although the work had not failed.")
    expect(seen.raised is not None,
           f"{what} {_shown(seen)} after {seen.wall:.2f} s, though the work was still running "
           "at the timeout; it should raise TimeoutError.")
    expect(seen.wall >= seen.timeout * 0.9,
           f"{what} raised TimeoutError after {seen.wall:.2f} s, before its timeout of "
           f"{seen.timeout:g} s: give the work its whole timeout first.")


def _finished_case(subject: Subject, work: str, timeout: float, seconds: float = 0.0) -> None:
    """Work done within the timeout: its result, and no thread left."""
    def case() -> None:
        seen = _run(subject, work, timeout, seconds)
        _ended(seen)
        done = seconds + LINGER  # when the work's thread has ended
        if seen.raised == "TimeoutError" and work == "in_time":
            raise TooSlow(f"{seen.what} raised TimeoutError after {seen.wall:.2f} s, though "
                          f"the work's thread ended after {done:.2f} s, within the timeout.")
        _left_running(seen, "returned" if seen.raised is None else "raised")
        expect(seen.raised is None,
               f"{seen.what} {_shown(seen)}, though the work returned after {seconds:g} s, "
               "within the timeout; it should return the work's result.")
        if work == "none":
            expect(seen.outcome.get("value") is None and "value" in seen.outcome,
                   f"{seen.what} {_shown(seen)}; it should return what the work returned: None.")
        else:
            expect(seen.outcome.get("is_result") is True,
                   f"{seen.what} {_shown(seen)}; it should return what the work returned (an "
                   "object only the work has).")
        if seen.took > done + timeout / 2 + SLACK:
            raise TooSlow(returned_late(seen.what, seen.took,
                                        f"the work's thread had ended after {done:.2f} s"))
    retried(case)


def _fails_case(subject: Subject, timeout: float) -> None:
    seen = _run(subject, "fails", timeout)
    _ended(seen)
    _left_running(seen, "returned" if seen.raised is None else "raised")
    expect(seen.raised == "WorkFailed", error_lost(seen.what, _shown(seen)))


def _gave_up_case(subject: Subject, work: str, timeout: float) -> None:
    """Slow work that honours cancelled: TimeoutError, and nothing left running."""
    def case() -> None:
        seen = _run(subject, work, timeout)
        _ended(seen)
        _left_running(seen, "raised TimeoutError" if seen.raised else "returned")
        _expect_timeout(seen)
        expect(seen.outcome.get("cancelled_is_event") is True,
               not_an_event(seen.what, str(seen.outcome.get("cancelled_type"))))
        if seen.took > 2 * timeout + SLACK:
            raise TooSlow(gave_up_late(seen.what, seen.took))
    retried(case)


def _deaf_case(subject: Subject, timeout: float) -> None:
    """Work that ignores cancelled: TimeoutError within twice the timeout, its
    worker alone left running, and gone once the work is let go."""
    def case() -> None:
        seen = _run(subject, "deaf", timeout)
        _ended(seen, deaf=True)
        _left_running(seen, "raised TimeoutError" if seen.raised else "returned")
        _expect_timeout(seen)
        if seen.took > 2 * timeout + SLACK:
            raise TooSlow(f"The check gave {seen.what} work that ignores cancelled; the call "
                          f"took {seen.took:.2f} s. It should give up within 2 × timeout: the "
                          "timeout, then at most the timeout again for the worker.")
        left = subject.wait_gone([seen.worker] if seen.worker else [], LINGER + EXIT_DEADLINE)
        expect(not left, "When the work that ignored cancelled finally returned, its worker "
                         f"thread {seen.outcome.get('worker_name')!r} still did not end.")
    retried(case)


def _at_once_case(subject: Subject, rng: random.Random, calls: int) -> None:
    """Several calls at the same time, from several threads: each its own."""
    works = [rng.choice(["cooperative", "asleep", "quick"]) for _ in range(calls)]
    told = f"{calls} calls of call_with_timeout(work, timeout={AT_ONCE_TIMEOUT:g}) ran at once"
    before = subject.tasks()
    kind, data = subject.call("call_at_once", works=works, timeout=AT_ONCE_TIMEOUT)
    expect(kind == "step", f"{told}: the probe did not get to call them.")
    own = _inner_ids(data.get("callers"))
    running = subject.still_running([host for inner, host in subject.tasks().items()
                                     if inner not in before and inner not in own])
    subject.resume("call_at_once")
    expect(data.get("hung") is False, f"{told}; some never returned.")
    expect(data.get("shared") is False,
           f"{told}; the works of different calls were given the same cancelled Event, so "
           "one call's timeout stops the work of the others. Make a new threading.Event in "
           "each call.")
    outcomes = data.get("calls")
    expect(isinstance(outcomes, list) and len(outcomes) == calls
           and all(isinstance(o, dict) for o in outcomes),
           f"{told}: the probe did not say how each ended.")
    for work, outcome in zip(works, outcomes):
        if work == "quick":
            expect(outcome.get("raised") is None and outcome.get("is_result") is True,
                   f"{told}; one with quick work did not return its own result. Keep each "
                   "call's result, error and event in the call itself, not in globals that "
                   "other calls share.")
        else:
            expect(outcome.get("raised") == "TimeoutError",
                   f"{told}; one with slow work gave "
                   f"{outcome.get('message') or outcome.get('value')!r} instead of "
                   "TimeoutError.")
    expect(not running, f"{told}; the worker of one was still running after it returned.")


@judge("call_with_timeout")
def judge_call_with_timeout(subject: Subject, hidden: bool) -> None:
    rng = fresh_rng()

    def drawn(bounds: tuple[float, float]) -> float:
        return round(rng.uniform(*bounds), 2)

    _finished_case(subject, "quick", drawn(QUICK))
    _finished_case(subject, "none", drawn(QUICK))
    _fails_case(subject, drawn(QUICK))
    _gave_up_case(subject, "cooperative", drawn(GIVE_UP))
    _gave_up_case(subject, "asleep", drawn(GIVE_UP))
    _deaf_case(subject, drawn(DEAF))
    _at_once_case(subject, rng, calls=rng.randint(4, 6) if hidden else 3)
    if hidden:  # the in-kernel check's hidden cases, with the judge's own draws
        timeout = drawn((0.9, 1.2))
        _finished_case(subject, "in_time", timeout, seconds=round(timeout / 3, 2))
