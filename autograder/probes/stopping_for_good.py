"""Lesson 05's probes: the learner's ClosableQueue and call_with_timeout run on
the judge's inputs, answered as plain data.

closable_queue: ``queue_ops`` runs the judge's operations on one thread and
reports each outcome; ``queue_getters`` and ``queue_consumers`` start the
check's getters or consumers held at a gate until the judge has seen them in
/proc, then put and close when the judge says; ``queue_races`` runs the
in-kernel check's stepped races here, where they happen (inside the learner's
object, which /proc cannot see), and reports the verdict.

call_with_timeout: the learner's function runs on the check's work
(``exercises.call_with_timeout``). The work's thread is held at its start
until the judge has seen it, and the caller is held the instant the call
returns or raises, so the judge sees then in /proc which threads still run.
Every thread the call starts lingers ``LINGER`` after its last line, as a
thread the OS has just paused would: one left running at the return is still
there when the judge looks, well past a joined thread's teardown.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..exercises.call_with_timeout_work import (Work, WorkFailed, asleep, cooperative, deaf,
                                           fails, in_time, quick, returns_none)
from ..exercises.closable_queue import races_case
from ..exercises.harness import CALL_DEADLINE, CheckFailed, Worker, call_answer
from ..exercises.limits import AT_ONCE, EXIT_DEADLINE
from ..threads import DeadlineExceeded, LeakError, call_with_deadline
from ..threads.census import real_is_alive, real_join
from ..threads.stand_ins import stand_in
from .held import HOLD, Held, gated
from .registry import error_text, plain, probe

_native_id = threading.get_native_id  # bound before any learner code runs
LISTED = 1000  # list(q) is cut off after this many items: a queue that never ends
LINGER = 0.3  # see the module's docstring (judge.subject.TEARDOWN is far shorter)
WORK = {"quick": quick, "none": returns_none, "fails": fails, "cooperative": cooperative,
        "asleep": asleep, "in_time": in_time, "deaf": deaf}


# --- closable_queue ------------------------------------------------------------------

def _new_queue(namespace: dict) -> tuple[Any, Any, dict | None]:
    """A new ClosableQueue and the Closed class, or what stopped the probe."""
    absent = [name for name in ("Closed", "ClosableQueue") if name not in namespace]
    if absent:
        return None, None, {"missing": absent}
    Closed = namespace["Closed"]
    if not (isinstance(Closed, type) and issubclass(Closed, Exception)):
        return None, None, {"closed_is": repr(Closed)[:100]}
    try:
        made = call_with_deadline(namespace["ClosableQueue"], timeout=AT_ONCE,
                                  what="ClosableQueue()")
    except DeadlineExceeded:
        return None, None, {"made": ["hung"]}
    except BaseException as error:  # noqa: BLE001 - reported to the judge
        return None, None, {"made": ["error", error_text(error)]}
    return made, Closed, None


def _outcome(call: Callable[[], Any], Closed: type, what: str,
             returned: Callable[[Any], list]) -> list:
    """One call into the queue, as data: ``returned(value)``, ``["closed"]``,
    ``["error", text]`` or ``["hung"]``."""
    try:
        value = call_with_deadline(call, timeout=AT_ONCE, what=what)
    except DeadlineExceeded:
        return ["hung"]
    except Closed:
        return ["closed"]
    except BaseException as error:  # noqa: BLE001 - reported to the judge
        return ["error", error_text(error)]
    return returned(value)


def _let_go(q: Any, Closed: type) -> None:
    """Close the queue, quietly, so no thread of the probe's stays blocked or spinning."""
    _outcome(lambda: q.close(), Closed, "q.close()", lambda _: [])


def _done(_: Any) -> list:
    return ["returned"]


@probe("queue_ops")
def ops_case(namespace: dict, ops: list) -> dict:
    """``ops`` on one new queue, from one thread: ``["put", value]``,
    ``["put_object"]`` (a fresh object(), reported as ``{"object": n}``),
    ``["get"]``, ``["close"]``, ``["list"]`` (list(q)); stops at a call that hangs."""
    q, Closed, problem = _new_queue(namespace)
    if problem:
        return problem
    objects: list[object] = []

    def shown(value: Any) -> Any:
        number = next((n for n, o in enumerate(objects) if value is o), None)
        return plain(value) if number is None else {"object": number}

    results = []
    for op in ops:
        kind = op[0]
        if kind in ("put", "put_object"):
            if kind == "put_object":
                objects.append(object())
            item = op[1] if kind == "put" else objects[-1]
            result = _outcome(lambda item=item: q.put(item), Closed, "q.put()", _done)
        elif kind == "get":
            result = _outcome(lambda: q.get(), Closed, "q.get()",
                              lambda value: ["item", shown(value)])
        elif kind == "close":
            result = _outcome(lambda: q.close(), Closed, "q.close()", _done)
        elif kind == "list":
            result = _outcome(lambda: list(itertools.islice(iter(q), LISTED)), Closed,
                              "list(q)", lambda values: ["items", [shown(v) for v in values]])
        else:
            raise ValueError(f"no such operation {kind!r}")
        results.append(result)
        if result == ["hung"]:
            break
    _let_go(q, Closed)
    return {"results": results}


