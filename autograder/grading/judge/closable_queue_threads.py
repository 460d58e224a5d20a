"""Lesson 05's closable_queue judged from outside, with many threads.

Blocked getters: the judge sees each getter thread asleep in /proc (state S,
three samples in a row), measures their CPU time and wake-ups over ``WATCH``
from outside, with the in-kernel check's bounds, then sees one put() end
exactly one of them and one close() end the rest within the exit deadline.

Consumers: it sees the consumer threads (``for item in q``) start, all still
there once the producers' puts are done (none left the loop of an open
queue), and every one of them end after one close(). Which items each
consumer received it takes as plain data, and checks: every item exactly
once, each producer's in the order it put them.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from typing import Any

from ...exercises.closable_queue_calls import same
from ...exercises.closable_queue_threads import MOST_CPU_SHARE, MOST_WAKEUPS, WATCH
from ...exercises.harness import plural
from ...exercises.limits import EXIT_DEADLINE
from ...sockets.activity import CONFIRMATIONS
from .registry import expect
from .seen_in_proc import activity, asleep
from .subject import Rejected, Subject
from .too_slow import TooSlow
from .closable_queue_outcomes import reject_ended_early, shown, went_instead

ASLEEP_WITHIN = 0.5  # a getter on an empty queue must be asleep this soon (as in the check)
SETTLE = 0.1  # after one put, the other getters must still be waiting this much later
WAKE_EVERY = ("close() must wake every blocked get() at once: notify_all(), not notify(), "
              "which wakes one.")


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


def getters_case(subject: Subject, getters: int, item: Any) -> None:
    told = f"{plural(getters, 'thread')} were blocked in q.get() on an empty queue"
    before = subject.tasks()
    kind, data = subject.call("queue_getters", getters=getters, item=item)
    if kind == "result":
        reject_ended_early(data)
    threads = subject.started(data.get("started"), before, getters, "q.get()")
    kind, _ = subject.resume("queue_getters")
    expect(kind == "step", f"{told}: the probe stopped early.")
    _expect_sleeping(subject, threads, told)
    kind, data = subject.resume("queue_getters")
    put = data.get("put")
    expect(put == ["returned"], f"{told}; then {went_instead(f'q.put({item!r})', put)}")
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
    expect(closed == ["returned"], f"{told}; then {went_instead('q.close()', closed)}")
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
           f"{told}; the getters returned {', '.join(shown(g[-1]) for g in took) or 'nothing'}"
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


def consumers_case(subject: Subject, rng: random.Random, consumers: int, producers: int,
                    each: int) -> None:
    batches = _batches(rng, producers, each)
    told = (f"{plural(consumers, 'consumer')} ran `for item in q`, "
            f"{plural(producers, 'producer')} put {each} items each, then q.close() was "
            "called once")
    before = subject.tasks()
    kind, data = subject.call("queue_consumers", consumers=consumers, batches=batches)
    if kind == "result":
        reject_ended_early(data)
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
           f"{told}; then {went_instead('q.close()', data.get('closed'))}")
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
