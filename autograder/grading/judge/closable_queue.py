"""Lesson 05's closable_queue judged from outside.

One thread: the judge draws sequences of operations (puts of fresh random
plain values, None, 0 and "" always among them, and of objects; gets; close;
a put after close; a second close; list(q)) and checks each outcome the
learner's process reports (``["item", value]``, ``["closed"]``, an error by
its text) against its own model of a closable first-in, first-out queue.

Blocked getters, and consumers with producers: ``closable_queue_threads``.

The races (a flag read outside the lock) happen inside the learner's object,
where /proc cannot see: the in-kernel check's stepped races run in the
learner's process (probe ``queue_races``, asked ``RACE_ROUNDS`` times), and
the judge takes their verdict and message as plain data.
"""

from __future__ import annotations

import random
from collections import deque
from typing import Any

from ...exercises.closable_queue_calls import same
from ...exercises.harness import plural
from ...exercises.limits import AT_ONCE
from .registry import expect, fresh_rng, judge
from .subject import Rejected, Subject
from .too_slow import retried
from .closable_queue_outcomes import reject_error, reject_unmade, shown
from .closable_queue_threads import consumers_case, getters_case

RACES_REPLY = 30.0  # the stepped races answer in one reply: allow a cell's time
# The races are stepped in the learner's process, where the scheduler still
# decides a little (a thread waiting for the GIL looks asleep, as one waiting
# for the queue's lock does). Asked this often, a wrong answer is all but
# always caught; a right one passes every round.
RACE_ROUNDS = 3
LATE_PUT = ("q.put(...) after q.close() returned; it should raise Closed: in Go a send "
            "on a closed channel panics, and nobody would ever receive the item.")
SECOND_CLOSE = ("A second q.close() returned; it should raise Closed: in Go closing a "
                "closed channel panics. A second close is a bug in the caller, and saying "
                "so is how it gets found.")
WORDS = ["go", "exit", "stop", "0", "None", "x y", "item"]
ODD = [None, 0, "", False]  # data a careless queue takes for "closed"


# --- the judge's values ------------------------------------------------------------

def _value(rng: random.Random) -> Any:
    kind = rng.randrange(6)
    if kind == 0:
        return rng.choice([-1, 1]) * rng.randint(1, 9999)
    if kind == 1:
        return rng.choice([-1, 1]) * (rng.randint(0, 99) + 0.5)
    if kind == 2:
        return f"{rng.choice(WORDS)}-{rng.randint(0, 999)}"
    if kind == 3:
        return rng.choice([True, False, None, 0, "", "exit"])
    if kind == 4:
        return [rng.randint(0, 9), rng.choice(WORDS)]
    return rng.choice(WORDS)


def _values(rng: random.Random, count: int) -> list:
    """``count`` fresh values, None, 0 and "" among them: data a careless queue
    takes for "closed" or drops."""
    values = [None, 0, ""] + [_value(rng) for _ in range(count - 3)]
    rng.shuffle(values)
    return values


def _puts(values: list) -> list[list]:
    return [["put", value] for value in values]


def _visible_sequences(rng: random.Random) -> list[list[list]]:
    order = _puts(_values(rng, rng.randint(6, 9)))
    order.insert(rng.randrange(len(order) + 1), ["put_object"])
    order += [["get"]] * len(order)
    return [
        order,
        _puts([_value(rng), _value(rng)]) + [["close"]] + [["get"]] * 4 + [["list"]],
        _puts(_values(rng, 4)[1:] + [None]) + [["close"], ["list"]],
        [["close"], ["put", _value(rng)], ["close"], ["list"]],
    ]


