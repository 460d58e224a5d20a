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
import sys
import threading
import time
from typing import Any
from collections.abc import Callable

from ..sockets.activity import activity_of
from ..threads import Baseline, LeakError
from ..threads.census import real_is_alive
from ..threads.locations import learners_line, stack_of
from ..threads.stand_ins import stand_in
from .harness import CheckFailed, Worker, call_answer, expect, plural
from .limits import AT_ONCE, EXIT_DEADLINE
from .registry import exercise
from .stepping import MOST_STOPS, PausedCall, meanwhile, wait_until_asleep

# Items a careless queue confuses with "closed" or drops: None is data here.
ODD_ITEMS = [None, 0, "", False, "exit", -1, 2.5]
# A blocked get() watched this long ...
WATCH = 0.5
# ... may wake up this many times (a wake-up or two at the start is the GIL
# changing hands); a get() that polls with wait(0.1) wakes five times.
MOST_WAKEUPS = 3
# ... and use this share of a CPU.
MOST_CPU_SHARE = 0.1


@exercise("closable_queue", needs=("Closed", "ClosableQueue"))
def check_closable_queue(answers: dict[str, Any], hidden: bool) -> str:
    Closed, ClosableQueue = answers["Closed"], answers["ClosableQueue"]
    expect(isinstance(Closed, type) and issubclass(Closed, Exception),
           f"Closed is {Closed!r}; it should be a class of exception: "
           "class Closed(Exception).")
    make = _maker(ClosableQueue)
    if hidden:
        rng = random.Random()
        _consumers_case(make, Closed, consumers=rng.randint(6, 10),
                        producers=rng.randint(3, 5), each=rng.randint(80, 150))
        _wakes_every_getter_case(make, Closed, getters=rng.randint(8, 12))
        races_case(make, Closed, hidden=True)
    else:
        _one_thread_case(make, Closed)
        _errors_case(make, Closed)
        _wakes_every_getter_case(make, Closed, getters=4)
        _consumers_case(make, Closed, consumers=3, producers=2, each=40)
        _sleeps_case(make, Closed)
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


def _get(q: Any, Closed: type, what: str = "q.get()") -> tuple[str, Any]:
    """``("item", value)`` or ``("closed", error)``: what one get() did, at once."""
    try:
        return "item", call_answer(q.get, what=what, expected=(Closed,), timeout=AT_ONCE)
    except Closed as error:
        return "closed", error


def same(got: Any, wanted: Any) -> bool:
    """Equal, with the exact types: 0 is not False, and None is itself."""
    if type(got) is not type(wanted):
        return False
    if type(got) is list:
        return len(got) == len(wanted) and all(map(same, got, wanted))
    if type(got) is dict:
        return got.keys() == wanted.keys() and all(same(got[k], wanted[k]) for k in got)
    return got == wanted


# --- one thread --------------------------------------------------------------

def _one_thread_case(make: Callable[[], Any], Closed: type) -> None:
    q = make()
    marker = object()
    items = ODD_ITEMS + [marker]
    for item in items:
        call_answer(q.put, item, what=f"q.put({item!r})", timeout=AT_ONCE)
    got = [_get(q, Closed) for _ in items]
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
    after = [_get(q, Closed) for _ in range(2)]
    expect(after == [("item", "first"), ("item", "second")],
           "Two items were put, then q.close(); the next two q.get() calls should still "
           f"return 'first' and 'second', but gave {_told(after)}. Closing says no more "
           "items will come; the ones already in the queue are still delivered (Go's "
           "receive gets them too). Raise Closed only when the queue is closed and empty.")
    for attempt in ("a third", "a fourth"):
        kind, value = _get(q, Closed)
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


# --- many threads ------------------------------------------------------------

@stand_in("the check's consumer: for item in q")
def _consume(q: Any, out: list) -> None:
    for item in q:
        out.append(item)


@stand_in("the check's producer")
def _produce(q: Any, producer: int, each: int) -> None:
    for number in range(each):
        q.put((producer, number))


@stand_in("the check's getter: q.get()")
def _get_once(q: Any, outcome: list) -> None:
    try:
        outcome.append(("item", q.get()))
    except BaseException as error:  # noqa: BLE001 - judged by the check
        outcome.append(("raised", error))


def _leaked(error: LeakError, happened: str) -> CheckFailed:
    return CheckFailed(f"{happened}\n{error}")