@stand_in("the check's getter: q.get()")
def _get_once(q: Any, Closed: type, outcome: list) -> None:
    try:
        outcome.append(["item", plain(q.get())])
    except Closed:
        outcome.append(["closed"])
    except BaseException as error:  # noqa: BLE001 - reported to the judge
        outcome.append(["error", error_text(error)])


@probe("queue_getters")
def getters_case(namespace: dict, getters: int, item: Any) -> Iterator[dict]:
    """Steps: the getters started, held (``started``); released into q.get()
    on the empty queue (``getting``: the judge watches them sleep); one
    ``q.put(item)`` (``put``); one ``q.close()`` (``closed``). The result:
    what each get() did."""
    q, Closed, problem = _new_queue(namespace)
    if problem:
        return problem
    gate = threading.Event()
    outcomes: list[list] = [[] for _ in range(getters)]
    try:
        pool = [gated(_get_once, q, Closed, out, name=f"getter-{i}", gate=gate)
                for i, out in enumerate(outcomes)]
        yield {"started": [w.native_id for w in pool]}
        gate.set()
        yield {"getting": True}
        yield {"put": _outcome(lambda: q.put(item), Closed, "q.put()", _done)}
        yield {"closed": _outcome(lambda: q.close(), Closed, "q.close()", _done)}
        return {"got": [out[0] if out else None for out in outcomes]}
    finally:
        gate.set()
        _let_go(q, Closed)


@stand_in("the check's consumer: for item in q")
def _consume(q: Any, out: list) -> None:
    for item in q:
        out.append(item)


@stand_in("the check's producer")
def _produce(q: Any, items: list) -> None:
    for item in items:
        q.put(item)


@probe("queue_consumers")
def consumers_case(namespace: dict, consumers: int, batches: list) -> Iterator[dict]:
    """Steps: the consumers started, held (``started``); released, one
    producer per batch has put its items (``producers``); q.close() called
    once (``closed``). The result: what each consumer received."""
    q, Closed, problem = _new_queue(namespace)
    if problem:
        return problem
    gate = threading.Event()
    outs: list[list] = [[] for _ in range(consumers)]
    try:
        pool = [gated(_consume, q, out, name=f"consumer-{i}", gate=gate)
                for i, out in enumerate(outs)]
        yield {"started": [w.native_id for w in pool]}
        gate.set()
        makers = [Worker(_produce, q, batch, name=f"producer-{p}")
                  for p, batch in enumerate(batches)]
        for maker in makers:
            maker.start()
        end = time.monotonic() + EXIT_DEADLINE * 3
        for maker in makers:
            real_join(maker, max(0.0, end - time.monotonic()))
        producers = {"stuck": any(real_is_alive(m) for m in makers),
                     "errors": [error_text(m.error) for m in makers if m.error is not None]}
        if producers["stuck"] or producers["errors"]:
            return {"producers": producers}
        yield {"producers": producers}  # the judge sees every consumer still there
        yield {"closed": _outcome(lambda: q.close(), Closed, "q.close()", _done)}
        for worker in pool:
            real_join(worker, 0.2)
        return {"outs": [[plain(item) for item in out] for out in outs],
                "errors": [error_text(w.error) for w in pool if w.error is not None]}
    finally:
        gate.set()
        _let_go(q, Closed)


@probe("queue_races")
def races(namespace: dict, hidden: bool) -> dict:
    """The in-kernel check's stepped races (``races_case``), run here: the
    verdict, and the check's message if it failed."""
    absent = [name for name in ("Closed", "ClosableQueue") if name not in namespace]
    if absent:
        return {"missing": absent}
    ClosableQueue = namespace["ClosableQueue"]

    def make() -> Any:
        return call_answer(ClosableQueue, what="ClosableQueue()", timeout=AT_ONCE)

    try:
        races_case(make, namespace["Closed"], hidden=hidden is True)
    except (CheckFailed, DeadlineExceeded, LeakError) as failed:
        return {"passed": False, "message": str(failed)[:3000]}
    return {"passed": True}


# --- call_with_timeout ---------------------------------------------------------------

def budget(work: str, timeout: float) -> float:
    """How long one call may run before the probe gives up on it: the
    in-kernel check's deadline, the threads' linger, and time for the judge's looks."""
    check = 2 * timeout + 1 if work == "deaf" else max(CALL_DEADLINE, 2 * timeout + 1)
    return check + LINGER + 1.0


class _Started:
    """Threads started by the calls' own threads, or by threads they started:
    each lingers ``LINGER`` after its last line."""

    def __init__(self) -> None:
        self.idents: set[int] = set()

    def watch_this_thread(self) -> None:
        self.idents.add(threading.get_ident())

    @contextmanager
    def hooked(self) -> Iterator[None]:
        start = vars(threading.Thread)["start"]

        def lingering_start(thread: threading.Thread) -> None:
            if threading.get_ident() in self.idents:
                self._linger(thread)
            return start(thread)

        threading.Thread.start = lingering_start  # type: ignore[method-assign]
        try:
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
            finally:
                time.sleep(LINGER)  # still alive: its last line ran, the thread has not ended
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
        held.announce("worker", _native_id())
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
        runner.append(_native_id())
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
