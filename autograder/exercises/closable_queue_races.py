"""Lesson 05's closable_queue races, stepped through: each pair of calls
that can meet (get/close, put/close with a blocked getter, close/close), the
first stopped before each of its lines in turn (``stepping``) while the
second runs, so that a flag read outside the lock is caught every time
rather than once in a thousand runs."""

from __future__ import annotations

import sys
import threading
from typing import Any
from collections.abc import Callable

from ..threads.locations import learners_line, stack_of
from .harness import CheckFailed, Worker, expect
from .closable_queue_calls import get_once, get_outcome
from .limits import EXIT_DEADLINE
from .stepping import MOST_STOPS, PausedCall, meanwhile, wait_until_asleep


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
    getter = Worker(get_once, q, outcome, name="blocked getter")
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
    kind, value = get_outcome(q, Closed, "a q.get() afterwards")
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
