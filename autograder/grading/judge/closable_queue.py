"""Lesson 05's closable_queue judged from outside.

One thread: the judge draws sequences of operations (puts of fresh random
plain values, None, 0 and "" always among them, and of objects; gets; close;
a put after close; a second close; list(q)) and checks each outcome the
learner's process reports (``["item", value]``, ``["closed"]``, an error by
its text) against its own model of a closable first-in, first-out queue.

Blocked getters: it sees each getter thread asleep in /proc (state S, three
samples in a row), measures their CPU time and wake-ups over ``WATCH`` from
outside, with the in-kernel check's bounds, then sees one put() end exactly
one of them and one close() end the rest within the exit deadline.

Consumers: it sees the consumer threads (``for item in q``) start, all still
there once the producers' puts are done (none left the loop of an open
queue), and every one of them end after one close(). Which items
each consumer received it takes as plain data, and checks: every item
exactly once, each producer's in the order it put them.

The races (a flag read outside the lock) happen inside the learner's object,
where /proc cannot see: the in-kernel check's stepped races run in the
learner's process (probe ``queue_races``, asked ``RACE_ROUNDS`` times), and
the judge takes their verdict and message as plain data.
"""

from __future__ import annotations

import random
import time
from collections import Counter, deque
from typing import Any

from ...exercises.closable_queue import MOST_CPU_SHARE, MOST_WAKEUPS, WATCH, same
from ...exercises.harness import plural
from ...exercises.limits import AT_ONCE, EXIT_DEADLINE
from ...sockets.activity import CONFIRMATIONS
from .registry import expect, fresh_rng, judge
from .seen_in_proc import activity, asleep
from .subject import Rejected, Subject
from .too_slow import TooSlow, retried

ASLEEP_WITHIN = 0.5  # a getter on an empty queue must be asleep this soon (as in the check)
SETTLE = 0.1  # after one put, the other getters must still be waiting this much later
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
WAKE_EVERY = ("close() must wake every blocked get() at once: notify_all(), not notify(), "
              "which wakes one.")
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

def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return ("the object() put" if "object" in value else
                f"a {value.get('not_plain', 'strange')} object")
    return repr(value)


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


def _made(data: dict) -> None:
    """Reject when the probe could not make a queue."""
    if "closed_is" in data:
        raise Rejected(f"Closed is {data['closed_is']}; it should be a class of exception: "
                       "class Closed(Exception).")
    made = data.get("made")
    if made == ["hung"]:
        raise Rejected(f"ClosableQueue() did not return within {AT_ONCE:g} s.")
    if isinstance(made, list):
        _error("ClosableQueue()", "", made)


def _ended_early(data: dict) -> None:
    _made(data)
    raise Rejected("The closable_queue probe ended before it used the queue.")


def _went(call: str, got: Any) -> str:
    """What a put() or close() that should have returned did instead."""
    if got == ["closed"]:
        return f"{call} raised Closed, though the queue was open."
    if got == ["hung"]:
        return f"{call} did not return within {AT_ONCE:g} s: it should never wait."
    if isinstance(got, list) and len(got) == 2 and got[0] == "error":
        return f"{call} raised {got[1]}"
    return f"{call} gave no outcome."


def _error(call: str, before: str, got: list) -> None:
    text = str(got[1]) if len(got) > 1 else "an error"
    if text.startswith("NotImplementedError"):
        raise Rejected(f"{call} is not written yet (it raises NotImplementedError).")
    raise Rejected(f"{before}{call} raised {text}")


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
    _made(data)
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
            _error(call, f"After {before}, ", got)
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
               f"{_shown(got[-1])}; it should raise Closed, every time (in Go, every receive "
               "on a closed, drained channel reports it closed).")
        return
    wanted = items.popleft()
    if got == ["closed"] and closed:
        raise Rejected(
            f"After {before}, q.get() raised Closed, though the queue still held "
            f"{plural(len(items) + 1, 'item')}; it should return {_shown(wanted)}. Closing "
            "says no more items will come; the ones already in the queue are still "
            "delivered (Go's receive gets them too). Raise Closed only when the queue is "
            "closed and empty.")
    if got == ["closed"]:
        raise Rejected(
            f"After {before}, q.get() raised Closed on an open queue that still held "
            f"{plural(len(items) + 1, 'item')}, the next being {_shown(wanted)}. Items such "
            "as None, 0 and \"\" are data: only close() closes the queue.")
    expect(got[0] == "item" and len(got) == 2 and same(got[1], wanted),
           f"After {before}, q.get() returned {_shown(got[-1])}; it should return "
           f"{_shown(wanted)}, the oldest item in the queue. A queue gives items back first "
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
           f"After {before}, list(q) gave {_shown(got[-1])}; it should give {wanted!r}: "
           "iterating should yield every item left, then stop, as Go's "
           "`for v := range ch` does.")


