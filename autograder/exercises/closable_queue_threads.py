"""Lesson 05's closable_queue with many threads: every item delivered once
and in order to consumers that all end after one ``close()``, every blocked
getter woken by it, and a blocked ``get()`` that sleeps rather than polls."""

from __future__ import annotations

import time
from typing import Any
from collections.abc import Callable

from ..sockets.activity import activity_of
from ..threads import Baseline, LeakError
from ..threads.census import real_is_alive
from ..threads.stand_ins import stand_in
from .harness import CheckFailed, Worker, call_answer, expect, plural
from .closable_queue_calls import get_once
from .limits import EXIT_DEADLINE
from .stepping import wait_until_asleep


# A blocked get() watched this long ...
WATCH = 0.5
# ... may wake up this many times (a wake-up or two at the start is the GIL
# changing hands); a get() that polls with wait(0.1) wakes five times.
MOST_WAKEUPS = 3
# ... and use this share of a CPU.
MOST_CPU_SHARE = 0.1


@stand_in("the check's consumer: for item in q")
def _consume(q: Any, out: list) -> None:
    for item in q:
        out.append(item)


@stand_in("the check's producer")
def _produce(q: Any, producer: int, each: int) -> None:
    for number in range(each):
        q.put((producer, number))


def _leaked(error: LeakError, happened: str) -> CheckFailed:
    return CheckFailed(f"{happened}\n{error}")


def consumers_case(make: Callable[[], Any], Closed: type, consumers: int, producers: int,
                    each: int) -> None:
    q = make()
    baseline = Baseline()
    outs: list[list] = [[] for _ in range(consumers)]
    workers = [Worker(_consume, q, out, name=f"consumer-{i}") for i, out in enumerate(outs)]
    makers = [Worker(_produce, q, p, each, name=f"producer-{p}") for p in range(producers)]
    for thread in workers + makers:
        thread.start()
    for thread in makers:
        thread.join(EXIT_DEADLINE * 3)
        thread.raise_error(f"q.put(...) from {thread.name}")
    expect(not any(t.is_alive() for t in makers),
           f"{producers} producers putting {each} items each were still in q.put() after "
           f"{EXIT_DEADLINE * 3:g} s: put() on an open queue should never wait.")
    told = (f"{plural(consumers, 'consumer')} ran `for item in q`, {plural(producers, 'producer')} "
            f"put {each} items each, then q.close() was called once")
    _expect_still_consuming(told, workers)
    call_answer(q.close, what="q.close()")
    try:
        baseline.expect_gone(EXIT_DEADLINE, what="the check")
    except LeakError as leak:
        raise _leaked(leak, f"{told}; these consumers were still waiting after "
                            f"{EXIT_DEADLINE:g} s. close() must wake every blocked get() "
                            "(notify_all, not notify), and get() must raise Closed (ending "
                            "the loop) once the queue is closed and empty.") from None
    for worker in workers:
        worker.raise_error(f"`for item in q` in {worker.name}")
    _expect_each_once(told, outs, producers, each)


def _expect_still_consuming(told: str, workers: list[Worker]) -> None:
    """Before close(), no consumer may have left its loop: the queue is open."""
    ended = [w for w in workers if not real_is_alive(w)]
    for worker in ended:
        worker.raise_error(f"`for item in q` in {worker.name}")
    expect(not ended,
           f"{told.split(', then')[0]}; before anyone called q.close(), "
           f"{plural(len(ended), 'consumer')} had already left the loop: get() raised "
           "Closed on an open queue. A get() woken while another consumer takes the item "
           "finds the queue empty again: wait in a `while` loop that re-checks the queue "
           "after every wake-up, not an `if`.")


def _expect_each_once(told: str, outs: list[list], producers: int, each: int) -> None:
    delivered = [item for out in outs for item in out]
    expected = {(p, n) for p in range(producers) for n in range(each)}
    twice = sorted({item for item in delivered if delivered.count(item) > 1})[:3] \
        if len(delivered) != len(set(delivered)) else []
    expect(not twice, f"{told}; some items came out more than once, such as {twice!r}: "
           "each item goes to exactly one consumer.")
    strangers = [item for item in delivered if item not in expected][:3]
    expect(not strangers, f"{told}; the consumers received {strangers!r}, which nobody put.")
    missing = len(expected) - len(set(delivered))
    expect(not missing, f"{told}; {missing} of the {len(expected)} items never came out. "
           "Every item put before close() must be delivered: get() raises Closed only "
           "once the queue is closed and empty.")
    for index, out in enumerate(outs):
        for producer in range(producers):
            numbers = [n for p, n in out if p == producer]
            expect(numbers == sorted(numbers),
                   f"{told}; consumer-{index} received producer-{producer}'s items in the "
                   f"order {numbers[:8]!r}...: items must come out in the order they were "
                   "put (first in, first out).")


def wakes_every_getter_case(make: Callable[[], Any], Closed: type, getters: int) -> None:
    q = make()
    baseline = Baseline()
    outcomes: list[list] = [[] for _ in range(getters)]
    threads = [Worker(get_once, q, out, name=f"getter-{i}") for i, out in enumerate(outcomes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        wait_until_asleep(thread)
    call_answer(q.close, what="q.close()")
    told = (f"{plural(getters, 'thread')} were blocked in q.get() on an empty queue, then "
            "q.close() was called once")
    try:
        baseline.expect_gone(EXIT_DEADLINE, what="the check")
    except LeakError as leak:
        woken = sum(1 for out in outcomes if out)
        raise _leaked(leak, f"{told}; only {woken} of them woke up. close() must wake every "
                            "blocked get() at once: notify_all(), not notify(), which wakes "
                            "one.") from None
    for out in outcomes:
        kind, value = out[0]
        did = f"returned {value!r}" if kind == "item" else f"raised {value!r}"
        expect(kind == "raised" and isinstance(value, Closed),
               f"{told}; a getter {did}: each should raise Closed (the queue is closed and "
               "empty).")


# --- how a blocked get() waits ---------------------------------------------------

def sleeps_case(make: Callable[[], Any], Closed: type) -> None:
    q = make()
    outcome: list = []
    getter = Worker(get_once, q, outcome, name="getter")
    getter.start()
    wait_until_asleep(getter)
    before = activity_of(getter.native_id)
    time.sleep(WATCH)
    after = activity_of(getter.native_id)
    call_answer(q.put, "wake up", what="q.put('wake up')")
    getter.join(EXIT_DEADLINE)
    expect(not getter.is_alive(),
           "A thread blocked in q.get() on an empty queue did not return after "
           f"q.put('wake up'), within {EXIT_DEADLINE:g} s: put() must wake a waiting get().")
    expect(outcome == [("item", "wake up")],
           f"A blocked q.get() woken by q.put('wake up') gave {outcome!r}.")
    if before is None or after is None:
        return  # no /proc here: how it waited cannot be seen
    used = after - before
    expect(used.cpu_seconds < MOST_CPU_SHARE * WATCH,
           f"A thread blocked in q.get() on an empty queue used {used.cpu_seconds * 1000:.0f} "
           f"ms of CPU in {WATCH * 1000:.0f} ms: it busy-waits. Wait on a Condition "
           "(its wait(), without a timeout) and let put() and close() wake it.")
    expect(used.wakeups <= MOST_WAKEUPS,
           f"A thread blocked in q.get() on an empty queue woke up {used.wakeups} times in "
           f"{WATCH * 1000:.0f} ms although nothing happened: it polls (a wait with a "
           "timeout, or a sleep, in a loop). Wait without a timeout, wait(), and let put() "
           "and close() wake it: then it uses nothing until there is something to do.")
