"""Checks for lesson 05's closable_queue: a queue that closes like a Go channel.

Go's ``close(ch)`` is one broadcast: every receiver wakes, ``range ch`` ends
once the channel is drained, and a send or a second close panics. The check
asks the same of the learner's ``ClosableQueue``, in the order a learner
builds it: one thread first (order, the errors), then many (every item once,
every consumer gone after one ``close()``), then how a blocked ``get()``
waits (asleep, not polling), and last the races, stepped through line by
line (``stepping``) so that a flag read outside the lock is caught every
time rather than once in a thousand runs.
"""

from __future__ import annotations

import random
from typing import Any
from collections.abc import Callable

from .harness import CheckFailed, call_answer, expect
from .closable_queue_calls import get_outcome, same
from .closable_queue_races import races_case
from .closable_queue_threads import consumers_case, sleeps_case, wakes_every_getter_case
from .limits import AT_ONCE
from .registry import exercise

# Items a careless queue confuses with "closed" or drops: None is data here.
ODD_ITEMS = [None, 0, "", False, "exit", -1, 2.5]


@exercise("closable_queue", needs=("Closed", "ClosableQueue"))
def check_closable_queue(answers: dict[str, Any], hidden: bool) -> str:
    Closed, ClosableQueue = answers["Closed"], answers["ClosableQueue"]
    expect(isinstance(Closed, type) and issubclass(Closed, Exception),
           f"Closed is {Closed!r}; it should be a class of exception: "
           "class Closed(Exception).")
    make = _maker(ClosableQueue)
    if hidden:
        rng = random.Random()
        consumers_case(make, Closed, consumers=rng.randint(6, 10),
                       producers=rng.randint(3, 5), each=rng.randint(80, 150))
        wakes_every_getter_case(make, Closed, getters=rng.randint(8, 12))
        races_case(make, Closed, hidden=True)
    else:
        _one_thread_case(make, Closed)
        _errors_case(make, Closed)
        wakes_every_getter_case(make, Closed, getters=4)
        consumers_case(make, Closed, consumers=3, producers=2, each=40)
        sleeps_case(make, Closed)
        races_case(make, Closed, hidden=False)
    return ("ClosableQueue delivers every item once and in order, one close() ends every "
            "consumer, a blocked get() sleeps, and put/get/close are safe at any moment.")


def _maker(ClosableQueue: type) -> Callable[[], Any]:
    def make() -> Any:
        q = call_answer(ClosableQueue, what="ClosableQueue()", timeout=AT_ONCE)
        lacking = [f"{name}()" for name in ("put", "get", "close", "__iter__")
                   if not callable(getattr(q, name, None))]
        expect(not lacking, f"ClosableQueue has no {' and no '.join(lacking)}: a closable "
               "queue needs put(item), get(), close() and iteration (__iter__).")
        return q
    return make


# --- one thread --------------------------------------------------------------

def _one_thread_case(make: Callable[[], Any], Closed: type) -> None:
    q = make()
    marker = object()
    items = ODD_ITEMS + [marker]
    for item in items:
        call_answer(q.put, item, what=f"q.put({item!r})", timeout=AT_ONCE)
    got = [get_outcome(q, Closed) for _ in items]
    expect(all(kind == "item" for kind, _ in got),
           f"q.get() raised Closed on an open queue that still held items, after "
           f"{sum(kind == 'item' for kind, _ in got)} of {len(items)} gets. Items such as "
           "None, 0 and \"\" are data: only close() closes the queue.")
    values = [value for _, value in got]
    expect(same(values[:-1], ODD_ITEMS) and values[-1] is marker,
           f"After putting {ODD_ITEMS!r} and an object, in that order, q.get() returned "
           f"{values!r}. A queue gives items back first in, first out: append at one end, "
           "take from the other (deque.popleft()).")

    q = make()
    for item in ("first", "second"):
        call_answer(q.put, item, what=f"q.put({item!r})", timeout=AT_ONCE)
    call_answer(q.close, what="q.close()", timeout=AT_ONCE)
    after = [get_outcome(q, Closed) for _ in range(2)]
    expect(after == [("item", "first"), ("item", "second")],
           "Two items were put, then q.close(); the next two q.get() calls should still "
           f"return 'first' and 'second', but gave {_told(after)}. Closing says no more "
           "items will come; the ones already in the queue are still delivered (Go's "
           "receive gets them too). Raise Closed only when the queue is closed and empty.")
    for attempt in ("a third", "a fourth"):
        kind, value = get_outcome(q, Closed)
        expect(kind == "closed",
               f"On a closed, drained queue, {attempt} q.get() returned {value!r}; it should "
               "raise Closed, every time (in Go, every receive on a closed, drained "
               "channel reports it closed).")
    listed = _listed(q, Closed, "list(q) on a closed, drained queue")
    expect(listed == [], f"list(q) on a closed, drained queue gave {listed!r}; it should be [].")

    q = make()
    for item in ODD_ITEMS:
        call_answer(q.put, item, what=f"q.put({item!r})", timeout=AT_ONCE)
    call_answer(q.close, what="q.close()", timeout=AT_ONCE)
    listed = _listed(q, Closed, f"list(q) on a closed queue holding {ODD_ITEMS!r}")
    expect(same(listed, ODD_ITEMS),
           f"After putting {ODD_ITEMS!r} and closing, list(q) gave {listed!r}: iterating "
           "should yield every item left, then stop, as Go's `for v := range ch` does. "
           "Items such as None, 0 and \"\" are data: only the queue being closed and "
           "drained ends the loop.")


def _listed(q: Any, Closed: type, what: str) -> list:
    try:
        return call_answer(lambda: list(q), what=what, expected=(Closed,), timeout=AT_ONCE)
    except Closed:
        raise CheckFailed(f"{what} raised Closed; `for item in q` should simply end once "
                          "the queue is closed and drained (the generator returns, or "
                          "__next__ raises StopIteration), as Go's `for v := range ch` "
                          "does.") from None


def _told(outcomes: list[tuple[str, Any]]) -> str:
    return ", ".join("Closed" if kind == "closed" else repr(value) for kind, value in outcomes)


def _errors_case(make: Callable[[], Any], Closed: type) -> None:
    q = make()
    call_answer(q.close, what="q.close()", timeout=AT_ONCE)
    late_put = ("q.put('late') after q.close() returned; it should raise Closed: in Go a "
                "send on a closed channel panics, and nobody would ever receive the item.")
    second_close = ("A second q.close() returned; it should raise Closed: in Go closing a "
                    "closed channel panics. A second close is a bug in the caller, and "
                    "saying so is how it gets found.")
    for what, call, message in (("q.put('late') after q.close()", lambda: q.put("late"),
                                 late_put),
                                ("a second q.close()", q.close, second_close)):
        try:
            call_answer(call, what=what, expected=(Closed,), timeout=AT_ONCE)
        except Closed:
            continue
        raise CheckFailed(message)
    iterating = _listed(q, Closed, "list(q) on a closed, empty queue")
    expect(iterating == [], f"list(q) on a closed, empty queue gave {iterating!r}.")
