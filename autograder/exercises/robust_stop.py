"""Checks for lesson 01's robust_stop: a stop value no data can equal, and
stop_consumers, which stops exactly its workers and gives up on time."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any
from collections.abc import Callable

from ..threads import Baseline, LeakError
from ..threads.census import real_is_alive
from ..threads.stand_ins import stand_in
from .registry import exercise
from .harness import (CALL_DEADLINE, CheckFailed, Worker, call_answer, expect, plural,
                      running_at_return)
from .limits import EXIT_DEADLINE
from . import beside
from .leaky_consumer import drain, start_workers


_PLAIN_DATA = (type(None), bool, int, float, complex, str, bytes)
STUBBORN_LATE = 0.5  # seconds past its timeout that stop_consumers may still give up in
ODD_ITEMS = [0, None, "", False, 0.0, [], "STOP", "exit", -1]


def stubborn_consumer(release: threading.Event) -> Callable[[queue.Queue, list], None]:
    @stand_in("the check's worker that ignores STOP")
    def ignores_stop(ch: queue.Queue, out: list) -> None:
        while not release.is_set():
            try:
                out.append(ch.get(timeout=0.05))
            except queue.Empty:
                pass
    return ignores_stop


@exercise("robust_stop", needs=("STOP", "robust_consumer", "stop_consumers"))
def check_robust_stop(answers: dict[str, Any], hidden: bool) -> str:
    stop, consumer, stop_consumers = (answers[n] for n in ("STOP", "robust_consumer",
                                                           "stop_consumers"))
    expect(not isinstance(stop, _PLAIN_DATA),
           f"STOP is {stop!r}, a value that real data can carry too. Make it a value "
           "nothing else can equal: STOP = object().")
    if not hidden:
        _robust_consumer_case(consumer, stop)
    # stop_consumers is graded with a known-good consumer of the learner's STOP.
    with beside.said_when_own("robust_consumer", "stop_consumers"):
        good = beside.robust_consumer(stop, consumer)
        if hidden:
            _stop_case(stop_consumers, good, workers=8, items=400, stop=stop)
            _stop_case(stop_consumers, good, workers=1, items=0, stop=stop)
        else:
            _stop_case(stop_consumers, good, workers=3, items=30, stop=stop)
            _no_workers_case(stop_consumers)
            _stubborn_case(stop_consumers, good)
    return ("robust_consumer keeps every value but STOP; stop_consumers stops exactly "
            "its workers, leaves the queue empty and gives up on time.")


def _robust_consumer_case(consumer: Callable, stop: object) -> None:
    ch: queue.Queue = queue.Queue()
    out: list = []
    for item in ODD_ITEMS + [stop]:
        ch.put(item)
    baseline = Baseline()
    workers = start_workers(consumer, 1, ch, out, name="robust_consumer")
    try:
        baseline.expect_gone(EXIT_DEADLINE, what="robust_consumer(ch, out)")
    except LeakError as leak:
        raise CheckFailed(f"robust_consumer did not return after it received STOP.\n{leak}"
                          ) from None
    workers[0].raise_error("robust_consumer(ch, out)")
    typed = [(type(x), x) for x in out]
    expect(typed == [(type(x), x) for x in ODD_ITEMS],
           f"robust_consumer kept {out!r} of {ODD_ITEMS!r}: every value but STOP is "
           "data, 0, None, \"\" and False included. Compare with `item is STOP`.")


def _call_stop(stop_consumers: Callable, ch: queue.Queue, workers: list,
               timeout: float | None = None, budget: float = CALL_DEADLINE
               ) -> list[threading.Thread]:
    """Call it (for at most ``budget`` seconds); return the workers still
    running the instant it returned."""
    args = (ch, workers) if timeout is None else (ch, workers, timeout)
    call = "stop_consumers(ch, workers)" if timeout is None else \
        f"stop_consumers(ch, workers, timeout={timeout})"
    look, still = running_at_return(lambda: list(workers))
    call_answer(stop_consumers, *args, what=call, expected=(TimeoutError,), at_return=look,
                timeout=budget)
    return still


def _stop_case(stop_consumers: Callable, consumer: Callable, workers: int, items: int,
               stop: object) -> None:
    ch: queue.Queue = queue.Queue()
    out: list = []
    bystander_release = threading.Event()
    bystander = Worker(bystander_release.wait, name="bystander (not a worker)")
    bystander.start()
    try:
        pool = start_workers(consumer, workers, ch, out, name="worker")
        data = list(range(items))
        for item in data:
            ch.put(item)
        try:
            alive = _call_stop(stop_consumers, ch, pool)
        except TimeoutError as error:
            raise CheckFailed(
                f"stop_consumers raised TimeoutError ({error}) although all "
                f"{plural(workers, 'worker')} obey STOP. Send one STOP per worker, then "
                "join each with what is left of the timeout.") from None
        expect(not alive, f"stop_consumers returned while {plural(len(alive), 'worker')} "
               "still ran: return only once every worker has exited.")
        left = drain(ch)
        stops = sum(1 for item in left if item is stop)
        expect(not left,
               f"stop_consumers left {left[:5]!r}{'...' if len(left) > 5 else ''} in the "
               f"queue ({plural(stops, 'STOP')} too many). Send exactly one STOP per "
               "thread in workers: count the workers you were given, not "
               "threading.active_count().")
        expect(sorted(out) == data,
               f"Of {items} items queued before the call, the workers processed "
               f"{len(out)}: put the STOPs behind the data already in the queue.")
        expect(real_is_alive(bystander),
               "stop_consumers stopped a thread that is not in workers.")
    finally:
        bystander_release.set()


def _no_workers_case(stop_consumers: Callable) -> None:
    ch: queue.Queue = queue.Queue()
    ch.put("data")
    _call_stop(stop_consumers, ch, [])
    left = drain(ch)
    expect(left == ["data"],
           f"stop_consumers(ch, []) changed the queue to {left!r}: with no workers "
           "there is nothing to send.")


def _stubborn_case(stop_consumers: Callable, good: Callable) -> None:
    ch: queue.Queue = queue.Queue()
    out: list = []
    release = threading.Event()
    pool = start_workers(good, 1, ch, out, name="worker") + \
        start_workers(stubborn_consumer(release), 1, ch, out, name="ignores-STOP")
    stubborn = pool[1]
    timeout = 0.3
    began = time.monotonic()
    try:
        # Past timeout + STUBBORN_LATE the call has failed whatever it does next:
        # waiting the whole CALL_DEADLINE for it would change only the message.
        _call_stop(stop_consumers, ch, pool, timeout=timeout,
                   budget=min(CALL_DEADLINE, 2 * (timeout + STUBBORN_LATE)))
        took = time.monotonic() - began
    except TimeoutError as error:
        took = time.monotonic() - began
        expect(took < timeout + STUBBORN_LATE,
               f"stop_consumers(..., timeout={timeout}) raised TimeoutError only after "
               f"{took:.2f} s: share one deadline among all the joins instead of "
               "waiting the full timeout for each worker.")
        expect(stubborn.name in str(error),
               f"stop_consumers raised TimeoutError({str(error)!r}); name the threads "
               f"still alive, such as {stubborn.name!r}, so the caller knows which.")
    else:
        raise CheckFailed(
            f"stop_consumers returned after {took:.2f} s although worker "
            f"{stubborn.name!r} ignores STOP and is still running; it should raise "
            "TimeoutError naming the threads still alive.")
    finally:
        release.set()
        ch.put(None)