# --- blocked getters, seen from outside ------------------------------------------------

def _until_asleep(subject: Subject, tid: int, told: str) -> None:
    """Mirror of the check's wait_until_asleep, from /proc: asleep three
    samples in a row within ASLEEP_WITHIN, else spinning or slow."""
    began, before, seen, pause = time.monotonic(), activity(subject, tid), 0, 0.001
    while True:
        state = asleep(subject, tid)
        if state is None:
            raise Rejected(f"{told}; one of them returned at once, though nothing was put "
                           "and the queue was open: get() must wait until an item arrives "
                           "or the queue is closed.")
        seen = seen + 1 if state else 0
        if seen >= CONFIRMATIONS:
            return
        elapsed = time.monotonic() - began
        if elapsed >= ASLEEP_WITHIN:
            now = activity(subject, tid)
            spent = now - before if now is not None and before is not None else None
            # Starved of CPU on a busy machine, a thread that spins still wakes
            # constantly (it waits for the GIL between turns); one on its way to
            # its first wait does neither. Wake-ups alone are tried again.
            busy = spent is not None and spent.cpu_seconds >= MOST_CPU_SHARE * elapsed
            if busy or (spent is not None and spent.wakeups > MOST_WAKEUPS):
                raise (Rejected if busy else TooSlow)(
                    f"{told}; one of them never went to sleep: it used "
                    f"{spent.cpu_seconds * 1000:.0f} ms of CPU and woke up {spent.wakeups} "
                    f"times in {elapsed * 1000:.0f} ms. get() busy-waits. Wait on a "
                    "Condition (self._changed.wait()) and let put() and close() wake it.")
            raise TooSlow(f"{told}; one of them was not asleep {elapsed:.2f} s after it "
                          "started: get() on an empty queue should wait at once.")
        time.sleep(pause)
        pause = min(pause * 2, 0.002)


def _expect_sleeping(subject: Subject, getters: list[int], told: str) -> None:
    """Each getter asleep, then watched for WATCH: no CPU to speak of, no
    wake-ups while nothing happens."""
    for tid in getters:
        _until_asleep(subject, tid, told)
    time.sleep(SETTLE)  # the last of them may still be handing the GIL on
    first = [activity(subject, tid) for tid in getters]
    time.sleep(WATCH)
    last = [activity(subject, tid) for tid in getters]
    expect(None not in last, f"{told}; one of them returned, though nothing was put and the "
                             "queue was open: get() must wait until an item arrives or the "
                             "queue is closed.")
    used = [b - a for a, b in zip(first, last) if a is not None and b is not None]
    cpu = sum(u.cpu_seconds for u in used)
    expect(cpu < MOST_CPU_SHARE * WATCH,
           f"{told}; together they used {cpu * 1000:.0f} ms of CPU in {WATCH * 1000:.0f} ms "
           "while nothing happened: get() busy-waits. Wait on a Condition "
           "(self._changed.wait()) and let put() and close() wake it.")
    most = max((u.wakeups for u in used), default=0)
    if most > MOST_WAKEUPS:  # a polling get() does in every try; a right one, not thrice
        raise TooSlow(
            f"{told}; one of them woke up {most} times in {WATCH * 1000:.0f} ms although "
            "nothing happened: it polls (a wait with a timeout, or a sleep, in a loop). Wait "
            "without a timeout, wait(), and let put() and close() wake it: then it uses "
            "nothing until there is something to do.")


