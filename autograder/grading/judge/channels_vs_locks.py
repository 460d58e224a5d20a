"""Lesson 04 judged from outside: signal_done_queue, _join and _waitgroup.

For each call, the judge sees in /proc every worker the call starts (each is
held at its first line until the judge has seen it alive), and at the instant
the call returns (its runner held there) that no thread started since the
call began is still alive: the threads are back to those before the call. It
checks the returned indices with their exact types. Which mechanism carried
the signal (queue puts, joins, WaitGroup done/wait calls) it takes from the
probe, as counts the in-kernel check's hooks made in the learner's process.
"""

from __future__ import annotations

from collections import Counter

from ...exercises.channels_vs_locks import (EXIT_DEADLINE, MECHANISMS, QUEUE_PUT,
                                            WAITGROUP_DONE, WAITGROUP_WAIT, WIND_DOWN,
                                            CallRecord, Mechanism, _expect_each_index_once)
from ...exercises.harness import CALL_DEADLINE, CheckFailed, plural
from .registry import expect, fresh_rng, judge
from .subject import Rejected, Subject


class _Worker:
    """A worker as the probe named it, for the in-kernel check's rules."""

    def __init__(self, name: str) -> None:
        self.name = name


def _record(counted: dict) -> CallRecord:
    """The probe's counts as the CallRecord the in-kernel rules read."""
    names, joined = counted.get("workers"), counted.get("joined")
    if not (isinstance(names, list) and isinstance(joined, list) and len(names) == len(joined)
            and all(type(c) is int for c in (counted.get("puts"), counted.get("dones"),
                                             counted.get("waits")))):
        raise Rejected("The signal_done probe did not say what the call did.")
    record = CallRecord()
    record.workers = [_Worker(str(name)) for name in names]  # type: ignore[misc]
    record.joined = {w for w, j in zip(record.workers, joined) if j is True}  # type: ignore
    record.worker_calls = Counter({QUEUE_PUT: counted["puts"], WAITGROUP_DONE: counted["dones"]})
    record.caller_calls = Counter({WAITGROUP_WAIT: counted["waits"]})
    return record


def _signal_case(subject: Subject, mechanism: Mechanism, n: int) -> None:
    call = f"{mechanism.function}({n})"
    before = subject.tasks()
    kind, data = subject.call("signal_done", function=mechanism.function, n=n)
    expect(kind == "step", f"{call}: the probe did not get to call it.")
    own = set(t for t in data.get("caller", []) if type(t) is int) \
        if isinstance(data.get("caller"), list) else set()
    kind, data = subject.resume("signal_done")
    workers: list[int] = []
    running: list[int] | None = None
    while kind == "step":
        if "worker" in data:
            expect(data["worker"] not in own, f"{call}: a worker is the call's own thread.")
            workers += subject.started([data["worker"]], before, 1, "a worker")
        elif "returned" in data:  # the runner is held: the instant of return
            running = subject.still_running(
                [host for inner, host in subject.tasks().items()
                 if inner not in before and inner not in own])
        kind, data = subject.resume("signal_done")
    raised = data.get("raised")
    if raised == "hung":
        raise Rejected(str(data.get("message") or f"{call} did not return within "
                                                    f"{CALL_DEADLINE:g} s."))
    if raised is not None:
        raise Rejected(str(data.get("message") or f"{call} raised {raised}"))
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        raise Rejected(str(errors[0]))
    expect(running is not None, f"{call}: the judge did not see it return.")
    expect(not running,
           f"{call} returned while {plural(len(running), 'worker thread')} "  # type: ignore
           f"{'was' if len(running) == 1 else 'were'} still running: the judge saw "  # type: ignore
           f"{len(running)} more thread{'s' if len(running) != 1 else ''} in the process "  # type: ignore
           f"than before the call. (The check makes every worker linger "
           f"{WIND_DOWN * 1000:.0f} ms after its last line, as a thread the OS has just "
           "paused would.) " + mechanism.still_running_advice)
    left = subject.wait_gone(workers, EXIT_DEADLINE)
    expect(not left, f"{call} left {plural(len(left), 'thread')} running.")
    expect(len(workers) >= n,
           f"{call} started {'no thread' if not workers else plural(len(workers), 'thread')} "
           f"for {plural(n, 'worker')}: start one thread per worker "
           "(threading.Thread(target=..., args=(i,))), each doing its tiny unit of work.")
    result = data.get("result")
    expect(isinstance(result, list),
           f"{call} returned {result!r}; it should return the list of worker indices in "
           "the order their completion was received.")
    try:
        _expect_each_index_once(call, result, n)
    except CheckFailed as failed:
        raise Rejected(str(failed)) from None
    record = _record(data)
    expect(len(record.workers) >= len(workers),
           f"{call}: the probe recorded fewer workers than the judge saw start.")
    missing = mechanism.used(record, n) if n else None
    expect(missing is None,
           f"{call} must learn that its workers are done {mechanism.how}, but {missing}.")


@judge("signal_done")
def judge_signal_done(subject: Subject, hidden: bool) -> None:
    rng = fresh_rng()
    sizes = [1, rng.randint(3, 6)] + ([0, 2, rng.randint(12, 16)] if hidden else [])
    for mechanism in MECHANISMS:
        for n in sizes:
            _signal_case(subject, mechanism, n)