def _consumers_case(make: Callable[[], Any], Closed: type, consumers: int, producers: int,
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


def _wakes_every_getter_case(make: Callable[[], Any], Closed: type, getters: int) -> None:
    q = make()
    baseline = Baseline()
    outcomes: list[list] = [[] for _ in range(getters)]
    threads = [Worker(_get_once, q, out, name=f"getter-{i}") for i, out in enumerate(outcomes)]
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

def _sleeps_case(make: Callable[[], Any], Closed: type) -> None:
    q = make()
    outcome: list = []
    getter = Worker(_get_once, q, outcome, name="getter")
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


# --- races, stepped through ----------------------------------------------------------

CALLS: dict[str, Callable[[Any], Any]] = {
    "q.get()": lambda q: q.get(),
    "q.put('item')": lambda q: q.put("item"),
    "q.close()": lambda q: q.close(),
    "another q.close()": lambda q: q.close(),
}


def races_case(make: Callable[[], Any], Closed: type, hidden: bool) -> None:
    """Each pair of calls that can meet: the first stopped before each of its
    lines in turn while the second runs. The hidden cases stop close() instead."""
    if hidden:
        _step_through(make, Closed, "q.close()", "q.get()", _get_meets_close)
        _step_through(make, Closed, "q.close()", "q.put('item')", _put_meets_close,
                      blocked_getter=True)
    else:
        _step_through(make, Closed, "q.get()", "q.close()", _get_meets_close)
        _step_through(make, Closed, "q.put('item')", "q.close()", _put_meets_close,
                      blocked_getter=True)
        _step_through(make, Closed, "q.close()", "another q.close()", _close_meets_close)


def _step_through(make: Callable[[], Any], Closed: type, first: str, second: str,
                  judge: Callable[..., None], blocked_getter: bool = False) -> None:
    for stop_at in range(1, MOST_STOPS + 1):
        q = make()
        getter, got = _blocked_getter(q) if blocked_getter else (None, [])
        paused = PausedCall(CALLS[first], q, stop_at=stop_at, name=f"{first}, paused")
        paused.begin(lambda: wait_until_asleep(paused.thread))
        other = meanwhile(CALLS[second], q, name=second)
        if getter is not None:  # what the second call woke it to do, it has done
            wait_until_asleep(getter)
        paused.go_on()
        ended = [call.join(EXIT_DEADLINE) for call in (paused, other)]
        if getter is not None:
            getter.join(EXIT_DEADLINE)
        where = paused.stopped_at
        scene = (f"{first} was stopped just before {where.describe()}, {second} ran "
                 "meanwhile, then the first went on" if where else
                 f"{first} went as far as it could, {second} ran meanwhile")
        if not all(ended):
            stuck = paused if not ended[0] else other
            raise CheckFailed(f"{scene}; then {stuck.thread.name.split(',')[0]} never "
                              f"finished: it is stuck at {_stuck_line(stuck.thread)}. "
                              + _stuck_advice(stuck.thread.name))
        judge(scene, Closed, {first: paused.outcome, second: other.outcome}, getter, got, q)
        if where is None:
            return  # it ran out of lines before its stop: every stop has been tried


def _blocked_getter(q: Any) -> tuple[Worker, list]:
    outcome: list = []
    getter = Worker(_get_once, q, outcome, name="blocked getter")
    getter.start()
    wait_until_asleep(getter)
    return getter, outcome


def _stuck_line(thread: threading.Thread) -> str:
    frame = sys._current_frames().get(thread.ident or -1)
    line = learners_line(stack_of(frame))
    return line.describe() if line else "a line outside your code"


def _stuck_advice(call: str) -> str:
    if "get" in call:
        return ("It read the queue's state, then close() came in before it waited, so it "
                "waits for a wake-up that has already been sent. Check the closed flag and "
                "wait under the same lock, in one `with` block: while the queue is empty "
                "and not closed, wait() on your Condition.")
    return "Every call should finish, whichever moment the other one runs at."


def _raised(outcome: tuple[str, Any] | None, Closed: type) -> bool:
    return outcome is not None and outcome[0] == "raised" and isinstance(outcome[1], Closed)


def _no_other_error(scene: str, outcomes: dict[str, Any], Closed: type,
                    may_raise_closed: tuple[str, ...]) -> None:
    for call, outcome in outcomes.items():
        if outcome is not None and outcome[0] == "raised" and not (
                call in may_raise_closed and isinstance(outcome[1], Closed)):
            error = outcome[1]
            raise CheckFailed(f"{scene}; {call} raised {type(error).__name__}: {error}")


def _get_meets_close(scene: str, Closed: type, outcomes: dict, *_: Any) -> None:
    _no_other_error(scene, outcomes, Closed, may_raise_closed=("q.get()",))
    got = outcomes["q.get()"]
    expect(_raised(got, Closed),
           f"{scene}; on that empty queue, now closed, q.get() returned {got[1]!r} instead "
           "of raising Closed.")


def _put_meets_close(scene: str, Closed: type, outcomes: dict, getter: Worker,
                     getter_outcome: list, q: Any) -> None:
    scene = "A thread was blocked in q.get() on an empty queue; " + scene
    _no_other_error(scene, outcomes, Closed, may_raise_closed=("q.put('item')",))
    if getter.is_alive():
        raise CheckFailed(f"{scene}; the blocked q.get() never returned: it is stuck at "
                          f"{_stuck_line(getter)}.")
    got = getter_outcome[0] if getter_outcome else None
    if not _raised(outcomes["q.put('item')"], Closed):
        expect(got == ("item", "item"),
               f"{scene}; put() returned, so 'item' was accepted, but the blocked q.get() "
               f"{'raised Closed' if got and got[0] == 'raised' else 'did not get it'}: "
               "the item is lost. If put() reads the closed flag outside the lock, close() "
               "can run before it adds the item: check the flag and add the item under the "
               "same lock, in one `with` block.")
    else:
        expect(got is not None and got[0] == "raised" and isinstance(got[1], Closed),
               f"{scene}; put() raised Closed, yet the blocked q.get() returned {got!r}.")
    kind, value = _get(q, Closed, "a q.get() afterwards")
    expect(kind == "closed", f"{scene}; a q.get() afterwards returned {value!r}, although "
           "the queue was closed and a get() had already been told so: once closed and "
           "empty, a queue stays so.")


def _close_meets_close(scene: str, Closed: type, outcomes: dict, *_: Any) -> None:
    _no_other_error(scene, outcomes, Closed, may_raise_closed=tuple(outcomes))
    raised = [_raised(outcome, Closed) for outcome in outcomes.values()]
    expect(raised.count(True) == 1,
           f"{scene}; {'both' if all(raised) else 'neither'} raised Closed. Of two close() "
           "calls, one closes the queue and the other must raise Closed. Read and set the "
           "closed flag under the lock, in one `with` block, so that no other close() can "
           "come in between.")