def _first_gone(subject: Subject, tids: list[int], seconds: float) -> list[int]:
    """Wait up to ``seconds`` until one of the threads has ended; those ended."""
    end = time.monotonic() + seconds
    while True:
        gone = [tid for tid in tids if not subject.alive(tid)]
        if gone or time.monotonic() >= end:
            return gone
        time.sleep(0.005)


def _getters_case(subject: Subject, getters: int, item: Any) -> None:
    told = f"{plural(getters, 'thread')} were blocked in q.get() on an empty queue"
    before = subject.tasks()
    kind, data = subject.call("queue_getters", getters=getters, item=item)
    if kind == "result":
        _ended_early(data)
    threads = subject.started(data.get("started"), before, getters, "q.get()")
    kind, _ = subject.resume("queue_getters")
    expect(kind == "step", f"{told}: the probe stopped early.")
    _expect_sleeping(subject, threads, told)
    kind, data = subject.resume("queue_getters")
    put = data.get("put")
    expect(put == ["returned"], f"{told}; then {_went(f'q.put({item!r})', put)}")
    gone = _first_gone(subject, threads, EXIT_DEADLINE)
    expect(gone, f"{told}; then q.put({item!r}) was called, and none of them returned within "
                 f"{EXIT_DEADLINE:g} s: put() must wake a waiting get() (notify()).")
    time.sleep(SETTLE)
    gone = [tid for tid in threads if not subject.alive(tid)]
    expect(len(gone) == 1,
           f"{told}; one q.put({item!r}) ended {len(gone)} of them: the item is for one "
           "getter, and the others must go on waiting.")
    kind, data = subject.resume("queue_getters")
    closed = data.get("closed")
    expect(closed == ["returned"], f"{told}; then {_went('q.close()', closed)}")
    waiting = [tid for tid in threads if tid not in gone]
    left = subject.wait_gone(waiting, EXIT_DEADLINE)
    expect(not left,
           f"{told}; q.put({item!r}) woke one of them, then q.close() was called once, and "
           f"only {len(waiting) - len(left)} of them woke up. {WAKE_EVERY}")
    kind, data = subject.resume("queue_getters")
    _judge_getters(data.get("got"), item, told)


def _judge_getters(got: Any, item: Any, told: str) -> None:
    expect(isinstance(got, list) and all(isinstance(g, list) and g for g in got),
           f"{told}: the probe did not say what each get() did.")
    told += f"; one q.put({item!r}), then one q.close()"
    took = [g for g in got if g[0] == "item"]
    for outcome in got:
        if outcome[0] == "error":
            raise Rejected(f"{told}; a getter raised {outcome[-1]}")
    expect(len(took) == 1 and len(took[0]) == 2 and same(took[0][1], item),
           f"{told}; the getters returned {', '.join(_shown(g[-1]) for g in took) or 'nothing'}"
           f": exactly one should return {item!r}.")
    expect(sum(g == ["closed"] for g in got) == len(got) - 1,
           f"{told}; each getter but the one that took the item should raise Closed (the "
           "queue is closed and empty).")


# --- consumers and producers -------------------------------------------------------------

def _batches(rng: random.Random, producers: int, each: int) -> list[list]:
    """Each producer's items: distinct numbers, with None, 0, "" and False
    (each put once) among them."""
    numbers = rng.sample(range(1, 10 ** 9), producers * each)
    batches = [numbers[p * each:(p + 1) * each] for p in range(producers)]
    for odd in (None, 0, "", False):
        batch = rng.choice(batches)
        batch[rng.randrange(each)] = odd
    return batches


def _key(value: Any) -> tuple[str, Any]:
    """An item by its exact type and value (False is not 0)."""
    if isinstance(value, (list, dict)):
        return ("unhashable", repr(value))
    return (type(value).__name__, value)