def _random_sequence(rng: random.Random, length: int) -> list[list]:
    """Puts and gets (a get only when the queue holds an item), a close, then
    gets past the end, late puts, second closes, and list(q) last."""
    ops: list[list] = []
    size, close_at = 0, rng.randint(length // 3, length - 3)
    for index in range(length):
        if index == close_at:
            ops.append(["close"])
        elif index < close_at:
            if size and rng.random() < 0.45:
                ops.append(["get"])
                size -= 1
            else:
                ops.append(["put_object"] if rng.random() < 0.1 else ["put", _value(rng)])
                size += 1
        else:
            choice = rng.random()
            ops.append(["get"] if choice < 0.6 else ["close"] if choice < 0.75 else
                       ["put", _value(rng)])
            size = max(0, size - (ops[-1] == ["get"]))
    return ops + [["list"]]


# --- one thread: the judge's model --------------------------------------------------

def _spelled(op: list) -> str:
    if op[0] == "put":
        return f"q.put({op[1]!r})"
    return {"put_object": "q.put(object())", "get": "q.get()", "close": "q.close()",
            "list": "list(q)"}[op[0]]


def _story(done: list, limit: int = 8) -> str:
    steps = [_spelled(op) for op in done]
    if len(steps) > limit:
        steps = ["..."] + steps[-limit:]
    return "; ".join(["q = ClosableQueue()"] + steps)


def _hung(call: str, before: str, items: deque, closed: bool) -> None:
    why = ("get() waits only while the queue is empty and open" if call == "q.get()" else
           "iterating should stop once the queue is closed and drained" if call == "list(q)"
           else "put() and close() should never wait")
    raise Rejected(f"After {before}, {call} did not return within {AT_ONCE:g} s (the queue "
                   f"held {plural(len(items), 'item')} and was {'closed' if closed else 'open'}"
                   f"): {why}.")


def _replay(subject: Subject, ops: list[list]) -> None:
    """``ops`` on a new queue in the learner's process, each outcome checked
    against the judge's model."""
    _, data = subject.call("queue_ops", ops=ops)
    reject_unmade(data)
    results = data.get("results")
    expect(isinstance(results, list), "The closable_queue probe gave no results.")
    items: deque = deque()
    closed, objects = False, 0
    for index, op in enumerate(ops):
        before, call = _story(ops[:index]), _spelled(op)
        expect(index < len(results), f"After {before}, {call} gave no result.")
        got = results[index]
        expect(isinstance(got, list) and got and type(got[0]) is str,
               f"After {before}, the probe gave no outcome for {call}.")
        if got == ["hung"]:
            _hung(call, before, items, closed)
        if got[0] == "error":
            reject_error(call, f"After {before}, ", got)
        if op[0] in ("put", "put_object"):
            if closed:
                expect(got == ["closed"], f"After {before}: {LATE_PUT}")
                continue
            expect(got == ["returned"], f"After {before}, {call} raised Closed on an open "
                                        "queue: only a closed queue refuses items.")
            items.append(op[1] if op[0] == "put" else {"object": objects})
            objects += op[0] == "put_object"
        elif op[0] == "close":
            expect(got == (["closed"] if closed else ["returned"]),
                   f"After {before}: {SECOND_CLOSE}" if closed else
                   f"After {before}, {call} raised Closed, though the queue was open.")
            closed = True
        elif op[0] == "get":
            _judge_get(got, items, closed, before)
        else:
            _judge_list(got, items, before)
            items.clear()


def _judge_get(got: list, items: deque, closed: bool, before: str) -> None:
    if not items:
        expect(got == ["closed"],
               f"After {before}, q.get() on the closed, drained queue returned "
               f"{shown(got[-1])}; it should raise Closed, every time (in Go, every receive "
               "on a closed, drained channel reports it closed).")
        return
    wanted = items.popleft()
    if got == ["closed"] and closed:
        raise Rejected(
            f"After {before}, q.get() raised Closed, though the queue still held "
            f"{plural(len(items) + 1, 'item')}; it should return {shown(wanted)}. Closing "
            "says no more items will come; the ones already in the queue are still "
            "delivered (Go's receive gets them too). Raise Closed only when the queue is "
            "closed and empty.")
    if got == ["closed"]:
        raise Rejected(
            f"After {before}, q.get() raised Closed on an open queue that still held "
            f"{plural(len(items) + 1, 'item')}, the next being {shown(wanted)}. Items such "
            "as None, 0 and \"\" are data: only close() closes the queue.")
    expect(got[0] == "item" and len(got) == 2 and same(got[1], wanted),
           f"After {before}, q.get() returned {shown(got[-1])}; it should return "
           f"{shown(wanted)}, the oldest item in the queue. A queue gives items back first "
           "in, first out: append at one end, take from the other (deque.popleft()).")


def _judge_list(got: list, items: deque, before: str) -> None:
    if got == ["closed"]:
        raise Rejected(
            f"After {before}, list(q) raised Closed; `for item in q` should simply end once "
            "the queue is closed and drained (the generator returns, or __next__ raises "
            "StopIteration), as Go's `for v := range ch` does.")
    wanted = list(items)
    listed = got[1] if got[0] == "items" and len(got) == 2 else None
    if isinstance(listed, list) and len(listed) < len(wanted) \
            and same(listed, wanted[:len(listed)]) and wanted[len(listed)] in ODD:
        raise Rejected(
            f"After {before}, list(q) gave {listed!r}: iterating stopped at the item "
            f"{wanted[len(listed)]!r} and lost {wanted[len(listed):]!r}. Items such as None, "
            "0 and \"\" are data: iteration ends only when get() raises Closed.")
    expect(same(listed, wanted),
           f"After {before}, list(q) gave {shown(got[-1])}; it should give {wanted!r}: "
           "iterating should yield every item left, then stop, as Go's "
           "`for v := range ch` does.")


# --- the races, run in the learner's process ------------------------------------------------

def _races(subject: Subject, hidden: bool) -> None:
    """The stepped races, RACE_ROUNDS times: a right answer passes every
    round; a wrong one the scheduler hid once (the other call did not get to
    run while the first was held) is caught in another."""
    waited = subject.reply_timeout
    subject.reply_timeout = max(waited, RACES_REPLY)
    try:
        for _ in range(RACE_ROUNDS):
            _, data = subject.call("queue_races", hidden=hidden)
            if data.get("passed") is not True:
                message = data.get("message")
                raise Rejected(message if isinstance(message, str) and message else
                               "The stepped races gave no verdict.")
    finally:
        subject.reply_timeout = waited


@judge("closable_queue")
def judge_closable_queue(subject: Subject, hidden: bool) -> None:
    rng = fresh_rng()
    for ops in _visible_sequences(rng):
        _replay(subject, ops)
    # With the hidden cases, the blocked getters and the consumers are the
    # visible cases with more threads and items (as in the kernel's hidden
    # test): one run of each, the larger, decides what both would.
    retried(getters_case, subject, rng.randint(8, 12) if hidden else 4, _value(rng))
    counts = (dict(consumers=rng.randint(6, 10), producers=rng.randint(3, 5),
                   each=rng.randint(80, 150)) if hidden
              else dict(consumers=4, producers=3, each=60))
    consumers_case(subject, rng, **counts)
    _races(subject, hidden=False)
    if hidden:
        for _ in range(3):
            _replay(subject, _random_sequence(rng, rng.randint(25, 40)))
        _races(subject, hidden=True)
