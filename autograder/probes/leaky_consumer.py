"""Lesson 01's probes: run the learner's consumer, run_session and
stop_consumers on the judge's inputs, and report what happened as data.

Every thread a probe starts for learner code is held at a gate until the
judge has seen it alive (a ``started`` step), so the judge knows from outside
which threads it must see end.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Any
from collections.abc import Callable, Iterator

from ..exercises.harness import CALL_DEADLINE, Worker
from ..exercises.leaky_consumer import EXIT_DEADLINE, drain
from ..exercises.robust_stop import stubborn_consumer
from ..known_good.consumers import consumer as known_good_consumer
from ..known_good.consumers import robust_consumer as known_good_robust_consumer
from ..exercises.run_session import consumer_swapped
from ..threads import DeadlineExceeded, call_with_deadline
from ..threads.census import REAL_FUNCTIONS
from ..threads.stand_ins import stand_in
from .held import Held, gated
from .joins import Joins
from .registry import error_text, native_id, plain, probe

_active_count = REAL_FUNCTIONS["threading.active_count"]
# The judge sees a thread's end in /proc a moment after join() returns (the OS
# thread is torn down after Python is done with it). The probes' stand-ins
# therefore clean up for longer than the in-kernel check's, so that an answer
# that does not wait for them is still running when the judge looks, well
# past that moment (judge.leaky_consumer.TEARDOWN).
LINGER = 0.3


_current_thread = REAL_FUNCTIONS["threading.current_thread"]


def _lingering(consumer: Callable, joins: Joins | None = None) -> Callable:
    """``consumer``, then LINGER seconds more, or less when the answer is
    already joining it for longer than that (``Joins``): each "exit" of a
    right session would otherwise wait it out (most of lesson 01's grading
    time)."""
    @stand_in("the check's consumer, cleaning up")
    def lingering(ch: queue.Queue, out: list) -> None:
        consumer(ch, out)
        if joins is None:
            time.sleep(LINGER)
        else:
            joins.linger(_current_thread(), LINGER)
    return lingering


def _missing(namespace: dict, *names: str) -> dict | None:
    absent = [name for name in names if name not in namespace
              or (name != "STOP" and not callable(namespace[name]))]
    return {"missing": absent} if absent else None


def _join_all(workers: list[Worker], seconds: float) -> None:
    end = time.monotonic() + seconds
    for worker in workers:
        worker.join(max(0.0, end - time.monotonic()))


def _errors(workers: list[Worker]) -> list[str]:
    return [error_text(w.error) for w in workers if w.error is not None]


@probe("consumer")
def consumer_case(namespace: dict, items: list, workers: int) -> Iterator[dict]:
    if (missing := _missing(namespace, "consumer")):
        return missing
    ch: queue.Queue = queue.Queue()
    out: list = []
    for item in items:
        ch.put(item)
    gate = threading.Event()
    pool = [gated(namespace["consumer"], ch, out, name=f"consumer {i + 1}", gate=gate)
            for i in range(workers)]
    yield {"started": [w.native_id for w in pool]}
    gate.set()
    _join_all(pool, EXIT_DEADLINE)
    return {"out": plain(out), "left": plain(drain(ch)), "errors": _errors(pool)}


@probe("session")
def session_case(namespace: dict, words: list) -> Iterator[dict]:
    if (missing := _missing(namespace, "run_session")):
        return missing
    answer = namespace["run_session"]
    held_threads = Held()
    queues: list[queue.Queue] = []

    outcome: dict[str, Any] = {}
    joins = Joins()  # the answer's joins, from the thread it runs in
    lingering = _lingering(known_good_consumer, joins)

    @stand_in("the check's consumer")
    def consumer(ch: queue.Queue, out: list) -> None:
        queues.append(ch)
        held_threads.announce("started", [native_id()])
        lingering(ch, out)

    deadline = CALL_DEADLINE + LINGER * len(words)  # each "exit" waits for lingering consumers

    def call() -> None:
        with consumer_swapped(answer, consumer), joins.recorded():
            try:
                outcome["counts"] = plain(call_with_deadline(
                    answer, list(words), timeout=deadline, what="run_session",
                    at_start=lambda: (outcome.setdefault("base", _active_count()),
                                      joins.watch_this_thread())))
            except DeadlineExceeded:
                outcome["error"] = f"run_session did not return within {deadline:g} s"
            except BaseException as error:  # noqa: BLE001 - reported to the judge
                outcome["error"] = error_text(error)

    caller = threading.Thread(target=call, name="session caller", daemon=True)
    caller.start()
    yield from held_threads.relay(caller)
    left = sum(len(drain(ch)) for ch in {id(q): q for q in queues}.values())
    return dict(outcome, left=left)


@probe("robust_consumer")
def robust_consumer_case(namespace: dict, items: list) -> Iterator[dict]:
    if (missing := _missing(namespace, "robust_consumer", "STOP")):
        return missing
    stop = namespace["STOP"]
    ch: queue.Queue = queue.Queue()
    out: list = []
    for item in items + [stop]:
        ch.put(item)
    gate = threading.Event()
    pool = [gated(namespace["robust_consumer"], ch, out, name="robust_consumer", gate=gate)]
    yield {"started": [pool[0].native_id], "stop_type": type(stop).__name__}
    gate.set()
    _join_all(pool, EXIT_DEADLINE)
    return {"out": plain(out), "errors": _errors(pool)}


def _call_stop(namespace: dict, ch: queue.Queue, pool: list, *timeout: float) -> dict:
    try:
        call_with_deadline(namespace["stop_consumers"], ch, pool, *timeout,
                           timeout=CALL_DEADLINE, what="stop_consumers")
        return {"raised": None}
    except DeadlineExceeded:
        return {"raised": "hung"}
    except BaseException as error:  # noqa: BLE001 - reported to the judge
        return {"raised": type(error).__name__, "message": str(error)[:300]}


@probe("stop_consumers")
def stop_case(namespace: dict, workers: int, items: int) -> Iterator[dict]:
    if (missing := _missing(namespace, "stop_consumers", "STOP")):
        return missing
    good = _lingering(known_good_robust_consumer(namespace["STOP"]))
    ch: queue.Queue = queue.Queue()
    out: list = []
    gate, release = threading.Event(), threading.Event()
    bystander = gated(release.wait, name="bystander (not a worker)", gate=gate)
    pool = [gated(good, ch, out, name=f"worker {i + 1}", gate=gate) for i in range(workers)]
    for item in range(items):
        ch.put(item)
    yield {"started": [w.native_id for w in pool], "bystander": bystander.native_id}
    gate.set()
    returned = _call_stop(namespace, ch, pool)
    left = drain(ch)
    yield dict(returned, processed=plain(out), left=len(left))
    release.set()
    return {}


@probe("stop_stubborn")
def stubborn_case(namespace: dict, timeout: float) -> Iterator[dict]:
    if (missing := _missing(namespace, "stop_consumers", "STOP")):
        return missing
    ch: queue.Queue = queue.Queue()
    gate, release = threading.Event(), threading.Event()
    pool = [gated(known_good_robust_consumer(namespace["STOP"]), ch, [], name="worker 1",
                   gate=gate),
            gated(stubborn_consumer(release), ch, [], name="ignores-STOP", gate=gate)]
    yield {"started": [w.native_id for w in pool]}
    gate.set()
    returned = _call_stop(namespace, ch, pool, timeout)
    yield returned
    release.set()
    ch.put(None)
    return {}


@probe("stop_no_workers")
def no_workers_case(namespace: dict) -> dict:
    if (missing := _missing(namespace, "stop_consumers")):
        return missing
    ch: queue.Queue = queue.Queue()
    ch.put("data")
    return dict(_call_stop(namespace, ch, []), left=plain(drain(ch)))