def _consumers_case(subject: Subject, rng: random.Random, consumers: int, producers: int,
                    each: int) -> None:
    batches = _batches(rng, producers, each)
    told = (f"{plural(consumers, 'consumer')} ran `for item in q`, "
            f"{plural(producers, 'producer')} put {each} items each, then q.close() was "
            "called once")
    before = subject.tasks()
    kind, data = subject.call("queue_consumers", consumers=consumers, batches=batches)
    if kind == "result":
        _ended_early(data)
    threads = subject.started(data.get("started"), before, consumers, "`for item in q`")
    kind, data = subject.resume("queue_consumers")
    made = data.get("producers")
    expect(isinstance(made, dict), f"{told}: the probe did not say how the producers did.")
    expect(not made.get("errors"), f"q.put(...) from a producer raised "
                                   f"{(made.get('errors') or [''])[0]}")
    expect(not made.get("stuck"),
           f"{producers} producers putting {each} items each were still in q.put() after "
           f"{EXIT_DEADLINE * 3:g} s: put() on an open queue should never wait.")
    quit_early = [tid for tid in threads if not subject.alive(tid)]
    expect(not quit_early,
           f"{plural(consumers, 'consumer')} ran `for item in q` while "
           f"{plural(producers, 'producer')} put {each} items each; before anyone called "
           f"q.close(), {len(quit_early)} of them had already left the loop: get() raised "
           "Closed on an open queue. A get() woken after another consumer took the item "
           "finds the queue empty: it must wait again, in a `while` loop around wait(), "
           "not an `if`.")
    kind, data = subject.resume("queue_consumers")
    expect(kind == "step" and data.get("closed") == ["returned"],
           f"{told}; then {_went('q.close()', data.get('closed'))}")
    left = subject.wait_gone(threads, EXIT_DEADLINE)
    expect(not left,
           f"{told}; {plural(len(left), 'consumer')} {'was' if len(left) == 1 else 'were'} "
           f"still waiting after {EXIT_DEADLINE:g} s. close() must wake every blocked get() "
           "(notify_all, not notify), and get() must raise Closed (ending the loop) once the "
           "queue is closed and empty.")
    _, data = subject.resume("queue_consumers")
    errors = data.get("errors")
    expect(not errors, f"{told}; `for item in q` in a consumer raised {(errors or [''])[0]}")
    outs = data.get("outs")
    expect(isinstance(outs, list) and len(outs) == consumers
           and all(isinstance(out, list) for out in outs),
           f"{told}: the probe did not say what each consumer received.")
    _each_once(told, outs, batches)


def _each_once(told: str, outs: list[list], batches: list[list]) -> None:
    where = {_key(item): (p, i) for p, batch in enumerate(batches) for i, item in enumerate(batch)}
    counts = Counter(_key(item) for out in outs for item in out)
    twice = [key[1] for key, count in counts.items() if count > 1][:3]
    expect(not twice, f"{told}; some items came out more than once, such as {twice!r}: each "
                      "item goes to exactly one consumer.")
    strangers = [key[1] for key in counts if key not in where][:3]
    expect(not strangers, f"{told}; the consumers received {strangers!r}, which nobody put.")
    missing = len(where) - len(counts)
    expect(not missing, f"{told}; {missing} of the {len(where)} items never came out. Every "
                        "item put before close() must be delivered: get() raises Closed only "
                        "once the queue is closed and empty.")
    for index, out in enumerate(outs):
        for producer in range(len(batches)):
            order = [where[_key(item)][1] for item in out if where[_key(item)][0] == producer]
            expect(order == sorted(order),
                   f"{told}; consumer-{index} received producer-{producer}'s items out of the "
                   "order they were put in: items must come out in the order they were put "
                   "(first in, first out).")


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
    retried(_getters_case, subject, 4, _value(rng))
    _consumers_case(subject, rng, consumers=4, producers=3, each=60)
    _races(subject, hidden=False)
    if hidden:
        for _ in range(3):
            _replay(subject, _random_sequence(rng, rng.randint(25, 40)))
        retried(_getters_case, subject, rng.randint(8, 12), _value(rng))
        _consumers_case(subject, rng, consumers=rng.randint(6, 10),
                        producers=rng.randint(3, 5), each=rng.randint(80, 150))
        _races(subject, hidden=True)
