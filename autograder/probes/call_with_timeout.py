"""Lesson 05's probes for call_with_timeout: the learner's function run on
the check's work (``exercises.call_with_timeout``), answered as plain data.

The work's thread is held at its start until the judge has seen it, and the
caller is held the instant the call returns or raises, so the judge sees
then in /proc which threads still run. Every thread the call starts lingers
``LINGER`` after its last line, as a thread the OS has just paused would: one
left running at the return is still there when the judge looks, well past a
joined thread's teardown. (A thread the call is already joining, for longer
than the linger would last, ends at once: its caller waits either way.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..exercises.call_with_timeout_work import (Work, WorkFailed, asleep, cooperative, deaf,
                                           fails, in_time, quick, returns_none)
from ..exercises.harness import CALL_DEADLINE
from ..threads import DeadlineExceeded, call_with_deadline
from ..threads.census import real_is_alive, real_join
from ..threads.stand_ins import stand_in
from .held import HOLD, Held
from .joins import Joins
from .registry import error_text, native_id, plain, probe

LINGER = 0.3  # see the module's docstring (judge.subject.TEARDOWN is far shorter)
WORK = {"quick": quick, "none": returns_none, "fails": fails, "cooperative": cooperative,
        "asleep": asleep, "in_time": in_time, "deaf": deaf}


def budget(work: str, timeout: float) -> float:
    """How long one call may run before the probe gives up on it: the
    in-kernel check's deadline, the threads' linger, and time for the judge's looks."""
    check = 2 * timeout + 1 if work == "deaf" else max(CALL_DEADLINE, 2 * timeout + 1)
    return check + LINGER + 1.0


class _Started(Joins):
    """Threads started by the calls' own threads, or by threads they started:
    each lingers ``LINGER`` after its last line, unless one of those threads
    is already joining it for longer than that (``Joins``)."""

    @contextmanager
    def hooked(self) -> Iterator[None]:
        start = vars(threading.Thread)["start"]

        def lingering_start(thread: threading.Thread) -> None:
            if threading.get_ident() in self.idents:
                self._linger(thread)
            return start(thread)

        threading.Thread.start = lingering_start  # type: ignore[method-assign]
        try:
            with self.recorded():
                yield
        finally:
            threading.Thread.start = start  # type: ignore[method-assign]

    def _linger(self, thread: threading.Thread) -> None:
        run = thread.run

        @stand_in("the check's pause after your thread's last line")
        def lingering_run() -> None:
            self.watch_this_thread()
            try:
                run()
            finally:  # still alive: its last line ran, the thread has not ended
                self.linger(thread, LINGER)
        thread.run = lingering_run  # type: ignore[method-assign]


def _cancelled(work: Work) -> bool:
    return isinstance(work.cancelled, threading.Event) and work.cancelled.is_set()


def _raised(error: BaseException) -> dict:
    kind = ("TimeoutError" if isinstance(error, TimeoutError) else
            "WorkFailed" if isinstance(error, WorkFailed) else type(error).__name__)
    return {"raised": kind, "message": error_text(error)}


def _returned(work: Work, value: Any) -> dict:
    return {"raised": None, "is_result": value is work.release, "value": plain(value)}


def _worker(work: Work) -> dict:
    """The thread the work ran in, and what it was given: for the judge's messages."""
    thread = work.thread
    return {"called": thread is not None,
            "worker_name": None if thread is None else str(thread.name)[:100],
            "worker_daemon": None if thread is None else bool(thread.daemon),
            "cancelled_is_event": isinstance(work.cancelled, threading.Event),
            "cancelled_type": type(work.cancelled).__name__}


def _held_work(kind: str, held: Held, seconds: float) -> Work:
    body = WORK[kind]

    @stand_in("the check's work, held until the judge has seen its thread")
    def announced(work: Work, cancelled: Any) -> Any:
        held.announce("worker", native_id())
        return body(work, cancelled)

    work = Work(kind, announced)
    work.seconds = seconds  # type: ignore[attr-defined]
    return work


@probe("call_with_timeout")
def call_case(namespace: dict, work: str, timeout: float, seconds: float = 0.0
              ) -> Iterator[dict]:
    """Steps: the caller ready, held before the call (``caller``: the probe's
    own threads); the work's thread at its start (``worker``: its id); the
    instant the call returned or raised (``returned``: whether cancelled was
    set). The result: how the call ended, and the worker's facts."""
    answer = namespace.get("call_with_timeout")
    if not callable(answer):
        return {"missing": ["call_with_timeout"]}
    if work not in WORK:
        raise ValueError(f"no such work {work!r}")
    held = Held()
    job = _held_work(work, held, seconds)
    started, gate, gave_up = _Started(), threading.Event(), threading.Event()
    runner: list[int] = []
    outcome: dict[str, Any] = {}

    def at_start() -> None:
        started.watch_this_thread()
        runner.append(native_id())
        gate.wait(HOLD)

    def called() -> Any:
        try:
            return answer(job, timeout)
        finally:
            if not gave_up.is_set():
                held.announce("returned", {"cancelled": _cancelled(job)})

    def call() -> None:
        with started.hooked():
            try:
                outcome.update(_returned(job, call_with_deadline(
                    called, timeout=budget(work, timeout), at_start=at_start,
                    what=f"call_with_timeout(work, timeout={timeout:g})")))
            except DeadlineExceeded:
                gave_up.set()
                outcome.update(raised="hung", cancelled=_cancelled(job))
            except BaseException as error:  # noqa: BLE001 - reported to the judge
                outcome.update(_raised(error))

    # Not a daemon: the learner's threads take the flag from it, as from a notebook's.
    caller = threading.Thread(target=call, name="call_with_timeout caller")
    caller.start()
    while not runner and caller.is_alive():
        caller.join(0.001)
    try:
        yield {"caller": [caller.native_id] + runner}
        gate.set()
        yield from held.relay(caller)
        return dict(outcome, **_worker(job))
    finally:
        gate.set()
        job.stop()


@probe("call_at_once")
def at_once_case(namespace: dict, works: list, timeout: float) -> Iterator[dict]:
    """One call per work in ``works``, all at once, each from a thread of its
    own. One step once all have returned (``callers``: the probe's threads;
    ``calls``: how each ended; ``hung``; ``shared``: whether two works were
    given the same ``cancelled``); the works are then let go."""
    answer = namespace.get("call_with_timeout")
    if not callable(answer):
        return {"missing": ["call_with_timeout"]}
    jobs = [Work(kind, WORK[kind]) for kind in works]
    calls: list[dict | None] = [None] * len(jobs)
    started = _Started()

    def one(index: int) -> None:
        started.watch_this_thread()
        try:
            calls[index] = _returned(jobs[index], answer(jobs[index], timeout))
        except BaseException as error:  # noqa: BLE001 - reported to the judge
            calls[index] = _raised(error)

    callers = [threading.Thread(target=one, args=(i,), name=f"caller-{i}")
               for i in range(len(jobs))]
    try:
        with started.hooked():
            for thread in callers:
                thread.start()
            end = time.monotonic() + 2 * timeout + CALL_DEADLINE + LINGER
            for thread in callers:
                real_join(thread, max(0.0, end - time.monotonic()))
        given = [id(job.cancelled) for job in jobs if job.thread is not None]
        yield {"callers": [t.native_id for t in callers], "calls": calls,
               "hung": any(real_is_alive(t) for t in callers),
               "shared": len(set(given)) < len(given)}
        return {}
    finally:
        for job in jobs:
            job.stop()
